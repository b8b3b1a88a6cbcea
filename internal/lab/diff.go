//go:build linux

package lab

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// The differential harness: AppArmor decides real accesses in the guest,
// so that rampart's own profile evaluator can be compared with the
// kernel, pair by pair.

// Pair is one differential case: a profile (AppArmor policy text, whose
// first profile confines the access unless Name says which one) and an
// access to perform under it:
//
//	file PATH r|w|a                 open(2) O_RDONLY, O_WRONLY|O_CREAT, O_WRONLY|O_APPEND|O_CREAT
//	network FAMILY TYPE [PROTO]     socket(2), e.g. "network inet raw icmp"
//	link TARGET PATH                link(2): PATH becomes a hard link to TARGET (removed again after the case)
//	ptrace read PID                 kcmp(2) of the process and PID: ptrace read access to PID
//	ptrace trace child              PTRACE_SEIZE of a child of the process's own, under its profile
//	mount FSTYPE DIR                mount(2) in a mount namespace of the process's own, unmounted at once
//
// ("capability NAME" is not implemented yet.)
type Pair struct {
	Profile string
	Access  string
	// Name is the profile that confines the access, by its full name
	// ("parent//child" for a child profile or a hat); "" is the file's
	// first profile.
	Name string
}

// Verdict is the kernel's answer to one access.
type Verdict string

const (
	Allow Verdict = "allow" // the call succeeded
	Deny  Verdict = "deny"  // EACCES or EPERM
	Fail  Verdict = "error" // anything else: ENOENT, EAFNOSUPPORT, a profile that did not load
)

// Decision is the kernel's answer for one Pair.
type Decision struct {
	Pair
	Verdict Verdict
	Errno   string // EACCES, ENOENT, ...; "load" or "harness" for a harness failure
	Detail  string // the failed call and its error
	Label   string // the accessing process's AppArmor label, when its profile let it read it
}

// Allowed reports whether the kernel allowed the access.
func (d Decision) Allowed() bool { return d.Verdict == Allow }

func (d Decision) String() string {
	s := fmt.Sprintf("%s under %s: %s", d.Access, firstLine(d.Profile), d.Verdict)
	if d.Verdict != Allow {
		s += " (" + d.Errno + ": " + d.Detail + ")"
	}
	return s
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return "(empty profile)"
}

//go:embed diff.sh
var diffScript string

// CheckAccess says whether the harness can perform access.
func CheckAccess(access string) error {
	f := strings.Fields(access)
	if len(f) == 0 {
		return fmt.Errorf("lab: empty access")
	}
	switch f[0] {
	case "file":
		if len(f) != 3 || (f[2] != "r" && f[2] != "w" && f[2] != "a") || !strings.HasPrefix(f[1], "/") {
			return fmt.Errorf("lab: access %q: want file /PATH r|w|a", access)
		}
	case "network":
		if len(f) != 3 && len(f) != 4 {
			return fmt.Errorf("lab: access %q: want network FAMILY TYPE [PROTO]", access)
		}
	case "link":
		if len(f) != 3 || !strings.HasPrefix(f[1], "/") || !strings.HasPrefix(f[2], "/") {
			return fmt.Errorf("lab: access %q: want link /TARGET /PATH", access)
		}
	case "ptrace":
		if len(f) != 3 || !(f[1] == "read" && strings.Trim(f[2], "0123456789") == "" || f[1] == "trace" && f[2] == "child") {
			return fmt.Errorf("lab: access %q: want ptrace read PID or ptrace trace child", access)
		}
	case "mount":
		if len(f) != 3 || !strings.HasPrefix(f[2], "/") {
			return fmt.Errorf("lab: access %q: want mount FSTYPE /DIR", access)
		}
	case "capability":
		return fmt.Errorf("lab: access %q: capability accesses are not implemented yet", access)
	default:
		return fmt.Errorf("lab: access %q: unknown kind %q (file, network, link, ptrace, mount)", access, f[0])
	}
	return nil
}

// DiffPlan is a differential run prepared for a boot: the manifest, the
// profiles (one file per distinct text, cases grouped so that each is
// loaded once), the guest script and the helper.
type DiffPlan struct {
	pairs []Pair
	files map[string]File
	dir   string
}

// PlanDiff prepares pairs. helper is the host path of the aaccess
// binary (BuildHelper).
func PlanDiff(pairs []Pair, helper string) (*DiffPlan, error) {
	return PlanDiffIn("/lab/diff", pairs, helper)
}

// PlanDiffIn is PlanDiff with its files under dir in the image, so that
// several plans can share one boot.
func PlanDiffIn(dir string, pairs []Pair, helper string) (*DiffPlan, error) {
	if len(pairs) == 0 {
		return nil, fmt.Errorf("lab: no pairs")
	}
	p := &DiffPlan{pairs: pairs, files: map[string]File{}, dir: dir}
	profIndex := map[string]int{}
	var order []int // profile index per pair
	for i, pr := range pairs {
		if err := CheckAccess(pr.Access); err != nil {
			return nil, fmt.Errorf("pair %d: %w", i, err)
		}
		if strings.ContainsAny(pr.Access, "\t\n") || strings.ContainsAny(pr.Name, "\t\n ") {
			return nil, fmt.Errorf("lab: pair %d: access or profile name has white space the manifest cannot carry", i)
		}
		k, ok := profIndex[pr.Profile]
		if !ok {
			k = len(profIndex)
			profIndex[pr.Profile] = k
			p.files[fmt.Sprintf("%s/profiles/%03d", p.dir, k)] = Text(pr.Profile)
		}
		order = append(order, k)
	}
	var m strings.Builder
	for k := 0; k < len(profIndex); k++ {
		for i, pk := range order {
			if pk == k {
				name := pairs[i].Name
				if name == "" {
					name = "-"
				}
				fmt.Fprintf(&m, "%d\t%s/profiles/%03d\t%s\t%s\n", i, p.dir, k, name, pairs[i].Access)
			}
		}
	}
	p.files[p.dir+"/manifest"] = Text(m.String())
	p.files[p.dir+"/diff.sh"] = Executable(diffScript)
	p.files["/usr/bin/aaccess"] = File{Host: helper, Mode: 0o755}
	return p, nil
}

// Files are the files the plan needs in the image.
func (p *DiffPlan) Files() map[string]File { return p.files }

// Command is the guest command that runs the plan.
func (p *DiffPlan) Command() string { return "sh " + p.dir + "/diff.sh " + p.dir + "/manifest" }

// Timeout is a generous deadline for the plan in the guest (TCG): a few
// seconds per profile compiled and per access.
func (p *DiffPlan) Timeout() time.Duration {
	n := len(strings.Split(strings.TrimSpace(string(p.files[p.dir+"/manifest"].Data)), "\n"))
	return 30*time.Second + time.Duration(len(p.files)-3)*5*time.Second + time.Duration(n)*2*time.Second
}

// AddTo adds the plan to s as section name.
func (p *DiffPlan) AddTo(s *Script, name string) {
	for path, f := range p.files {
		s.File(path, f)
	}
	s.Add(name, p.Command(), p.Timeout())
}

// Parse reads the guest's output back into one Decision per pair, in
// the order of the pairs.
func (p *DiffPlan) Parse(output string) ([]Decision, error) {
	out := make([]Decision, len(p.pairs))
	seen := make([]bool, len(p.pairs))
	done := false
	for _, line := range strings.Split(output, "\n") {
		if line == "@@diff-done" {
			done = true
		}
		f := strings.Split(line, "\t")
		if f[0] != "@@diff" {
			continue
		}
		if len(f) != 6 {
			return nil, fmt.Errorf("lab: differential: malformed line %q", line)
		}
		i, err := strconv.Atoi(f[1])
		if err != nil || i < 0 || i >= len(p.pairs) {
			return nil, fmt.Errorf("lab: differential: bad case id in %q", line)
		}
		v := Verdict(f[2])
		if v != Allow && v != Deny && v != Fail {
			return nil, fmt.Errorf("lab: differential: bad verdict in %q", line)
		}
		out[i] = Decision{Pair: p.pairs[i], Verdict: v, Errno: f[3], Detail: f[4], Label: f[5]}
		seen[i] = true
	}
	var missing []string
	for i, s := range seen {
		if !s {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	if len(missing) > 0 || !done {
		return out, fmt.Errorf("lab: differential: no decision for case(s) %s (the guest script stopped early?); its output:\n%s",
			strings.Join(missing, ","), strings.Join(lastLines(output, 15), "\n"))
	}
	return out, nil
}

// Differential loads each pair's profile in the lab, performs the
// pair's access for real under it, and returns the kernel's decisions
// in the order of pairs. One boot serves all pairs.
func Differential(ctx context.Context, pairs []Pair) ([]Decision, error) {
	return (&Lab{}).Differential(ctx, pairs)
}

// Differential is the package-level Differential with l's configuration.
func (l *Lab) Differential(ctx context.Context, pairs []Pair) ([]Decision, error) {
	helper, err := BuildHelper(ctx, "")
	if err != nil {
		return nil, err
	}
	plan, err := PlanDiff(pairs, helper)
	if err != nil {
		return nil, err
	}
	var s Script
	plan.AddTo(&s, "diff")
	script, files := s.Build()
	res, err := l.Run(ctx, script, files)
	if err != nil {
		return nil, err
	}
	sec, ok := res.Section("diff")
	if !ok {
		return nil, &BootError{Reason: "differential: the diff section did not finish", Console: res.Console}
	}
	return plan.Parse(sec.Output)
}

// BuildHelper builds the guest's access helper (internal/lab/internal/aaccess,
// static, pure Go) into dir (default: a directory under the OS's temp
// dir) with the Go toolchain, and returns its path.
func BuildHelper(ctx context.Context, dir string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "rampart-lab")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("lab: %w", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(dir, "aaccess")
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./internal/lab/internal/aaccess")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("lab: building the access helper: %v: %s", err, strings.TrimSpace(string(b)))
	}
	return out, nil
}
