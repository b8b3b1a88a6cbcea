package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/bytesize"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/policy/source"
)

// layerFlags are the policy flags run, layers and oci spec share; the
// policy they describe is source.Resolve's to build.
type layerFlags struct {
	policy.Flags
	apparmorDir, seccompDir string
}

// register adds the flags; fallback is --lsm-fallback's default.
func (l *layerFlags) register(fl *pflag.FlagSet, fallback string) {
	f := &l.Flags
	fl.StringArrayVar(&f.CapDrop, "cap-drop", nil, "capabilities to drop (NET_RAW, CAP_NET_RAW, net_raw, ALL; repeatable, comma lists)")
	fl.StringArrayVar(&f.CapAdd, "cap-add", nil, "capabilities to add back (same forms)")
	fl.StringVar(&f.User, "user", "", "run as UID[:GID] (numbers or names); supplementary groups are cleared")
	fl.StringVar(&f.Seccomp, "seccomp", "", "seccomp profile: runtime-default, unconfined, or an OCI / Docker JSON FILE")
	fl.StringVar(&f.AppArmor, "apparmor", "", "AppArmor profile NAME (loaded) or FILE (loaded as rampart apparmor load does)")
	fl.StringVar(&l.apparmorDir, "apparmor-dir", "", "directory of AppArmor profile files, looked up by profile name")
	fl.StringVar(&l.seccompDir, "seccomp-dir", kube.DefaultSeccompDir, "root for Localhost seccomp profiles of manifests (the kubelet's)")
	fl.StringArrayVar(&f.DenyRead, "deny-read", nil, "deny reading files at or beneath PATH (Landlock; repeatable)")
	fl.StringArrayVar(&f.DenyWrite, "deny-write", nil, "deny writing at or beneath PATH (Landlock; repeatable)")
	fl.StringArrayVar(&f.ReadOnly, "read-only", nil, "make PATH read-only (Landlock; repeatable)")
	fl.StringArrayVar(&f.Allow, "allow", nil, "allow-list PATH:ACCESS with ACCESS of r, w, x (Landlock; repeatable)")
	fl.StringArrayVar(&f.AllowDevices, "allow-device", nil, "leave device node PATH open although it holds a denied file's filesystem (repeatable)")
	fl.StringVar(&f.LSMFallback, "lsm-fallback", fallback, "landlock: where the kernel has no AppArmor, enforce an AppArmor profile's file rules with Landlock (and say so) if apparmor_parser -Q -K accepts the profile (where it is installed); none: refuse")
}

// input is what the flags say of the policy; defaults is the runtime's
// capability set a manifest's container starts from.
func (l *layerFlags) input(defaults caps.Set) source.Input {
	return source.Input{Flags: l.Flags, ApparmorDir: l.apparmorDir, SeccompDir: l.seccompDir, Defaults: defaults}
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
