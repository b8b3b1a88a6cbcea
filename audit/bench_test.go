package audit

import (
	"os"
	"testing"
)

// benchCorpus is the shared corpus of real-world manifests, or
// RAMPART_CORPUS (bench/audit-scale.sh's flattened copy, say).
func benchCorpus(b *testing.B) string {
	dir := os.Getenv("RAMPART_CORPUS")
	if dir == "" {
		dir = corpusDir()
	}
	if _, err := os.Stat(dir); dir == "" || err != nil {
		b.Skip("no corpus (RAMPART_CORPUS)")
	}
	return dir
}

// BenchmarkCorpus audits the shared corpus of real-world manifests (the
// throughput bench/audit.sh compares with peers, without process start),
// keeping the whole report.
func BenchmarkCorpus(b *testing.B) {
	dir := benchCorpus(b)
	a, err := New(Node{Runtime: "containerd"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := a.Files([]string{dir})
		if r.Summary.Objects == 0 {
			b.Fatal("no objects")
		}
	}
}

// BenchmarkCorpusStream audits the corpus as rampart audit does, each
// workload forgotten once emitted: its B/op and allocs/op divided by
// objects/op are the allocation per object, which -benchmem tracks.
func BenchmarkCorpusStream(b *testing.B) {
	dir := benchCorpus(b)
	a, err := New(Node{Runtime: "containerd"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	objects := 0
	for b.Loop() {
		r, err := a.Stream([]string{dir}, 0, func(*Workload) error { return nil })
		if err != nil || r.Summary.Objects == 0 {
			b.Fatal("no objects", err)
		}
		objects = r.Summary.Objects
	}
	b.ReportMetric(float64(objects), "objects/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*objects), "ns/object")
}
