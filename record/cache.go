//go:build linux && (amd64 || arm64)

package record

// The recorder keeps, in rampart's cache directory, answers that hold
// for one boot of one kernel and take tens of milliseconds to find: the
// kernel text ranges of the noise checks (ksyms.go) and where the
// kernel's structures put the fields the programs read (core.go). Each
// entry names the boot it belongs to (cachedir.BootID).
//
// An entry decides what a recording says, so it is trusted like the
// program that reads it: cachedir.Open refuses a file another user
// could have written. A planted entry could otherwise hide a capability
// use or make the programs read the wrong kernel fields.
