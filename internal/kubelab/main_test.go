//go:build linux

package kubelab

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/seccomp"
)

// The kube tier runs only when asked (RAMPART_KUBE=1, as `make kube-test`
// and CI do): it builds Kubernetes on a cold machine and changes host
// sysctls while it runs. RAMPART_KUBE=attach uses a lab that
// `go run ./internal/kubelab/cmd/kubelab up` left running and leaves it up.
var (
	lab        *Cluster
	labErr     error
	skipWhy    string
	rampartBin string
)

func TestMain(m *testing.M) {
	// As rampart's main: audit's predictions compile profiles, a cache
	// miss in this test binary re-executed as the seccomp compile helper.
	seccomp.HelperMain()
	mode := os.Getenv("RAMPART_KUBE")
	switch {
	case mode == "":
		skipWhy = "the kube tier runs with RAMPART_KUBE=1 (make kube-test): it needs root, a Kubernetes build (cached in " + CacheDir + ") and etcd/containerd"
		os.Exit(m.Run())
	case os.Geteuid() != 0:
		skipWhy = "the kube tier needs root"
		os.Exit(m.Run())
	}
	rampartBin = os.Getenv("RAMPART_BIN")
	if rampartBin == "" {
		rampartBin, _ = filepath.Abs("../../bin/rampart")
	}
	log := func(s string) { fmt.Fprintln(os.Stderr, "kubelab:", s) }
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	if mode == "attach" {
		lab, labErr = Attach(ctx)
		cancel()
		os.Exit(m.Run())
	}
	// Tear down on interrupt too: the kubelet leaves panic_on_oops=1 and
	// a bridge behind otherwise.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		log(fmt.Sprintf("%v: tearing the lab down", s))
		cancel()
		Down(log)
		os.Exit(130)
	}()
	lab, labErr = Up(ctx, rampartBin, log)
	cancel()
	code := m.Run()
	signal.Stop(sig)
	Down(log)
	if left := Leftovers(); len(left) > 0 {
		log("Down left these behind: " + strings.Join(left, "; "))
		code = 1
	}
	os.Exit(code)
}

// needLab returns the running lab or skips/fails: with RAMPART_KUBE set, a
// lab that did not come up is a failure, never a skip.
func needLab(t *testing.T) *Cluster {
	t.Helper()
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	if labErr != nil {
		t.Fatalf("the lab did not come up: %v", labErr)
	}
	return lab
}
