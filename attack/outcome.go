package attack

import (
	"syscall"

	"github.com/rampart-sec/rampart/caps"
)

// Outcome is what running one probe observed.
type Outcome struct {
	// Open: the attacker's call succeeded (or reached the kernel's own
	// argument checks, past every permission check).
	Open bool
	// Errno is the refusal, when not Open.
	Errno syscall.Errno
	// Step names the call that failed or succeeded ("socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMP)").
	Step string
	// Detail is a short observation ("created and closed", "EINVAL after
	// the capability check: permitted").
	Detail string
	// Absent says the target does not exist here (no runtime socket, no
	// /etc/shadow): the path is closed, but by no layer.
	Absent string
	// Unbuilt: Absent because the kernel was built without the feature
	// the whole path needs (module loading, key management), so every
	// variant is gone, not only this one (unlike an ABI or a namespace
	// to join that one variant lacks).
	Unbuilt bool
	// CanaryErrno is the seccomp canary's result, when one ran.
	CanaryErrno *syscall.Errno
	// DACAllows reports, for file paths, whether permission bits and
	// capabilities alone would allow the access (faccessat with
	// AT_EACCESS, which LSMs do not mediate): a refusal despite it is an
	// LSM's.
	DACAllows *bool
	// Inferred is set when no harmless call could reach the check that
	// decides (a mount without a private namespace, clock_settime): the
	// verdict follows from a canary, CapEff and the kernel's order, and
	// Inferred says how.
	Inferred string `json:",omitempty"`
	// FilterAsked is set when the seccomp filter itself was asked about
	// the call (filterAnswer) instead of a canary: what it answered.
	FilterAsked string `json:",omitempty"`
	// NeedCaps are capabilities the kernel checks on the variant that
	// decided besides the path's (Call.Caps).
	NeedCaps caps.Set `json:",omitempty"`
	// Variant names the variant the outcome is about, when the path has
	// several; Filtered are the variants the seccomp filter refused.
	Variant  string   `json:",omitempty"`
	Filtered []string `json:",omitempty"`
	// Missing are the variants that do not exist here, with why.
	Missing []string `json:",omitempty"`
	// Setup is set when the probe's own preparation failed (starting a
	// child to probe in or to trace) and the attack's call was never
	// made: under an allow list written for another program, the
	// probe's helper calls (pipe2, a re-exec) can be refused.
	Setup bool `json:",omitempty"`
}
