package apparmor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/policy"
)

// seedFile is the seed article's AppArmor profile.
const seedFile = "../../examples/seed/flask-deny-shadow"

func seed(t testing.TB) []byte {
	b, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppArmorSeedProfileAsLandlock(t *testing.T) {
	ps, err := Parse("flask-deny-shadow", seed(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Name != "flask-deny-shadow" || strings.Join(ps[0].Flags, ",") != "attach_disconnected,mediate_deleted" {
		t.Fatalf("%+v", ps)
	}
	rules, err := ps[0].LandlockRules()
	if err != nil {
		t.Fatal(err)
	}
	want := policy.FSRule{Mode: policy.DenyRead, Path: "/etc/shadow", Origin: "flask-deny-shadow:10"}
	if len(rules) != 1 || rules[0] != want {
		t.Fatalf("rules %+v, want %+v", rules, want)
	}
}

// Anything Landlock cannot express exactly is refused with its line, so
// a fallback is never weaker than the profile.
func TestAppArmorNotExpressibleRefusedWithLine(t *testing.T) {
	for body, want := range map[string]string{
		"profile p {\n  file,\n  deny /etc/** r,\n}\n":                         "p:3: \"deny /etc/** r,\": globs",
		"profile p {\n  file,\n  deny @{HOME}/.ssh/id_rsa r,\n}\n":             "p:3: \"deny @{HOME}/.ssh/id_rsa r,\": globs and variables",
		"profile p {\n  file,\n  deny network raw,\n}\n":                       "p:3: \"deny network raw,\" cannot be expressed",
		"profile p {\n  /usr/** r,\n}\n":                                       "p:2: \"/usr/** r,\" cannot be expressed",
		"profile p {\n  network,\n}\n":                                         "p:1: profile p does not allow files wholesale",
		"profile p {\n  file,\n  deny owner /x r,\n}\n":                        "p:3:",
		"profile p {\n  owner file,\n}\n":                                      "p:2: \"owner file,\" cannot be expressed",
		"profile p {\n  #include <abstractions/nameservice>\n  file,\n}\n":     "p:2: include \"abstractions/nameservice\"",
		"profile p flags=(complain) {\n  file,\n}\n":                           "p:1: profile mode \"complain\"",
		"profile p {\n  file,\n  deny /x l,\n}\n":                              "only r, w and a",
		"profile p {\n  other file,\n}\n":                                      "p:2: \"other file,\" cannot be expressed",
		"profile p {\n  file,\n  deny other /x r,\n}\n":                        "p:3:",
		"alias /tmp -> /var/tmp,\nprofile p {\n  file,\n  deny /tmp/x r,\n}\n": "p:1: \"alias /tmp -> /var/tmp,\" rewrites paths",
	} {
		ps, err := Parse("p", []byte(body))
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		_, err = ps[0].LandlockRules()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", body, err, want)
		}
	}
}

func TestAppArmorParseErrors(t *testing.T) {
	for body, want := range map[string]string{
		"profile p {\n  file\n}\n":        "f:2:3: rule does not end with a comma: \"file\"",
		"profile p {\n  file,\n":          "f:1:1: profile p is not closed",
		"deny /x r,\n":                    "f:1:1: expected a profile header",
		"profile p {\n  /bin/x {\n}\n}\n": "f:2:3: a child profile in a body starts with the keyword profile",
		"":                                "no profile",
	} {
		if _, err := Parse("f", []byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", body, err, want)
		}
	}
}

func TestAppArmorReferenceAndFind(t *testing.T) {
	// A file with constructs rampart does not model is still a profile
	// for apparmor_parser to load: its name is read from its header.
	hats := filepath.Join(t.TempDir(), "hats")
	os.WriteFile(hats, []byte("profile with-hats {\n  file,\n  ^hat {\n    /x r,\n  }\n}\n"), 0o644)
	if ref, err := Reference(hats, "", "--apparmor"); err != nil || ref.Name != "with-hats" {
		t.Errorf("hats: %+v %v", ref, err)
	}
	broken := filepath.Join(t.TempDir(), "broken")
	os.WriteFile(broken, []byte("profile broken {\n  file\n}\n"), 0o644)
	if _, err := Reference(broken, "", "--apparmor"); err == nil {
		t.Error("a syntax error passed")
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "seed.profile"), seed(t), 0o644)
	ref, err := Reference("flask-deny-shadow", dir, "--apparmor")
	if err != nil || ref.File != filepath.Join(dir, "seed.profile") || ref.Kind != policy.AppArmorLocalhost {
		t.Fatalf("%+v %v", ref, err)
	}
	ref, err = Reference(filepath.Join(dir, "seed.profile"), "", "--apparmor")
	if err != nil || ref.Name != "flask-deny-shadow" {
		t.Fatalf("%+v %v", ref, err)
	}
	if _, err := Reference("other", dir, "--apparmor"); err == nil {
		t.Fatal("unknown profile name found")
	}
	if _, err := Reference("/no/such/file", "", "--apparmor"); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestAppArmorLabelName(t *testing.T) {
	for in, want := range map[string]string{"p (enforce)\n": "p", "p (complain)": "p", "unconfined": "unconfined", "p\x00": "p"} {
		if got := LabelName(in); got != want {
			t.Errorf("LabelName(%q) = %q", in, got)
		}
	}
}

func TestAppArmorFindFile(t *testing.T) {
	const dir = "testdata/find"
	for name, want := range map[string]string{
		"by-file-name":       dir + "/by-file-name",
		"web-readonly":       dir + "/extra", // by declaration, not the decoy's comment
		"web-readonly-v2":    dir + "/a-decoy",
		"name with spaces":   dir + "/extra",
		"/usr/bin/pathnamed": dir + "/extra",
		"../find/extra":      "error", // not a file name: only declarations count
		"nope":               "error",
	} {
		got, err := FindFile(dir, name)
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("%q: got %s (%v), want %s", name, got, err, want)
		}
	}
}
