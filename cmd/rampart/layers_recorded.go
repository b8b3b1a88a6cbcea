package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/record"
)

// recordingOf finds the recording behind --policy ARG: a directory
// `rampart record` wrote, a recording file, or a policy file that names
// the recording it was generated from (when that is still there). A
// recording is known by its schema, not by its name. Nil when ARG is
// some other policy.
func recordingOf(arg string) (*record.Recording, string, error) {
	fi, err := os.Stat(arg)
	if err != nil {
		return nil, "", usageError{err}
	}
	recPath := ""
	if fi.IsDir() {
		recPath = filepath.Join(arg, record.RecordingFile)
	} else {
		b, err := os.ReadFile(arg)
		if err != nil {
			return nil, "", usageError{err}
		}
		var head struct {
			Schema string `json:"schema"`
		}
		json.Unmarshal(b, &head)
		switch head.Schema {
		case record.Schema:
			recPath = arg
		case policy.Schema:
			p, err := policy.Decode(arg, b)
			if err != nil {
				return nil, "", err
			}
			if fi, err := os.Stat(p.Recording); p.Recording == "" || err != nil || !fi.Mode().IsRegular() {
				return nil, "", nil
			}
			recPath = p.Recording
		default:
			return nil, "", nil
		}
	}
	rec, err := record.ReadRecording(recPath)
	if err != nil {
		return nil, "", usageError{err}
	}
	return rec, recPath, nil
}

// recordedPolicy is the policy of a recording for `rampart layers`: the
// recording merged with the probe's frame, so that the probe (a Go
// program the workload's allow list knows nothing of) can start and
// report under it. The frame holds no attack's call
// (TestProbeFrameEmbedded), so what the workload did not use stays
// closed; a note says what was added.
func recordedPolicy(rec *record.Recording, recPath, self, tmp string, lf *layerFlags) (*policy.Policy, []string, error) {
	frame, err := record.ProbeFrame(self)
	if err != nil {
		return nil, nil, err
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
	dir := filepath.Join(tmp, "recorded")
	if _, err := record.WritePolicy(dir, record.Merge(rec, frame)); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", recPath, err)
	}
	p, err := buildPolicy(lf, "", filepath.Join(dir, record.PolicyFile))
	if err != nil {
		return nil, nil, err
	}
	p.Source = "recording " + recPath
	note := fmt.Sprintf("the policy generated from %s, with the probe's own needs added so that it can run and report under it: %d system call(s) the workload did not make (%s), none of them an attack's, and read access to the files the probe reads (its binary, /proc, /sys)",
		recPath, len(added), strings.Join(added, ", "))
	return p, []string{note}, nil
}
