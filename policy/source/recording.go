package source

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rampart-sec/rampart/oci"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/record"
)

// schemaOf is the "schema" a JSON file declares, "" for none. It only
// tells rampart's formats apart; the format's own decoder reads the
// file strictly afterwards.
func schemaOf(b []byte) string {
	var v struct {
		Schema string `json:"schema"`
	}
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	return v.Schema
}

// named is what a policy argument names: a recording (its path), or a
// policy file already decoded, or neither (file is to be decoded as a
// policy, which refuses what it is not).
type named struct {
	recording string
	policy    *policy.Policy
	file      string
}

// lookup tells what arg names: a directory `rampart record` wrote (its
// recording), a recording file, a policy file that names the recording
// it was generated from (when that recording is still there), or a
// policy file. A recording is known by its schema, never by its name.
func lookup(arg string) (*named, error) {
	fi, err := os.Stat(arg)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	if fi.IsDir() {
		return &named{recording: filepath.Join(arg, record.RecordingFile), file: filepath.Join(arg, record.PolicyFile)}, nil
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	switch schemaOf(b) {
	case record.Schema:
		return &named{recording: arg, file: filepath.Join(filepath.Dir(arg), record.PolicyFile)}, nil
	case policy.Schema:
		p, err := policy.Decode(arg, b)
		if err != nil {
			return nil, err
		}
		// The file says which recording it came from; layers then
		// measures that recording's policy, not the file's own rules,
		// and its note names the recording, so a file pointing at
		// another recording is seen doing so. run and record --check
		// enforce the file as written.
		n := &named{policy: p, file: arg}
		if fi, err := os.Stat(p.Recording); p.Recording != "" && err == nil && fi.Mode().IsRegular() {
			n.recording = p.Recording
		}
		return n, nil
	}
	return &named{file: arg}, nil
}

// policyFile reads Input.Policy: the policy it names, or the policy of
// the recording it names (see Input.Probe).
func (r *Resolved) policyFile(in *Input) (*policy.Policy, error) {
	// A bundle's config.json is named like a policy file (layers and
	// record --check take any .json as one): it is read as --from reads it.
	if body, err := os.ReadFile(in.Policy); err == nil && oci.IsConfig(body) {
		return r.manifest(in.Policy, in.ApparmorDir, in)
	}
	n, err := lookup(in.Policy)
	if err != nil {
		return nil, err
	}
	if in.Probe != "" && n.recording != "" {
		rec, err := record.ReadRecording(n.recording)
		if err != nil {
			return nil, &InputError{Err: err}
		}
		return r.recorded(rec, n.recording, in.Probe)
	}
	if n.policy != nil {
		return n.policy, nil
	}
	return ReadPolicy(n.file)
}

// ReadPolicy reads a policy file: a file that cannot be read is an
// InputError, one that is read and refused a policy.LayerError.
func ReadPolicy(path string) (*policy.Policy, error) {
	return policy.ReadInput(path)
}

// Recording reads the recording `rampart harden --from-recording
// ARG[#CONTAINER]` names: a directory `rampart record` wrote, a
// recording file, or the policy file generated from one. It returns the
// recording and the container named after '#' ("" for none).
func Recording(arg string) (*record.Recording, string, error) {
	ref, ctr := arg, ""
	if i := strings.LastIndexByte(arg, '#'); i >= 0 {
		ref, ctr = arg[:i], arg[i+1:]
	}
	n, err := lookup(ref)
	if err != nil {
		return nil, "", err
	}
	if n.recording == "" {
		return nil, "", fmt.Errorf("%s is no recording and names none: want the directory `rampart record` wrote, its %s, or the %s generated beside it", ref, record.RecordingFile, record.PolicyFile)
	}
	rec, err := record.ReadRecording(n.recording)
	if err != nil {
		return nil, "", err
	}
	return rec, ctr, nil
}

// recorded is the policy of a recording for `rampart layers`: the
// recording merged with the probe's frame, so that the probe (a Go
// program the workload's allow list knows nothing of) can start and
// report under it. The frame holds no attack's call
// (TestProbeFrameEmbedded), so what the workload did not use stays
// closed; a note says what was added.
func (r *Resolved) recorded(rec *record.Recording, recPath, self string) (*policy.Policy, error) {
	frame, err := record.ProbeFrame(self)
	if err != nil {
		return nil, err
	}
	var added []string
	for abi, calls := range frame.Syscalls {
		for n := range calls {
			if rec.Syscalls[abi][n] == 0 {
				added = append(added, n)
			}
		}
	}
	slices.Sort(added)
	added = slices.Compact(added)
	tmp, err := r.tmp()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(tmp, "recorded")
	if _, err := record.WritePolicy(dir, record.Merge(rec, frame)); err != nil {
		return nil, fmt.Errorf("%s: %w", recPath, err)
	}
	p, err := policy.ReadFile(filepath.Join(dir, record.PolicyFile))
	if err != nil {
		return nil, err
	}
	p.Source = "recording " + recPath
	r.Notes = append(r.Notes, fmt.Sprintf("the policy generated from %s, with the probe's own needs added so that it can run and report under it: %d system call(s) the workload did not make (%s), none of them an attack's, and read access to the files the probe reads (its binary, /proc, /sys)",
		recPath, len(added), strings.Join(added, ", ")))
	return p, nil
}
