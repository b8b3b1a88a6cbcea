package launcher

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rampart-sec/rampart/sandbox"
	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/lint"
)

// checkProfileVariants tells, before CMD runs, which denies of the
// seccomp profile another form of the same request gets past on this
// kernel: the variant checks of `rampart seccomp lint` (lint.Variants:
// the same call on another ABI, socketcall, a harmless flag, high bits,
// a sibling syscall, the fallback an ENOSYS invites), one warning line
// per deny; -v lists every variant, and those on ABIs this kernel does
// not run. With strict, any such deny refuses the launch, as does a
// filter that cannot be checked.
func checkProfileVariants(w io.Writer, pl *sandbox.Plan, strict, verbose bool) error {
	f := pl.SeccompFilter()
	if pl.Seccomp == nil || f == nil {
		return nil
	}
	fs, err := lint.Variants(pl.Seccomp, f.Program())
	if errors.Is(err, seccomp.ErrNoProgram) {
		why := "the filter is compiled at launch (" + f.Why + ")"
		if strict {
			return &sandbox.LayerError{Layer: sandbox.LayerSeccomp, Err: fmt.Errorf("--strict-profile: the profile's denies cannot be checked for variants: %s", why)}
		}
		if verbose {
			fmt.Fprintf(w, "rampart: seccomp: denies not checked for variants: %s\n", why)
		}
		return nil
	}
	if err != nil {
		return &sandbox.LayerError{Layer: sandbox.LayerSeccomp, Err: err}
	}
	_, known := seccomp.KernelABIs()
	// the findings of one deny, one per class, in the order of the
	// profile's rules
	type deny struct {
		d          seccomp.Deny
		live, here []lint.Variant
	}
	var denies []*deny
	byKey := map[string]*deny{}
	for _, fd := range fs {
		for _, v := range fd.Variants {
			b := v.Bypass
			k := b.Deny.Source + "|" + b.Deny.Syscall
			d := byKey[k]
			if d == nil {
				d = &deny{d: b.Deny}
				byKey[k] = d
				denies = append(denies, d)
			}
			if v.Live {
				d.live = append(d.live, v)
			} else {
				d.here = append(d.here, v)
			}
		}
	}
	var broken []string
	for _, d := range denies {
		if len(d.live) > 0 {
			v := d.live[0]
			more := ""
			if n := len(d.live) - 1; n > 0 {
				more = fmt.Sprintf("; %d more way(s), -v lists them", n)
			}
			fmt.Fprintf(w, "rampart: warning: seccomp %s: %s does not hold: %s gets %s (%s)%s\n",
				d.d.Source, d.d.Describe(), v.CallString(), v.Action, v.Why, more)
			broken = append(broken, d.d.Source+": "+d.d.Syscall)
		}
		if !verbose {
			continue
		}
		for _, v := range d.live {
			fmt.Fprintf(w, "rampart: seccomp variant: %s: %s\n", d.d.Source, v)
		}
		for _, v := range d.here {
			fmt.Fprintf(w, "rampart: seccomp variant: %s: %s; this kernel does not run %s, so the deny holds here\n", d.d.Source, v, strings.Join(v.Bypass.Arches(), ", "))
		}
	}
	if verbose && !known {
		fmt.Fprintln(w, "rampart: seccomp: rampart runs under a seccomp filter already, so the ABIs this kernel runs were not probed: all count")
	}
	if strict && len(broken) > 0 {
		return &sandbox.LayerError{Layer: sandbox.LayerSeccomp, Err: fmt.Errorf("--strict-profile: %d deny rule(s) of %s do not hold against variants of the same call: %s", len(broken), pl.Seccomp.Name, strings.Join(broken, ", "))}
	}
	return nil
}
