//go:build linux && amd64

package record

import (
	"encoding/json"
	"io"

	"github.com/rampart-sec/rampart/internal/cachedir"
)

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

// bootID names this boot; empty when the kernel does not say.
func bootID() string { return cachedir.BootID() }

// readEntry decodes into v a cache entry that only this user could have
// written.
func readEntry(file string, v any) error {
	f, err := cachedir.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// writeEntry replaces the cache file with v, written whole.
func writeEntry(dir, file string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return cachedir.Write(dir, file, b)
}
