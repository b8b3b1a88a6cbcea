//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/sdlab"
	"github.com/rampart-sec/rampart/internal/unitfile"
	"github.com/rampart-sec/rampart/systemd"
)

// unitLayerKeys are the [Service] keys a test unit carries over from a
// Debian unit: those that set the process's layers, and those that
// confine it otherwise (so that systemd runs it as Debian would).
var unitLayerKeys = map[string]bool{
	"User": true, "Group": true, "DynamicUser": true, "SupplementaryGroups": true,
	"CapabilityBoundingSet": true, "AmbientCapabilities": true, "NoNewPrivileges": true,
	"SystemCallFilter": true, "SystemCallErrorNumber": true, "SystemCallArchitectures": true,
	"RestrictAddressFamilies": true, "RestrictNamespaces": true, "LockPersonality": true,
	"MemoryDenyWriteExecute": true, "RestrictRealtime": true, "RestrictSUIDSGID": true,
	"ProtectClock": true, "ProtectKernelModules": true, "ProtectKernelLogs": true,
	"ProtectKernelTunables": true, "ProtectHostname": true, "PrivateDevices": true,
	"ProtectSystem": true, "ProtectHome": true, "PrivateTmp": true, "ProtectControlGroups": true,
	"PrivateNetwork": true, "ProtectProc": true,
}

// sdTestUnits are the units whose prediction is held to systemd: some
// written for the test, and every Debian unit that sets a layer, with
// its layer directives. Each allow list answers EPERM: under systemd's
// default (the process is killed) the probe could not report.
func sdTestUnits(t *testing.T) map[string]string {
	units := map[string]string{
		"root-default":    "",
		"root-bounded":    "CapabilityBoundingSet=CAP_CHOWN CAP_NET_BIND_SERVICE CAP_SYS_ADMIN\nSystemCallFilter=~@mount\nSystemCallErrorNumber=EPERM\n",
		"root-filtered":   "CapabilityBoundingSet=~CAP_SYS_ADMIN CAP_NET_RAW\nSystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM\nRestrictNamespaces=yes\n",
		"nobody-ambient":  "User=nobody\nCapabilityBoundingSet=CAP_NET_RAW CAP_SYS_CHROOT\nAmbientCapabilities=CAP_NET_RAW CAP_SYS_CHROOT\n",
		"nobody-hardened": "User=nobody\nNoNewPrivileges=yes\nSystemCallArchitectures=native\nSystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\nPrivateDevices=yes\nProtectClock=yes\nProtectKernelModules=yes\n",
		"implied-drops":   "PrivateDevices=yes\nProtectKernelModules=yes\nProtectKernelLogs=yes\nProtectClock=yes\n",
		"nobody-logged":   "User=nobody\nSystemCallLog=@mount\n",
	}
	ms, _ := filepath.Glob("/lib/systemd/system/*.service")
	for _, m := range ms {
		if st, err := os.Lstat(m); err != nil || !st.Mode().IsRegular() {
			continue
		}
		u, err := unitfile.Read(m)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		layered := false
		for _, e := range u.Section("Service") {
			if unitLayerKeys[e.Key] && !strings.Contains(e.Value, "%") {
				fmt.Fprintf(&b, "%s=%s\n", e.Key, e.Value)
				layered = layered || e.Key != "User" && e.Key != "Group"
			}
		}
		if layered && strings.Contains(b.String(), "SystemCallFilter=") && !strings.Contains(b.String(), "SystemCallErrorNumber=") {
			// an allow list that kills the process at its first refused
			// call leaves the probe nothing to report with
			t.Logf("%s: not probed: its SystemCallFilter= kills the process at the first call it refuses", m)
			continue
		}
		if layered {
			units["debian-"+strings.TrimSuffix(filepath.Base(m), ".service")] = b.String()
		}
	}
	return units
}

// Prediction equals measurement for systemd services, with systemd as
// the engine: what rampart audit predicts for a unit is what rampart
// probe measures when this machine's systemd (PID 1 of a container,
// sdlab) runs it with the unit's directives (systemd-run); and rampart
// run --from the unit, on the host, gives the process what systemd gave
// it (predictionMatchesMeasurement says for which paths).
func TestSystemdPredictionEqualsMeasurement(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	if why := sdlab.Need(); why != "" {
		t.Skip(why)
	}
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	lab, err := sdlab.Start(ctx, t.TempDir(), "rampart-sdp-"+strconv.Itoa(os.Getpid()), os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	inLab := "/usr/local/bin/" + filepath.Base(os.Args[0])
	self := selfForEveryone(t) // run as the unit's user, too
	// the node is this machine, whose kernel may run no i386 code
	var node []string
	if features.HaveIA32() != nil {
		node = append(node, "--node-kernel", "no-ia32")
	}
	dir := t.TempDir()
	units := sdTestUnits(t)
	if len(units) < 15 {
		t.Fatalf("only %d units", len(units))
	}
	names := make([]string, 0, len(units))
	for n := range units {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		body := units[name]
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, name+".service")
			if err := os.WriteFile(file, []byte("[Service]\nExecStart="+inLab+" probe\n"+body), 0o644); err != nil {
				t.Fatal(err)
			}
			predicted := auditPaths(t, file, node...)[systemd.PodName(name+".service")]
			if predicted == nil {
				t.Fatalf("no prediction for %s", name)
			}
			args := []string{"systemd-run", "--wait", "--pipe", "--quiet", "--setenv=" + asRampart + "=1"}
			for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
				if l != "" {
					args = append(args, "--property="+l)
				}
			}
			out, err := lab.Exec(ctx, append(args, inLab, "probe", "-o", "json")...)
			bySystemd, _ := decodeProbe(t, "under systemd", out, err)
			predictionMatchesMeasurement(t, predicted, bySystemd)
			if !strings.Contains(body, "DynamicUser") && !strings.Contains(body, "SupplementaryGroups") {
				// the same unit under rampart run: what systemd gave
				r := rampart(t, "", "run", "--from", file, "--", self, "probe", "-o", "json")
				if r.code != 0 {
					t.Fatalf("rampart run --from %s: exit %d: %s", file, r.code, r.stderr)
				}
				byRampart, _ := decodeProbe(t, "under rampart run", []byte(r.stdout), nil)
				sameMeasurement(t, bySystemd, byRampart)
				// and the kernel's account of the process is the same
				status := []string{"/bin/grep", "-E", "^(Uid|Gid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):", "/proc/self/status"}
				want, err := lab.Exec(ctx, append(args[:len(args):len(args)], status...)...)
				if err != nil {
					t.Fatal(err)
				}
				r = rampart(t, "", append([]string{"run", "--from", file, "--"}, status...)...)
				if strings.Contains(r.stderr, "as root the process holds its whole bounding set anyway; rampart run leaves its ambient set empty") {
					// said: a root service's partial ambient set, which
					// rampart run does not raise
					ambient := regexp.MustCompile(`(?m)^Cap(Inh|Amb):.*\n`)
					want = ambient.ReplaceAll(want, nil)
					r.stdout = ambient.ReplaceAllString(r.stdout, "")
				}
				if r.code != 0 || r.stdout != string(want) {
					t.Errorf("under rampart run (exit %d):\n%s\nunder systemd:\n%s", r.code, r.stdout, want)
				}
			}
		})
	}
}

// sameMeasurement holds two measurements to each other on the paths
// the capabilities and seccomp decide in both.
func sameMeasurement(t *testing.T, a, b map[string]attack.Result) {
	t.Helper()
	compared := 0
	defer func() {
		if compared < 10 {
			t.Errorf("only %d paths compared", compared)
		}
	}()
	for id, x := range a {
		y, ok := b[id]
		if !ok || !decidedByLayers(x.Layer) || !decidedByLayers(y.Layer) || id == "setns-host" {
			continue
		}
		compared++
		if x.Verdict != y.Verdict || x.Layer != y.Layer {
			t.Errorf("%s: under systemd %s by %s, under rampart run %s by %s (%s)", id, x.Verdict, x.Layer, y.Verdict, y.Layer, y.Evidence)
		}
	}
}
