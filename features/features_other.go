//go:build !linux

package features

import "runtime"

// Off Linux every layer is missing: there is no kernel that enforces
// them. Each probe says so, naming the platform, so a command fails with
// the reason instead of a probe's error.
func notLinux(feature string) *NotSupportedError {
	return &NotSupportedError{Feature: feature, Reason: "it needs Linux (this is " + runtime.GOOS + "/" + runtime.GOARCH + ")"}
}

// ActiveLSMs fails off Linux: LSMs are Linux's.
func ActiveLSMs() ([]string, error) { return nil, notLinux("Linux security modules") }

// HaveAppArmor fails off Linux.
func HaveAppArmor() error { return notLinux("AppArmor") }

// LandlockABI fails off Linux.
func LandlockABI() (int, error) { return 0, notLinux("Landlock") }

// HaveLandlock fails off Linux.
func HaveLandlock(int) error { return notLinux("Landlock") }

// HaveSeccompFilter fails off Linux.
func HaveSeccompFilter() error { return notLinux("seccomp filter") }

// KernelAtLeast is false off Linux: there is no Linux kernel to be new enough.
func KernelAtLeast(int, int) bool { return false }

// KernelRelease is "" off Linux.
func KernelRelease() string { return "" }

// SeccompActions fails off Linux.
func SeccompActions() ([]string, error) { return nil, notLinux("seccomp filter") }

// HaveBPFLSM fails off Linux.
func HaveBPFLSM() error { return notLinux("BPF LSM") }

// HaveIA32 fails off Linux: the question is whether a Linux kernel runs
// i386 code.
func HaveIA32() error { return notLinux("32-bit x86 (IA32) code") }
