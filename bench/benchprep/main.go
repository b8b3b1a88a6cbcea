//go:build linux

// Command benchprep prepares the peers of bench/launch.sh so that they run
// the same layers as rampart:
//
//	benchprep filter PID FILE   writes the seccomp filter the kernel holds
//	                            for PID (read back with ptrace) as raw BPF,
//	                            the form bwrap --seccomp reads
//	benchprep runc BUNDLE       rewrites BUNDLE/config.json (from `runc spec`)
//	                            to run /bin/true with containerd's
//	                            capabilities minus NET_RAW and SYS_ADMIN and
//	                            the RuntimeDefault profile resolved for them
//	benchprep seccomp-peers PID DIR
//	                            for the RuntimeDefault profile resolved for
//	                            PID's bounding set (what `rampart run
//	                            --seccomp runtime-default` loaded into PID),
//	                            writes DIR/runc.bpf, the filter Debian's runc
//	                            loads into a container for it, DIR/linear.bpf,
//	                            libseccomp's linear form of it, and
//	                            DIR/profile.json, DIR/bounding
//	benchprep seccomp-report DIR...
//	                            prints the Markdown report of bench/seccomp.sh,
//	                            a section per DIR, from DIR/{rampart,runc,
//	                            linear}.bpf, DIR/flags (the `rampart run`
//	                            flags) and DIR/times.txt (bench/syscallcost's
//	                            lines, each prefixed with the filter's name)
//
// and the corpus of bench/audit.sh:
//
//	benchprep flatten SRC DST   copies the manifests under SRC to DST/fNNN.yaml,
//	                            one flat directory, every object's
//	                            metadata.namespace made unique per file (see
//	                            flatten.go); prints "fNNN.yaml<TAB>source"
//	benchprep objects DIR       prints each object of DIR/*.yaml as a JSON
//	                            line {"file": "fNNN.yaml", "object": ...}
//
// and the floor column of bench/record.sh:
//
//	benchprep floor -- CMD...   runs CMD with no-op programs on the raw
//	                            tracepoints sys_enter and sys_exit (see
//	                            floor.go)
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchprep:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 3 && args[0] == "filter":
		pid, err := strconv.Atoi(args[1])
		if err != nil {
			return err
		}
		prog, err := seccomp.DumpFilter(pid, 0)
		if err != nil {
			return err
		}
		return os.WriteFile(args[2], seccomp.Bytes(prog), 0o644)
	case len(args) == 2 && args[0] == "runc":
		path := filepath.Join(args[1], "config.json")
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var spec specs.Spec
		if err := json.Unmarshal(b, &spec); err != nil {
			return err
		}
		set := runtimes.Containerd.Caps.Remove(caps.NET_RAW).Remove(caps.SYS_ADMIN)
		names := set.Names(caps.Cap.OCI)
		spec.Process.Terminal = false
		spec.Process.Args = []string{"/bin/true"}
		spec.Process.NoNewPrivileges = true
		spec.Process.Capabilities = &specs.LinuxCapabilities{Bounding: names, Effective: names, Permitted: names}
		prof, err := seccomp.Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, set)
		if err != nil {
			return err
		}
		spec.Linux.Seccomp = prof.Spec
		out, err := json.MarshalIndent(&spec, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(path, out, 0o644)
	case len(args) == 3 && args[0] == "seccomp-peers":
		pid, err := strconv.Atoi(args[1])
		if err != nil {
			return err
		}
		return seccompPeers(pid, args[2])
	case len(args) >= 2 && args[0] == "seccomp-report":
		return seccompReport(args[1:], os.Stdout)
	case len(args) == 3 && args[0] == "flatten":
		return flatten(args[1], args[2], os.Stdout)
	case len(args) == 2 && args[0] == "objects":
		return objectsJSON(args[1], os.Stdout)
	case len(args) >= 3 && args[0] == "floor" && args[1] == "--":
		return floor(args[2:])
	}
	return fmt.Errorf("usage: benchprep filter PID FILE | benchprep runc BUNDLE | benchprep seccomp-peers PID DIR | benchprep seccomp-report DIR... | benchprep flatten SRC DST | benchprep objects DIR | benchprep floor -- CMD...")
}
