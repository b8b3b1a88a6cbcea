package audit

import (
	"os"
	"testing"
)

// BenchmarkCorpus audits the shared corpus of real-world manifests (the
// throughput bench/audit.sh compares with peers, without process start).
func BenchmarkCorpus(b *testing.B) {
	dir := os.Getenv("RAMPART_CORPUS")
	if dir == "" {
		dir = "../../shared/corpus/manifests"
	}
	if _, err := os.Stat(dir); err != nil {
		b.Skip("no corpus at " + dir + " (RAMPART_CORPUS)")
	}
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
