package record

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/rampart-sec/rampart/internal/atomicfile"
	"github.com/rampart-sec/rampart/internal/strictjson"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/version"
)

// RecordingFile is a recording's name in its directory.
const RecordingFile = "recording.json"

// ReadRecording reads a recording: a JSON file, or a directory holding
// RecordingFile.
func ReadRecording(p string) (*Recording, error) {
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		p = filepath.Join(p, RecordingFile)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	// A key written twice, or in another case than its field's, would be
	// read as the last one or as the field: a recording edited by hand
	// (or planted) must mean what it shows.
	if _, err := strictjson.Check(b, reflect.TypeFor[Recording](), strictjson.Options{}); err != nil {
		return nil, strictjson.InFile(err, p)
	}
	var rec Recording
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if rec.Schema != Schema {
		return nil, fmt.Errorf("%s: schema %q, want %q", p, rec.Schema, Schema)
	}
	return &rec, nil
}

// WriteRecording writes rec as dir/RecordingFile and returns its path.
func WriteRecording(dir string, rec *Recording) (string, error) {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	p := filepath.Join(dir, RecordingFile)
	return p, atomicfile.WriteFile(p, append(b, '\n'), 0o644)
}

// Save writes rec as dir/RecordingFile and, withPolicy, the policy
// generated from it beside it (WritePolicy), and returns the files
// written. The recording is written first, so that a policy that cannot
// be generated loses nothing that was recorded.
func Save(dir string, rec *Recording, withPolicy bool) ([]string, error) {
	return SaveChecked(dir, rec, withPolicy, nil)
}

// SaveChecked is Save with the generated AppArmor profile judged by
// check as well (GenerateOptions.Check): nothing of the policy is
// written when it refuses the profile.
func SaveChecked(dir string, rec *Recording, withPolicy bool, check *apparmor.Checker) ([]string, error) {
	p, err := WriteRecording(dir, rec)
	if err != nil {
		return nil, err
	}
	written := []string{p}
	if !withPolicy {
		return written, nil
	}
	more, err := writePolicy(dir, rec, check)
	if err != nil {
		return written, fmt.Errorf("recording written to %s, but the policy could not be generated: %w", p, err)
	}
	return append(written, more...), nil
}

// mergedRaw is how many raw paths a merged file access keeps.
const mergedRaw = 5

// Merge combines recordings of the same workload (replicas, test runs)
// into one that allows what any of them used. Counts add up; RunsUsing
// says, per syscall, how many of the runs made it, which is what a
// merged profile's confidence in that syscall rests on. The command is
// the first recording's, the exit code the last one's.
func Merge(recs ...*Recording) *Recording {
	out := &Recording{Schema: Schema, RampartVersion: version.Version(), Syscalls: map[string]map[string]uint64{}, RunsUsing: map[string]map[string]int{}}
	args := map[ArgValue]uint64{}
	socks := map[SocketUse]uint64{}
	capIdx := map[string]int{}
	fileIdx := map[string]int{}
	seen := map[string]bool{}
	for _, r := range recs {
		if r == nil {
			continue
		}
		runs := max(r.Runs, 1)
		if out.Runs == 0 {
			out.Command, out.Recorder, out.Kernel, out.Started = r.Command, r.Recorder, r.Kernel, r.Started
		}
		out.Name = cmp.Or(out.Name, r.Name) // the first recording's that has one
		if out.User == nil {
			out.User = r.User
		}
		out.Runs += runs
		out.Duration += r.Duration
		out.ExitCode = r.ExitCode
		if !r.Started.IsZero() && (out.Started.IsZero() || r.Started.Before(out.Started)) {
			out.Started = r.Started
		}
		if r.Recorder != out.Recorder && !strings.Contains(out.Recorder, r.Recorder) {
			out.Recorder += "+" + r.Recorder
		}
		for abi, calls := range r.Syscalls {
			for name, n := range calls {
				if n == 0 {
					continue
				}
				if out.Syscalls[abi] == nil {
					out.Syscalls[abi] = map[string]uint64{}
					out.RunsUsing[abi] = map[string]int{}
				}
				out.Syscalls[abi][name] += n
				using := runs // a single run, or a merge without coverage
				if u, ok := r.RunsUsing[abi][name]; ok {
					using = u
				}
				out.RunsUsing[abi][name] += using
			}
		}
		for _, a := range r.Args {
			n := a.Count
			a.Count = 0
			args[a] += n
		}
		for _, s := range r.Sockets {
			n := s.Count
			s.Count = 0
			socks[s] += n
		}
		for _, c := range r.Capabilities {
			if i, ok := capIdx[c.Cap]; ok {
				out.Capabilities[i].Granted += c.Granted
				out.Capabilities[i].Denied += c.Denied
				continue
			}
			capIdx[c.Cap] = len(out.Capabilities)
			out.Capabilities = append(out.Capabilities, c)
		}
		for _, f := range r.Files {
			i, ok := fileIdx[f.Path]
			if !ok {
				fileIdx[f.Path] = len(out.Files)
				out.Files = append(out.Files, FileAccess{Path: f.Path})
				i = len(out.Files) - 1
			}
			m := &out.Files[i]
			m.Mode = mergeModes(m.Mode, f.Mode)
			m.Count += f.Count
			for _, raw := range f.Raw {
				if len(m.Raw) < mergedRaw && !slices.Contains(m.Raw, raw) {
					m.Raw = append(m.Raw, raw)
				}
			}
		}
		for _, e := range r.Exec {
			if !slices.Contains(out.Exec, e) {
				out.Exec = append(out.Exec, e)
			}
		}
		for _, l := range r.Limits {
			if !seen[l] {
				seen[l] = true
				out.Limits = append(out.Limits, l)
			}
		}
	}
	for a, n := range args {
		a.Count = n
		out.Args = append(out.Args, a)
	}
	slices.SortFunc(out.Args, func(a, b ArgValue) int {
		return cmp.Or(cmp.Compare(a.ABI, b.ABI), cmp.Compare(a.Syscall, b.Syscall), cmp.Compare(a.Arg, b.Arg), cmp.Compare(a.Value, b.Value))
	})
	for s, n := range socks {
		s.Count = n
		out.Sockets = append(out.Sockets, s)
	}
	slices.SortFunc(out.Sockets, func(a, b SocketUse) int {
		return cmp.Or(cmp.Compare(a.Syscall, b.Syscall), cmp.Compare(a.Family, b.Family), cmp.Compare(a.Type, b.Type), cmp.Compare(a.Protocol, b.Protocol))
	})
	slices.SortFunc(out.Capabilities, func(a, b CapUse) int { return cmp.Compare(a.Cap, b.Cap) })
	slices.SortFunc(out.Files, func(a, b FileAccess) int { return cmp.Compare(a.Path, b.Path) })
	// Empty lists, not nulls, as the recorders write them.
	for _, l := range []*[]string{&out.Exec, &out.Limits} {
		if *l == nil {
			*l = []string{}
		}
	}
	if out.Args == nil {
		out.Args = []ArgValue{}
	}
	if out.Sockets == nil {
		out.Sockets = []SocketUse{}
	}
	if out.Capabilities == nil {
		out.Capabilities = []CapUse{}
	}
	if out.Files == nil {
		out.Files = []FileAccess{}
	}
	return out
}

// mergeModes is the union of two mode strings, in the letters' usual
// order.
func mergeModes(a, b string) string {
	var out string
	for _, c := range "rwacxlk" {
		if strings.ContainsRune(a, c) || strings.ContainsRune(b, c) {
			out += string(c)
		}
	}
	return out
}
