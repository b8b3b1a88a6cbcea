package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/report/sarif"
)

const seedDir = "../examples/seed"

// streamInput is the seed, several documents in one file (one of them
// unreadable) and a missing file: every kind of piece audit's Stream
// handles.
func streamInput(t *testing.T) []string {
	return []string{seedDir, "../audit/testdata/stream/multi.yaml", filepath.Join(t.TempDir(), "missing.yaml")}
}

// TestAuditWritersEqualWholeEncoding: each format, written a workload at
// a time, is byte for byte the encoding of the whole document at once
// (decoded from the output and encoded again), so streaming changed no
// output.
func TestAuditWritersEqualWholeEncoding(t *testing.T) {
	a, err := audit.New(audit.Node{AppArmor: true, ProfilesDir: seedDir})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{streamInput(t), {filepath.Join(t.TempDir(), "none.yaml")}} {
		r := a.Files(args)
		for _, tc := range []struct {
			name   string
			render func(*bytes.Buffer) error
			whole  func([]byte) ([]byte, error)
		}{
			{"json", func(b *bytes.Buffer) error { return Audit(b, r, "json", false) }, func(out []byte) ([]byte, error) { return reencodeJSON[audit.Report](out, false) }},
			{"json indented", func(b *bytes.Buffer) error { return Audit(b, r, "json", true) }, func(out []byte) ([]byte, error) { return reencodeJSON[audit.Report](out, true) }},
			{"sarif", func(b *bytes.Buffer) error { return Audit(b, r, "sarif", false) }, func(out []byte) ([]byte, error) { return reencodeJSON[sarif.Log](out, true) }},
			{"junit", func(b *bytes.Buffer) error { return Audit(b, r, "junit", false) }, reencodeJUnit},
		} {
			var b bytes.Buffer
			if err := tc.render(&b); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			want, err := tc.whole(b.Bytes())
			if err != nil {
				t.Fatalf("%s: %v\n%s", tc.name, err, b.Bytes())
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s (%d workloads): streamed output differs from the whole document's encoding:\n%s\nwant:\n%s", tc.name, len(r.Workloads), b.Bytes(), want)
			}
		}
	}
}

func reencodeJSON[T any](out []byte, indent bool) ([]byte, error) {
	var v T
	if err := json.Unmarshal(out, &v); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	if indent {
		enc.SetIndent("", "  ")
	}
	err := enc.Encode(&v)
	return b.Bytes(), err
}

func reencodeJUnit(out []byte) ([]byte, error) {
	var v junitSuites
	if err := xml.Unmarshal(out, &v); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b.WriteString("\n")
	return b.Bytes(), nil
}

// An unknown format is refused with the formats there are.
func TestAuditFormatRefused(t *testing.T) {
	err := Audit(&bytes.Buffer{}, &audit.Report{}, "yaml", false)
	if err == nil || err.Error() != `-o "yaml": want table, json, sarif or junit` {
		t.Errorf("Audit -o yaml: %v", err)
	}
}

func FuzzAudit(f *testing.F) {
	for _, name := range []string{"0-baseline.yaml", "3-apparmor.yaml"} {
		b, err := os.ReadFile(filepath.Join(seedDir, name))
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("kind: List\nitems:\n- kind: Pod\n  spec: {containers: [{name: a, securityContext: {privileged: true, capabilities: {add: [ALL]}}}]}\n"))
	f.Add([]byte("kind: CronJob\nspec: {jobTemplate: {spec: {template: {spec: {containers: [{name: a, securityContext: {seccompProfile: {type: Localhost, localhostProfile: x.json}}}]}}}}}\n"))
	a, err := audit.New(audit.Node{AppArmor: true, SeccompDefault: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := a.Read("fuzz.yaml", data)
		_ = r.Failed(audit.FailOpenPath)
		var sink nopWriter
		if err := Audit(sink, r, "table", false); err != nil {
			t.Fatal(err)
		}
		if err := Audit(sink, r, "sarif", false); err != nil {
			t.Fatal(err)
		}
	})
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
