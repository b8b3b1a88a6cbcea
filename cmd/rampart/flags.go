package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/bytesize"
	"github.com/rampart-sec/rampart/internal/launcher"
	"github.com/rampart-sec/rampart/policy/source"
	"github.com/rampart-sec/rampart/seccomp"
)

// layerFlags are the policy flags run, layers and oci spec share
// (launcher.LayerFlags, their one definition); the policy they describe
// is source.Resolve's to build.
type layerFlags struct{ launcher.LayerFlags }

// register adds the flags; fallback is --lsm-fallback's default.
func (l *layerFlags) register(fl *pflag.FlagSet, fallback string) { l.Register(fl, fallback) }

// input is what the flags say of the policy; defaults is the runtime's
// capability set a manifest's container starts from.
func (l *layerFlags) input(defaults caps.Set) source.Input {
	return layerInput(&l.LayerFlags, defaults)
}

func layerInput(l *launcher.LayerFlags, defaults caps.Set) source.Input {
	return source.Input{Flags: l.Flags, ApparmorDir: l.ApparmorDir, SeccompDir: l.SeccompDir, Defaults: defaults}
}

// byteSize is a size flag: 8MiB, 512KiB, 1000.
type byteSize int

func (b *byteSize) String() string { return bytesize.Format(int(*b)) }
func (b *byteSize) Type() string   { return "size" }
func (b *byteSize) Set(s string) error {
	n, err := bytesize.Parse(s)
	*b = byteSize(n)
	return err
}

// mergeArgs takes --out (or -o) from among the recordings to merge:
// flags stop at the first argument so that CMD's own flags stay CMD's,
// but --merge runs no command, and `--merge a/ b/ --out m/` must not
// read --out as a third recording.
func mergeArgs(args []string, out string) ([]string, string, error) {
	var recs []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(recs, args[i+1:]...), out, nil
		case a == "--out" || a == "-o":
			if i+1 == len(args) {
				return nil, "", usageError{fmt.Errorf("%s needs a directory", a)}
			}
			out = args[i+1]
			i++
		case strings.HasPrefix(a, "--out="):
			out = strings.TrimPrefix(a, "--out=")
		case strings.HasPrefix(a, "-") && a != "-":
			return nil, "", usageError{fmt.Errorf("--merge: %s: only --out goes with the recordings to merge", a)}
		default:
			recs = append(recs, a)
		}
	}
	return recs, out, nil
}

// dirFlag is a flag naming an existing directory: a misspelt
// --sarif-base would otherwise make every URI an absolute file:// one
// without a word.
type dirFlag struct{ dir *string }

func (f dirFlag) String() string {
	if f.dir == nil {
		return ""
	}
	return *f.dir
}

func (f dirFlag) Type() string { return "DIR" }

func (f dirFlag) Set(s string) error {
	fi, err := os.Stat(s)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", s)
	}
	*f.dir = s
	return nil
}

// sarifBaseHelp is --sarif-base's help, the same in every command that
// writes SARIF.
const sarifBaseHelp = "SARIF file URIs are relative to this `DIR` (uriBaseId %SRCROOT%; a file outside it is an absolute file:// URI); default the current directory, a repository's root in CI"

// capsFlag reads a --caps list against the kernel's capabilities; set is
// false for an empty list.
func capsFlag(list []string) (s caps.Set, set bool, err error) {
	if len(list) == 0 {
		return 0, false, nil
	}
	supported, err := caps.Supported()
	if err != nil {
		return 0, false, err
	}
	s, err = caps.ParseList(list, supported)
	if err != nil {
		return 0, false, usageError{fmt.Errorf("--caps: %w", err)}
	}
	return s, true, nil
}

// platformFlag reads --platform.
func platformFlag(s string) (seccomp.Platform, error) {
	p, err := seccomp.PlatformByName(s)
	if err != nil {
		return p, usageError{fmt.Errorf("--platform: %w", err)}
	}
	return p, nil
}
