package launcher

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/internal/cachedir"
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
	kept := keptVerdictOf(pl.Seccomp, f)
	if !verbose {
		if v, ok := kept.read(); ok {
			return v.tell(w, pl, strict)
		}
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
	var v verdict
	warning := map[*deny]string{}
	for _, d := range denies {
		if len(d.live) == 0 {
			continue
		}
		l := d.live[0]
		more := ""
		if n := len(d.live) - 1; n > 0 {
			more = fmt.Sprintf("; %d more way(s), -v lists them", n)
		}
		warning[d] = fmt.Sprintf("rampart: warning: seccomp %s: %s does not hold: %s gets %s (%s)%s",
			d.d.Source, d.d.Describe(), l.CallString(), l.Action, l.Why, more)
		v.Warnings = append(v.Warnings, warning[d])
		v.Broken = append(v.Broken, d.d.Source+": "+d.d.Syscall)
	}
	if !verbose {
		kept.write(v)
		return v.tell(w, pl, strict)
	}
	// -v: each deny's warning, then every variant of it
	for _, d := range denies {
		if l, ok := warning[d]; ok {
			fmt.Fprintln(w, l)
		}
		for _, v := range d.live {
			fmt.Fprintf(w, "rampart: seccomp variant: %s: %s\n", d.d.Source, v)
		}
		for _, v := range d.here {
			fmt.Fprintf(w, "rampart: seccomp variant: %s: %s; this kernel does not run %s, so the deny holds here\n", d.d.Source, v, strings.Join(v.Bypass.Arches(), ", "))
		}
	}
	if !known {
		fmt.Fprintln(w, "rampart: seccomp: rampart runs under a seccomp filter already, so the ABIs this kernel runs were not probed: all count")
	}
	return v.tell(io.Discard, pl, strict)
}

// verdict is what the variant check tells a launch that is not verbose:
// a warning per deny a variant gets past on this kernel, and those
// denies, which --strict-profile refuses.
type verdict struct {
	Warnings []string `json:"warnings"`
	Broken   []string `json:"broken"`
}

func (v verdict) tell(w io.Writer, pl *sandbox.Plan, strict bool) error {
	for _, l := range v.Warnings {
		fmt.Fprintln(w, l)
	}
	if strict && len(v.Broken) > 0 {
		return &sandbox.LayerError{Layer: sandbox.LayerSeccomp, Err: fmt.Errorf("--strict-profile: %d deny rule(s) of %s do not hold against variants of the same call: %s", len(v.Broken), pl.Seccomp.Name, strings.Join(v.Broken, ", "))}
	}
	return nil
}

// keptVerdict is where the verdict on a cached program is kept: the
// check is the interpreter run over every variant of every deny, and its
// answer depends only on what the program's cache digest names, on the
// ABIs this kernel runs and on the rampart that checks (build), so it is
// worked out once for each. The warnings name rules by where they are
// written, which the digest does not cover: the verdict on a profile read
// from a file (a user's, whose lines move) is worked out every time;
// RuntimeDefault's and a generated profile's rules are named by their
// index. An entry is trusted as the program cache's are
// (internal/cachedir), and one for another input is not an answer.
type keptVerdict struct {
	file, input string // "": not kept
}

func keptVerdictOf(p *seccomp.Profile, f *seccomp.Filter) keptVerdict {
	d, ok := f.Digest()
	if !ok || p.InFile() {
		return keptVerdict{}
	}
	dir, err := cachedir.Dir("seccomp")
	if err != nil {
		return keptVerdict{}
	}
	abis, known := seccomp.KernelABIs()
	names := slices.Sorted(maps.Keys(abis))
	b := build()
	input := strconv.Quote(b) + " " + strconv.Quote(p.Name) + " " + hex.EncodeToString(d[:]) + " known=" + strconv.FormatBool(known)
	for _, n := range names {
		input += " " + n + "=" + strconv.FormatBool(abis[n])
	}
	// one entry per program and build: two builds at work on one machine
	// (an upgrade, a developer's) each keep their own
	bsum := sha256.Sum256([]byte(b))
	return keptVerdict{file: filepath.Join(dir, hex.EncodeToString(d[:16])+"-"+hex.EncodeToString(bsum[:4])+".variants"), input: input}
}

type verdictEntry struct {
	Input string `json:"input"`
	verdict
}

func (k keptVerdict) read() (verdict, bool) {
	var e verdictEntry
	if k.file == "" || cachedir.ReadJSON(k.file, &e) != nil || e.Input != k.input {
		return verdict{}, false
	}
	return e.verdict, true
}

func (k keptVerdict) write(v verdict) {
	if k.file != "" {
		cachedir.WriteJSON(filepath.Dir(k.file), k.file, verdictEntry{Input: k.input, verdict: v}) // a failed store only costs the next launch the check
	}
}
