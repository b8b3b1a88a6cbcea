//go:build linux

package lab

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `rampart apparmor load` on a real AppArmor kernel: what it loads, the
// kernel lists (read here by the guest's own grep, not by rampart) in
// the file's modes, and the kernel enforces; what the parser refuses
// leaves nothing loaded; --remove leaves nothing listed.

// loadProfile is two profiles: one enforcing with a child, one in
// complain mode with a hat of its own (enforce) mode.
const loadProfile = `profile lab-load-enf {
  file,
  deny /etc/shadow r,
  profile kid {
    file,
    deny /etc/passwd r,
  }
}
profile lab-load-cmp flags=(complain) {
  /etc/hostname r,
  ^hat {
    /etc/hostname r,
  }
}
`

// loadGood is a file that is fine, given before one the parser refuses.
const loadGood = "profile lab-load-good {\n  file,\n}\n"

const (
	loadFile     = profileDir + "/lab-load"
	loadGoodFile = profileDir + "/lab-load-good"
	loadBadFile  = profileDir + "/parser-refuses"
)

// addLoadSections adds the load checks to the suite's script; root is
// the module's root.
func addLoadSections(s *Script, root string) {
	s.File(loadFile, Text(loadProfile))
	s.File(loadGoodFile, Text(loadGood))
	s.File(loadBadFile, HostFile(filepath.Join(root, "cmd", "rampart", "testdata", "apparmor-parser", "parser-refuses")))
	s.Add("aaload", "rampart apparmor load "+loadFile, 60*time.Second)
	s.Add("aaload-list", `grep '^lab-load' /sys/kernel/security/apparmor/profiles | sort
echo "cache files: $(find /var/cache/apparmor -type f | wc -l)"`, 0)
	s.Add("aaload-enforce", "rampart run --apparmor lab-load-enf -- cat /etc/shadow", 30*time.Second)
	s.Add("aaload-complain", "rampart run --apparmor lab-load-cmp -- cat /etc/shadow", 30*time.Second)
	// rampart run --apparmor reads a name with a / as a file: the shell
	// asks for the child at its next exec itself, as diff.sh does.
	s.Add("aaload-kid", `kid() { sh -c 'printf "exec lab-load-enf//kid" > /proc/self/attr/apparmor/exec || exit 97; exec "$@"' kid "$@"; }
kid cat /proc/self/attr/current
kid cat /etc/passwd`, 30*time.Second)
	s.Add("aaload-refused", "rampart apparmor load "+loadGoodFile+" "+loadBadFile+`
echo "load status $?"
grep '^lab-load-good' /sys/kernel/security/apparmor/profiles || echo "lab-load-good not listed"`, 60*time.Second)
	s.Add("aaload-remove", "rampart apparmor load -o json --remove "+loadFile+`
echo "remove status $?"
grep '^lab-load' /sys/kernel/security/apparmor/profiles || echo "none listed"
rampart apparmor load --remove `+loadFile+`
echo "again status $?"`, 60*time.Second)
}

func TestLabAppArmorLoad(t *testing.T) {
	t.Run("loaded", func(t *testing.T) {
		sec := labSection(t, "aaload")
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(sec.Output), "\n") {
			got = append(got, strings.Join(strings.Fields(l), " "))
		}
		want := []string{"lab-load-enf enforce " + loadFile, "lab-load-enf//kid enforce " + loadFile,
			"lab-load-cmp complain " + loadFile, "lab-load-cmp//hat enforce " + loadFile}
		if sec.Status != 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("status %d, printed:\n%s\nwant:\n%s", sec.Status, sec.Output, strings.Join(want, "\n"))
		}
	})
	t.Run("listed by the kernel", func(t *testing.T) {
		sec := labSection(t, "aaload-list")
		want := "lab-load-cmp (complain)\nlab-load-cmp//hat (enforce)\nlab-load-enf (enforce)\nlab-load-enf//kid (enforce)\ncache files: 0"
		if got := strings.TrimSpace(sec.Output); got != want {
			t.Errorf("/sys/kernel/security/apparmor/profiles:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("enforced", func(t *testing.T) {
		sec := labSection(t, "aaload-enforce")
		if sec.Status == 0 || sec.Status == 125 || !strings.Contains(sec.Output, "Permission denied") {
			t.Errorf("cat /etc/shadow under lab-load-enf: status %d: %s; want the kernel's EACCES", sec.Status, sec.Output)
		}
	})
	t.Run("complain mode allows", func(t *testing.T) {
		// no rule allows /etc/shadow: complain mode lets it through
		sec := labSection(t, "aaload-complain")
		if sec.Status != 0 || !strings.Contains(sec.Output, "root:*:") {
			t.Errorf("cat /etc/shadow under lab-load-cmp (complain): status %d: %s", sec.Status, sec.Output)
		}
	})
	t.Run("child", func(t *testing.T) {
		sec := labSection(t, "aaload-kid")
		t.Logf("the guest printed:\n%s", sec.Output)
		if !strings.Contains(sec.Output, "lab-load-enf//kid (enforce)") || !strings.Contains(sec.Output, "Permission denied") || sec.Status == 0 {
			t.Errorf("under lab-load-enf//kid: status %d: %s; want its label, and /etc/passwd denied", sec.Status, sec.Output)
		}
	})
	t.Run("refused file loads nothing", func(t *testing.T) {
		sec := labSection(t, "aaload-refused")
		t.Logf("the guest printed:\n%s", sec.Output)
		for _, want := range []string{"load status 125", "refuses " + loadBadFile + ": ", "Invalid number of items between {}", "nothing was loaded", "lab-load-good not listed"} {
			if !strings.Contains(sec.Output, want) {
				t.Errorf("no %q in:\n%s", want, sec.Output)
			}
		}
	})
	t.Run("removed", func(t *testing.T) {
		sec := labSection(t, "aaload-remove")
		t.Logf("the guest printed:\n%s", sec.Output)
		for _, want := range []string{`"action": "remove"`, `"name": "lab-load-enf//kid"`, "remove status 0", "none listed", "again status 125"} {
			if !strings.Contains(sec.Output, want) {
				t.Errorf("no %q in:\n%s", want, sec.Output)
			}
		}
	})
}
