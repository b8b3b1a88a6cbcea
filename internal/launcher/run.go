package launcher

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/policy/overlay"
	"github.com/rampart-sec/rampart/sandbox"
	"github.com/rampart-sec/rampart/seccomp"
)

// Run is `rampart run` once fl, where r's flags are registered, has
// parsed the command line: it builds the policy and becomes argv under
// it. resolve builds the policy of an input that names a file
// (NamesFile); a launch from flags alone is laid over nothing here, as
// policy/source would.
func (r *RunFlags) Run(fl *pflag.FlagSet, argv []string, stderr io.Writer, resolve func(*RunFlags) (*policy.Policy, error)) error {
	f := &r.Layers.Flags
	if fl.Changed("no-new-privs") {
		f.NoNewPrivs = &r.noNewPrivs
	}
	if f.UserNS == "auto" && len(argv) > 0 && looksLikeIDs(argv[0]) {
		// --userns 100000 CMD: the flag's value is optional, so the
		// number was taken for the command.
		return UsageError{fmt.Errorf("--userns %s: a block is given with =, as --userns=%s", argv[0], argv[0])}
	}
	if err := sandbox.CheckPreserveFDs(r.PreserveFDs); err != nil {
		return UsageError{err}
	}
	var p *policy.Policy
	var err error
	if r.NamesFile() {
		p, err = resolve(r)
	} else {
		p, err = overlay.Flags(nil, f, r.Layers.ApparmorDir, true)
	}
	if err != nil {
		return err
	}
	return Launch(stderr, p, argv, Options{PreserveFDs: r.PreserveFDs, Strict: r.Strict, Verbose: r.Verbose})
}

// looksLikeIDs says whether s is HOSTID or HOSTID:SIZE.
func looksLikeIDs(s string) bool {
	h, n, _ := strings.Cut(s, ":")
	return h != "" && strings.Trim(h, "0123456789") == "" && strings.Trim(n, "0123456789") == ""
}

// Options tune a launch.
type Options struct {
	PreserveFDs     int
	Strict, Verbose bool

	abis chan struct{} // closed once the kernel's ABIs are known
}

// Launch applies p's layers to this process and becomes argv, as `rampart
// run` and a layers step do: it returns only when something refused.
func Launch(stderr io.Writer, p *policy.Policy, argv []string, o Options) error {
	if p.UserNS != nil {
		// The namespace comes first: every other layer is applied by the
		// launcher inside it, over the ids and capabilities it maps.
		in, err := sandbox.InUserNS(p.UserNS)
		if err != nil {
			return err
		}
		if !in {
			return launchInUserNS(stderr, p, argv, o)
		}
		if o.Verbose {
			io.WriteString(stderr, "rampart: user namespace: "+p.UserNS.String()+" (uid_map and gid_map read back)\n")
		}
	}
	if p.Seccomp.Enabled() {
		// The variant check asks which ABIs this kernel runs, an i386
		// program forked and executed: started now, it runs while the
		// layers are prepared. It ends before anything is applied: no
		// thread of ours may be forking when this one execs.
		abis := make(chan struct{})
		go func() {
			defer close(abis)
			seccomp.KernelABIs()
		}()
		defer func() { <-abis }() // on a refusal
		o.abis = abis
	}
	pl, err := sandbox.Prepare(p, argv, os.Environ())
	if err != nil {
		return err
	}
	pl.PreserveFDs = o.PreserveFDs
	for _, n := range pl.Notes {
		io.WriteString(stderr, "rampart: "+n+"\n")
	}
	if err := checkProfileVariants(stderr, pl, o.Strict, o.Verbose); err != nil {
		pl.Close()
		return err
	}
	if o.abis != nil {
		<-o.abis
	}
	if !o.Verbose {
		return pl.Exec(nil)
	}
	for _, n := range pl.Details {
		io.WriteString(stderr, "rampart: "+n+"\n")
	}
	for _, l := range pl.Describe() {
		io.WriteString(stderr, "rampart: plan: "+l+"\n")
	}
	return pl.Exec(stderr)
}
