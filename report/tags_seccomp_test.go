//go:build seccomp

package report

// buildTags are this test's build tags, for the rampart it builds.
const buildTags = "seccomp"
