//go:build !linux

package seccomp

// The programs are exported for the cross-platform comparison, which
// runs on Linux (platform_cross_test.go); off Linux TestMain never
// exports.
const exportEnv = "RAMPART_SECCOMP_EXPORT"

func exportPrograms(string) int { panic(exportEnv + " is Linux's") }
