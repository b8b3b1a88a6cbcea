package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy/source"
	"github.com/rampart-sec/rampart/record"
	"github.com/rampart-sec/rampart/runtimes"
)

// recordMerge is `rampart record --merge DIR... --out DIR`: it merges
// recordings of the same workload (replicas, test runs; directories
// rampart record wrote, or recording files) into one, writes it and the
// policy generated from it into out, and prints how many runs made each
// syscall that not all of them made.
func recordMerge(args []string, out, name string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("--merge: name the recordings to merge (directories rampart record wrote, or recording files)")}
	}
	if out == "" {
		return usageError{errors.New("--merge: --out DIR says where the merged recording goes")}
	}
	var recs []*record.Recording
	for _, a := range args {
		r, err := record.ReadRecording(a)
		if err != nil {
			return usageError{err}
		}
		recs = append(recs, r)
	}
	m := record.Merge(recs...)
	if name != "" {
		m.Name = name
	}
	judge := &apparmor.Checker{}
	written, err := record.SaveChecked(out, m, true, judge)
	if err != nil {
		return err
	}
	if v := judge.Validation(); v != nil && v.Note != "" {
		fmt.Fprintln(stderr, "rampart: record:", v.Note)
	}
	fmt.Fprintf(stdout, "merged %d runs of %s\n", m.Runs, strings.Join(m.Command, " "))
	fmt.Fprintf(stdout, "coverage (runs that made the syscall, of %d):\n", m.Runs)
	for _, abi := range slices.Sorted(maps.Keys(m.Syscalls)) {
		byRuns := map[int][]string{}
		for name := range m.Syscalls[abi] {
			byRuns[m.RunsUsing[abi][name]] = append(byRuns[m.RunsUsing[abi][name]], name)
		}
		var counts []int
		for n := range byRuns {
			counts = append(counts, n)
		}
		sort.Sort(sort.Reverse(sort.IntSlice(counts)))
		for _, n := range counts {
			names := byRuns[n]
			sort.Strings(names)
			if n == m.Runs {
				fmt.Fprintf(stdout, "  %-7s %d/%d  %d syscalls\n", abi, n, m.Runs, len(names))
				continue
			}
			fmt.Fprintf(stdout, "  %-7s %d/%d  %s\n", abi, n, m.Runs, strings.Join(names, " "))
		}
	}
	for _, f := range written {
		fmt.Fprintln(stdout, "wrote", f)
	}
	return nil
}

// recordCheck is the gate of `rampart record --check POLICY -- CMD`:
// given the run's recording, it prints each use the policy does not
// allow and fails with exit status 1 if there is any. POLICY is a policy
// file, a directory rampart record wrote (its policy.json), or a
// Kubernetes manifest (FILE[#CONTAINER], Localhost profiles looked up in
// apparmorDir and seccompDir).
func recordCheck(rec *record.Recording, policyArg, apparmorDir, seccompDir string, judge *apparmor.Checker, stdout io.Writer) error {
	in := source.Input{ApparmorDir: apparmorDir, SeccompDir: seccompDir, Defaults: runtimes.Containerd.Caps}
	in.Name(policyArg)
	res, err := source.Resolve(in)
	if err != nil {
		return err
	}
	defer res.Close()
	// A verdict against a profile no node loads would describe nothing.
	if err := judgeReference(judge, res.Policy.AppArmor); err != nil {
		return fmt.Errorf("--check %s: %w", policyArg, err)
	}
	missing, err := record.Check(rec, res.Policy)
	if err != nil {
		return fmt.Errorf("--check %s: %w", policyArg, err)
	}
	if len(missing) == 0 {
		fmt.Fprintf(stdout, "rampart record: the run stayed within %s\n", policyArg)
		return nil
	}
	fmt.Fprintf(stdout, "rampart record: the run needs %d thing(s) %s does not allow:\n", len(missing), policyArg)
	for _, m := range missing {
		fmt.Fprintf(stdout, "  %s (%d)\n", m, m.Count)
	}
	return statusError{code: 1, err: fmt.Errorf("--check %s: %d use(s) not allowed", policyArg, len(missing))}
}
