//go:build linux && (amd64 || arm64)

package record

import (
	"errors"
	"path/filepath"
	"slices"

	"github.com/rampart-sec/rampart/internal/cachedir"
)

// Reading /proc/kallsyms makes the kernel format every one of its
// symbols (over 100,000 lines here): tens of milliseconds of CPU, a large
// part of each recording's fixed cost, for three ranges that do not
// change until the next boot (kernel text moves only with KASLR, at
// boot). The ranges found are therefore kept in rampart's cache
// directory with the boot they belong to, and read from there while
// that boot lasts.
//
// The cache decides which capability checks a recording ignores, so it
// is trusted like the program that reads it (cache.go): a planted file
// could otherwise make every recording count the memory-accounting check
// and put SYS_ADMIN in every policy generated from it, or hide a real
// SYS_ADMIN use.

// ksymsFile is the cache file's name in the cache directory.
const ksymsFile = "kallsyms.json"

type ksymsEntry struct {
	Boot   string      `json:"boot"`
	Names  []string    `json:"names"`
	Ranges [][2]uint64 `json:"ranges"`
}

// kernelRanges is kernelSymbols, from the cache when it holds this
// boot's answer for names.
func kernelRanges(names ...string) [][2]uint64 {
	boot := cachedir.BootID()
	dir, err := cachedir.Dir("record")
	if boot == "" || err != nil {
		return kernelSymbols(names...)
	}
	file := filepath.Join(dir, ksymsFile)
	if e, err := readKsyms(file); err == nil && e.Boot == boot && slices.Equal(e.Names, names) && len(e.Ranges) == len(names) {
		return e.Ranges
	}
	out := kernelSymbols(names...)
	// Addresses hidden from this process (kptr_restrict) read as zero
	// ranges: not kept, the setting can change within a boot.
	if slices.ContainsFunc(out, func(r [2]uint64) bool { return r != [2]uint64{} }) {
		cachedir.WriteJSON(dir, file, ksymsEntry{Boot: boot, Names: names, Ranges: out}) // a failed store only costs the next recording time
	}
	return out
}

// readKsyms reads a cache entry that only this user could have written.
func readKsyms(file string) (*ksymsEntry, error) {
	var e ksymsEntry
	if err := cachedir.ReadJSON(file, &e); err != nil {
		return nil, err
	}
	for _, r := range e.Ranges {
		if r[0] > r[1] {
			return nil, errors.New("kallsyms cache: a range ends before it starts")
		}
	}
	return &e, nil
}
