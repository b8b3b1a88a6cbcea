package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/version"
)

// versionFormats are the formats Version writes.
var versionFormats = []string{"table", "json"}

// Version writes `rampart version`: a line per fact, or json (the fields
// of version.Info).
func Version(w io.Writer, i version.Info, format string) error {
	switch format {
	case "table":
		versionTable(w, i)
		return nil
	case "json":
		return writeJSON(w, i)
	}
	return &FormatError{Format: format, Want: versionFormats}
}

func versionTable(w io.Writer, i version.Info) {
	commit := i.Commit
	if commit == "" {
		commit = "(unknown)"
	}
	fmt.Fprintf(w, "rampart %s\ncommit      %s\ngo          %s %s\nlibseccomp  %s\n", i.Version, commit, i.Go, i.Platform, i.Libseccomp)
	k := i.Kernel
	if k == nil {
		return
	}
	have := func(ok bool, what, detail string) string {
		if ok {
			return detail
		}
		if why := k.Missing[what]; why != "" {
			return "no: " + why
		}
		return "no"
	}
	fmt.Fprintf(w, "kernel      %s\n", k.Release)
	fmt.Fprintf(w, "  LSMs            %s\n", have(len(k.LSMs) > 0, "lsms", strings.Join(k.LSMs, ",")))
	fmt.Fprintf(w, "  Landlock        %s\n", have(k.LandlockABI > 0, "landlock", "ABI "+strconv.Itoa(k.LandlockABI)))
	fmt.Fprintf(w, "  AppArmor        %s\n", have(k.AppArmor, "apparmor", "yes"))
	fmt.Fprintf(w, "  BPF LSM         %s\n", have(k.BPFLSM, "bpfLSM", "yes"))
	fmt.Fprintf(w, "  i386 programs   %s\n", have(k.IA32, "ia32", "yes"))
	fmt.Fprintf(w, "  seccomp filter  %s\n", have(k.SeccompFilter, "seccompFilter", "yes"))
	fmt.Fprintf(w, "  seccomp actions %s\n", have(len(k.SeccompActions) > 0, "seccompActions", strings.Join(k.SeccompActions, " ")))
}
