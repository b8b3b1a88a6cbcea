package apparmor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The include forms apparmor_parser 3.0.8 accepts, each checked against
// it: the spec ends the statement, not the line.
func TestAppArmorIncludeForms(t *testing.T) {
	for _, c := range []struct {
		src            string
		path           string
		angle, exists  bool
		rulesAfterIncl int
	}{
		{"#include <a/b>", "a/b", true, false, 0},
		{"include <a/b>", "a/b", true, false, 0},
		{"#include<a/b>", "a/b", true, false, 0},
		{"#include\t<a/b>", "a/b", true, false, 0},
		{"#include < a/b >", "a/b", true, false, 0},
		{`#include <"a/with space">`, "a/with space", true, false, 0},
		{"#include <a/with space>", "a/with space", true, false, 0},
		{`include "rel/file"`, "rel/file", false, false, 0},
		{"#include rel/file", "rel/file", false, false, 0},
		{"include if exists <a/b>", "a/b", true, true, 0},
		{"include if  exists rel/file", "rel/file", false, true, 0},
		{"#include <a/b> /foo r,", "a/b", true, false, 1},
		{`include "rel/file"/foo r,`, "rel/file", false, false, 1},
		{"include <a/b> include <a/b>", "a/b", true, false, 1},
		// After #include (not include) the spec may stand on a later
		// line, whatever its form.
		{"#include\n<a/b>", "a/b", true, false, 0},
		{"#include\n  \"rel/file\"", "rel/file", false, false, 0},
		{"#include\n\n  rel/file /foo r,", "rel/file", false, false, 1},
	} {
		ps, err := Parse("p", []byte("profile t {\n  "+c.src+"\n}\n"))
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		rs := ps[0].Rules
		if len(rs) != 1+c.rulesAfterIncl || rs[0].Kind != KindInclude || rs[0].Include != c.path || rs[0].Angle != c.angle || rs[0].IfExists != c.exists {
			t.Errorf("%s: got %d rules, first %+v", c.src, len(rs), rs[0])
			continue
		}
		back, err := Parse("p", []byte(ps[0].Render()))
		if err != nil || back[0].Rules[0].Include != c.path || back[0].Rules[0].Angle != c.angle {
			t.Errorf("%s: render %q does not read back: %v", c.src, ps[0].Render(), err)
		}
	}
	for _, bad := range []string{
		"include <a/b>,", "include <a/b> ,", "include rel/file,", "include<a/b>", `include"rel/file"`,
		"include <a/b", "include <>", `include <"a/b" >`, "include <\ta/b>", "include <a/b>>",
		"include\n<a/b>", "include\nrel/file", "#include if exists\n<a/b>", "#include",
	} {
		if _, err := Parse("p", []byte("profile t {\n  "+bad+"\n}\n")); err == nil {
			t.Errorf("%s: accepted, apparmor_parser refuses it", bad)
		}
	}
}

// The abi forms apparmor_parser 3.0.8 accepts and refuses.
func TestAppArmorABIForms(t *testing.T) {
	for _, c := range []struct {
		src, path string
		angle     bool
	}{
		{"abi <abi/3.0>,", "abi/3.0", true},
		{"abi<abi/3.0>,", "abi/3.0", true},
		{"abi < abi/3.0 >,", "abi/3.0", true},
		{`abi <"abi/3.0 x">,`, "abi/3.0 x", true},
		{`abi"abi/3.0",`, "abi/3.0", false},
		{"abi abi/3.0 ,", "abi/3.0", false},
	} {
		d, err := ParseDocument("p", []byte(c.src+"\nprofile t {\n}\n"))
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		r := d.Profiles[0].Preamble[0]
		if r.Kind != KindABI || r.Include != c.path || r.Angle != c.angle {
			t.Errorf("%s: %+v", c.src, r)
		}
	}
	for _, bad := range []string{`abi < "abi/3.0">,`, `abi <"abi/3.0" >,`, `abi abi/3.0",`, "abi <abi/3.0,", `abi "abi/3.0,`} {
		if _, err := ParseDocument("p", []byte(bad+"\nprofile t {\n}\n")); err == nil {
			t.Errorf("%s: accepted, apparmor_parser refuses it", bad)
		}
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func compileWith(src string, inc Includes) (*Compiled, error) {
	ps, err := Parse("p", []byte(src))
	if err != nil {
		return nil, err
	}
	return Compile(ps[0], inc)
}

// apparmor_parser reads a file once in the preamble and once in a body,
// by the name it built for it; a recursive include is read once.
func TestAppArmorIncludeReadOnce(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"d/v":       "@{Y}=a\n",
		"rec":       "  /foo rw,\n  #include <rec>\n  /bar r,\n",
		"pre":       "#include <pre>\n@{Z}=/z\n",
		"d/garbage": "",
	})
	inc := Includes{Dirs: []string{dir}, NoBundled: true}
	for _, src := range []string{
		"#include <d/v>\n#include <d/v>\nprofile t {\n}\n",
		"#include <d/v>\n#include \"" + dir + "/d/v\"\nprofile t {\n}\n",
		"#include <d/v>\n#include <d>\nprofile t {\n}\n",
		"#include <pre>\nprofile t {\n  @{Z} r,\n}\n",
	} {
		if _, err := compileWith(src, inc); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
	for _, src := range []string{
		"#include <d/v>\n#include <d//v>\nprofile t {\n}\n",
		"#include <d/v>\n#include <./d/v>\nprofile t {\n}\n",
		"#include <d>\n#include <d/>\nprofile t {\n}\n",
	} {
		if _, err := compileWith(src, inc); err == nil || !strings.Contains(err.Error(), "assigned again") {
			t.Errorf("%q: %v, want @{Y} assigned again (apparmor_parser reads the file twice)", src, err)
		}
	}
	c, err := compileWith("profile t {\n  #include <rec>\n  #include <rec>\n}\n", inc)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"/foo w", "/bar r"} {
		acc, _ := ParseAccess(a)
		if d, err := c.Eval(acc); err != nil || !d.Allowed {
			t.Errorf("%s: %+v %v", a, d, err)
		}
	}
}

// Files apparmor_parser skips in an included directory.
func TestAppArmorIncludeDirectorySkips(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"d/good": "  /good r,\n", "d/README": "not policy\n", "d/sub/x": "not policy\n"}
	for _, s := range []string{".dpkg-new", ".dpkg-old", ".dpkg-dist", ".dpkg-bak", ".dpkg-remove", ".pacsave", ".pacnew", ".rpmnew", ".rpmsave", ".orig", ".rej", "~"} {
		files["d/bad"+s] = "THIS WILL NOT PARSE!\n"
	}
	writeFiles(t, dir, files)
	inc := Includes{Dirs: []string{dir}, NoBundled: true}
	c, err := compileWith("profile t {\n  #include <d>\n}\n", inc)
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := ParseAccess("/good r")
	if d, _ := c.Eval(acc); !d.Allowed {
		t.Errorf("/good r: %s", d.Reason)
	}
	writeFiles(t, dir, map[string]string{"d/bad.bak": "THIS WILL NOT PARSE!\n"})
	if _, err := compileWith("profile t {\n  #include <d>\n}\n", inc); err == nil {
		t.Errorf(".bak is read by apparmor_parser, and this one does not parse")
	}
	os.Remove(filepath.Join(dir, "d/bad.bak"))
	if err := os.Symlink("/nonexistent", filepath.Join(dir, "d/link")); err != nil {
		t.Fatal(err)
	}
	if _, err := compileWith("profile t {\n  #include <d>\n}\n", inc); err == nil {
		t.Errorf("a dangling link in an included directory: accepted, apparmor_parser refuses it")
	}
}

// apparmor_parser opens the features file an abi statement names and
// refuses the profile when it cannot (Could not open 'missing') or when
// it is a directory; rampart takes AppArmor's own abi files on their
// names where the machine has none, as it takes its bundled includes.
func TestAppArmorABIFileIsOpened(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"abi/x": "query {label {multi_transaction {yes\n}\n}\n}\n"})
	local := Includes{Dirs: []string{dir}, NoBundled: true}
	for _, c := range []struct {
		src  string
		inc  Includes
		want string
	}{
		{"abi <abi/x>,\nprofile t {\n}\n", local, ""},
		{"abi \"" + dir + "/abi/x\",\nprofile t {\n}\n", local, ""},
		{"profile t {\n  abi <abi/x>,\n}\n", local, ""},
		{"abi <abi/3.0>,\nprofile t {\n}\n", BundledIncludes, ""},
		{"abi <abi/3.0>,\nprofile t {\n}\n", Includes{Dirs: []string{dir}}, ""},
		{"abi <missing>,\nprofile t {\n}\n", local, "p:1:1: abi <missing>: no such features file in " + dir},
		{"profile t {\n  abi <missing>,\n}\n", BundledIncludes, "p:2:3: abi <missing>: no such features file"},
		{"abi <abi/3.0>,\nprofile t {\n}\n", local, "p:1:1: abi <abi/3.0>: no such features file"},
		{"abi \"" + dir + "/nope\",\nprofile t {\n}\n", local, "p:1:1: abi \"" + dir + "/nope\": no such features file"},
		{"abi <abi>,\nprofile t {\n}\n", local, "p:1:1: abi <abi>: " + dir + "/abi is not a features file"},
	} {
		_, err := compileWith(c.src, c.inc)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.src, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("%q: got %v, want %s", c.src, err, c.want)
		}
	}
}
