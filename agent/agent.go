// Package agent is rampart's node agent: on each node, from a
// DaemonSet, it installs the profiles of a ConfigMap where the node's
// kubelet and kernel take them — seccomp JSON into the kubelet's
// Localhost directory, AppArmor profiles loaded with the host's
// apparmor_parser where the kernel has AppArmor — and labels the node
// with what it holds, so Pods can be placed where their profiles are.
// Nothing is installed that rampart cannot read: a profile it refuses is
// reported, and the node keeps what it had.
package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/rampart-sec/rampart/cluster"
	"github.com/rampart-sec/rampart/internal/atomicfile"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/seccomp"
)

// Labels the agent sets on its node.
const (
	// AppArmorLabel is cluster.AppArmorEnabled where the node's kernel
	// enforces AppArmor, cluster.AppArmorDisabled elsewhere: rampart
	// layers and audit --cluster read it.
	AppArmorLabel = cluster.AppArmorLabel
	// SeccompPrefix and AppArmorPrefix name a profile the node holds,
	// valued by the first 12 hex digits of its file's sha256: a Pod can
	// ask for the node that holds exactly its profile.
	SeccompPrefix  = "seccomp.rampart.dev/"
	AppArmorPrefix = "apparmor.rampart.dev/"
)

// Subdir is the agent's own directory under the kubelet's seccomp root:
// Pods name its profiles as Localhost "rampart/NAME.json". The agent
// owns it: a file there that the ConfigMap no longer holds is removed.
const Subdir = "rampart"

// Options say where the profiles come from and go.
type Options struct {
	// Profiles is the ConfigMap's mount: NAME.json files are seccomp
	// profiles, every other file an AppArmor policy file.
	Profiles string
	// SeccompDir is the kubelet's seccomp root (/var/lib/kubelet/seccomp
	// on the host).
	SeccompDir string
	// HostRoot is the host's root filesystem as mounted in the agent's
	// container ("" when the agent runs on the host itself): AppArmor
	// is read and loaded through it.
	HostRoot string
}

// Profile is one profile the node holds after a reconcile.
type Profile struct {
	Name   string // the file's name in the ConfigMap
	Kind   string // seccomp or apparmor
	Digest string // sha256 of the file, hex
	// Loaded are the AppArmor profiles the file defines, as the kernel
	// lists them.
	Loaded []string
}

// State is what a reconcile did.
type State struct {
	AppArmor bool
	Profiles []Profile
	// Refused are files not installed, with why; Removed, files the
	// ConfigMap no longer holds.
	Refused []string
	Removed []string
}

// Reconcile installs the ConfigMap's profiles on this node and removes
// the seccomp profiles it installed that the ConfigMap no longer holds.
// (AppArmor profiles stay loaded: unloading one could strand the tasks
// it confines.)
func Reconcile(ctx context.Context, o Options) (*State, error) {
	st := &State{AppArmor: appArmorEnabled(o.HostRoot)}
	entries, err := os.ReadDir(o.Profiles)
	if err != nil {
		return nil, fmt.Errorf("the profiles: %w", err)
	}
	dst := filepath.Join(o.SeccompDir, Subdir)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, fmt.Errorf("the kubelet's seccomp directory: %w", err)
	}
	keep := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		// A ConfigMap volume keeps its files in ..data and links them:
		// the dot entries are its machinery.
		if strings.HasPrefix(name, ".") || e.IsDir() && e.Type()&os.ModeSymlink == 0 {
			continue
		}
		src, err := os.ReadFile(filepath.Join(o.Profiles, name))
		if err != nil {
			st.Refused = append(st.Refused, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		sum := sha256.Sum256(src)
		p := Profile{Name: name, Digest: hex.EncodeToString(sum[:])}
		if strings.HasSuffix(name, ".json") {
			p.Kind = "seccomp"
			keep[name] = true
			// Only what rampart reads as a seccomp profile: the kubelet
			// would start the container and the runtime refuse it.
			if _, err := seccomp.Parse(name, src, 0); err != nil {
				st.Refused = append(st.Refused, err.Error())
				continue
			}
			if err := writeFile(filepath.Join(dst, name), src); err != nil {
				return nil, err
			}
			st.Profiles = append(st.Profiles, p)
			continue
		}
		p.Kind = "apparmor"
		if !st.AppArmor {
			continue // nothing to load into; the label says so
		}
		if err := mayReplace(name, src, o.HostRoot); err != nil {
			st.Refused = append(st.Refused, err.Error())
			continue
		}
		loaded, err := loadAppArmor(name, src, o.HostRoot)
		if err == nil {
			err = remember(loaded)
		}
		if err != nil {
			st.Refused = append(st.Refused, err.Error())
			continue
		}
		for _, l := range loaded {
			p.Loaded = append(p.Loaded, l.Name)
		}
		st.Profiles = append(st.Profiles, p)
	}
	have, err := os.ReadDir(dst)
	if err != nil {
		return nil, err
	}
	for _, e := range have {
		if !keep[e.Name()] {
			if err := os.Remove(filepath.Join(dst, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
			st.Removed = append(st.Removed, e.Name())
		}
	}
	return st, ctx.Err()
}

// writeFile replaces path whole: the kubelet never reads half a profile.
func writeFile(path string, data []byte) error {
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// loadAppArmor loads one policy file with apparmor.Load, which verifies
// the kernel lists every profile it defines.
func loadAppArmor(name string, src []byte, root string) ([]apparmor.Loaded, error) {
	dir, err := os.MkdirTemp("", "rampart-agent-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	f := filepath.Join(dir, name)
	if err := os.WriteFile(f, src, 0o600); err != nil {
		return nil, err
	}
	return apparmor.Load([]string{f}, apparmor.LoadOptions{Root: root})
}

// ownedFile records, on the host (TMPDIR is a hostPath), the AppArmor
// profiles the agent loaded: they may be replaced by a later ConfigMap,
// and no other.
func ownedFile() string { return filepath.Join(os.TempDir(), "apparmor-loaded") }

// mayReplace refuses a file that defines a profile the kernel already
// holds and the agent did not load: the runtime's default
// (cri-containerd.apparmor.d, docker-default) or a system profile. Who
// may edit the ConfigMap must not be able to swap the profile other
// containers run under for one of their making.
func mayReplace(name string, src []byte, root string) error {
	ps, err := apparmor.Parse(name, src)
	if err != nil {
		return err
	}
	list, err := os.ReadFile(filepath.Join(root, "/sys/kernel/security/apparmor/profiles"))
	if err != nil {
		return nil // apparmor.Load refuses it with its own words
	}
	mine, _ := os.ReadFile(ownedFile())
	owned := strings.Fields(string(mine))
	for _, l := range strings.Split(string(list), "\n") {
		loaded, _, ok := strings.Cut(l, " (")
		if !ok {
			continue
		}
		for _, p := range ps {
			if p.Name == loaded && !slices.Contains(owned, loaded) {
				return fmt.Errorf("%s: profile %s is already loaded, and not by rampart's agent: it would replace what other tasks run under; name it otherwise", name, loaded)
			}
		}
	}
	return nil
}

// remember adds profiles to the agent's record.
func remember(loaded []apparmor.Loaded) error {
	mine, _ := os.ReadFile(ownedFile())
	owned := strings.Fields(string(mine))
	for _, l := range loaded {
		if !slices.Contains(owned, l.Name) {
			owned = append(owned, l.Name)
		}
	}
	return os.WriteFile(ownedFile(), []byte(strings.Join(owned, "\n")+"\n"), 0o600)
}

// appArmorEnabled reads the kernel's AppArmor switch, through the host's
// /sys where one is mounted.
func appArmorEnabled(root string) bool {
	b, err := os.ReadFile(filepath.Join(root, "/sys/module/apparmor/parameters/enabled"))
	return err == nil && strings.TrimSpace(string(b)) == "Y"
}

// Labels are the node labels for st: the AppArmor switch and a label
// per profile held. Label names keep [a-z0-9._-], at most 63 characters.
func (st *State) Labels() map[string]string {
	l := map[string]string{AppArmorLabel: cluster.AppArmorDisabled}
	if st.AppArmor {
		l[AppArmorLabel] = cluster.AppArmorEnabled
	}
	for _, p := range st.Profiles {
		prefix := SeccompPrefix
		if p.Kind == "apparmor" {
			prefix = AppArmorPrefix
		}
		l[prefix+labelName(p.Name)] = p.Digest[:12]
	}
	return l
}

var notLabel = regexp.MustCompile(`[^a-z0-9._-]+`)

func labelName(s string) string {
	s = notLabel.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.Trim(s, "-._")
	if len(s) > 63 {
		s = strings.Trim(s[:63], "-._")
	}
	return s
}

// Ours says whether a label is one the agent sets, so that a label for a
// profile no longer held can be removed.
func Ours(key string) bool {
	return key == AppArmorLabel || strings.HasPrefix(key, SeccompPrefix) || strings.HasPrefix(key, AppArmorPrefix)
}

// LabelPatch is the merge patch that makes the node's labels of the
// agent's kind exactly want: the others are left alone.
func LabelPatch(have, want map[string]string) map[string]any {
	labels := map[string]any{}
	for k, v := range want {
		if have[k] != v {
			labels[k] = v
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok && Ours(k) {
			labels[k] = nil
		}
	}
	return map[string]any{"metadata": map[string]any{"labels": labels}}
}
