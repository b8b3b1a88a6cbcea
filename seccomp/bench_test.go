package seccomp

import (
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
)

// The launcher resolves RuntimeDefault on every start.
func BenchmarkLoadRuntimeDefault(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, caps.Full); err != nil {
			b.Fatal(err)
		}
	}
}
