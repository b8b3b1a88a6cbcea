package apparmor

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestAppArmorGlobMatch(t *testing.T) {
	for _, c := range []struct {
		glob  string
		yes   []string
		no    []string
		about string
	}{
		{"/etc/shadow", []string{"/etc/shadow", "/etc//shadow"}, []string{"/etc/shadow/", "/etc/shadowx", "/etc/shado"}, "literal; runs of / fold"},
		{"/tmp/*", []string{"/tmp/a", "/tmp/abc", "/tmp/.x"}, []string{"/tmp/", "/tmp", "/tmp/a/", "/tmp/a/b"}, "* stays in one component, never the directory itself"},
		{"/tmp/*/", []string{"/tmp/a/"}, []string{"/tmp/a", "/tmp/", "/tmp//", "/tmp/a/b/"}, "directories directly in /tmp"},
		{"/tmp/**", []string{"/tmp/a", "/tmp/a/", "/tmp/a/b/c", "/tmp/.x/y"}, []string{"/tmp/", "/tmp", "/tmpx"}, "** crosses /, but not the directory itself"},
		{"/tmp/**/", []string{"/tmp/a/", "/tmp/a/b/"}, []string{"/tmp/a", "/tmp/", "/tmp/a/b"}, "directories anywhere below"},
		{"/tmp/{,**}", []string{"/tmp/", "/tmp/a", "/tmp/a/b/"}, []string{"/tmp", "/tmpx/a"}, "the directory and everything beneath"},
		{"/tmp{,/**}", []string{"/tmp", "/tmp/", "/tmp/a", "/tmp/a/b"}, []string{"/tmpx"}, "a file, or a tree beneath the same name (inside {} the ** may be empty)"},
		{"/{**,}", []string{"/", "/a", "/a/b/", "/etc/shadow"}, nil, "what bare file, covers"},
		{"/**", []string{"/a", "/a/b"}, []string{"/"}, "/** does not match /"},
		{"/*", []string{"/a"}, []string{"/", "/a/", "/a/b"}, "/* does not match /"},
		{"/a/*b*", []string{"/a/b", "/a/xbx", "/a/bbb"}, []string{"/a/x", "/a/x/b", "/a/b/"}, "stars inside a component may be empty"},
		{"/a/**.so", []string{"/a/.so", "/a/x.so", "/a/x/y.so"}, []string{"/a/x.sox", "/a.so"}, "** before more text may be empty"},
		{"/a/**b", []string{"/a/b", "/a/x/b", "/a/x/yb"}, []string{"/a/bx"}, ""},
		{"/a/***", []string{"/a/x", "/a/x/y"}, []string{"/a/"}, "*** is ** then *"},
		{"/a/*/b", []string{"/a/x/b"}, []string{"/a/b", "/a//b", "/a/x/y/b"}, "a whole-component star needs one byte"},
		{"/a/**/b", []string{"/a/x/b", "/a/x/y/b"}, []string{"/a/b"}, ""},
		{"/a/?", []string{"/a/x", "/a/."}, []string{"/a/", "/a/xy", "/a/x/"}, "? is one byte, not /"},
		{"/a/??", []string{"/a/xy"}, []string{"/a/x", "/a/x/"}, ""},
		{"/a/[abc]", []string{"/a/a", "/a/c"}, []string{"/a/d", "/a/ab", "/a/"}, ""},
		{"/a/[a-c]x", []string{"/a/bx"}, []string{"/a/dx"}, ""},
		{"/a/[c-a]x", []string{"/a/bx"}, []string{"/a/dx"}, "apparmor_parser takes a reversed range as written the other way"},
		{"/a/[-a]", []string{"/a/-", "/a/a"}, []string{"/a/b"}, "a leading - is literal"},
		{"/a/[^a-c]", []string{"/a/d", "/a/."}, []string{"/a/a", "/a/c", "/a/dd"}, ""},
		{"/a[^x]b", []string{"/a/b", "/ayb"}, []string{"/axb"}, "a negated class matches / too"},
		{"/a/[^a/]*", []string{"/a/b", "/a/bcd"}, []string{"/a/a", "/a/b/c"}, "unless it lists it"},
		{"/a/[\\]]", []string{"/a/]"}, []string{"/a/\\"}, "escape in a class"},
		{"/a/{b,c{d,e}}/f", []string{"/a/b/f", "/a/cd/f", "/a/ce/f"}, []string{"/a/c/f", "/a/bd/f", "/a/f"}, "nested alternation"},
		{"/a/{,b}c", []string{"/a/c", "/a/bc"}, []string{"/a/bbc"}, "empty alternative"},
		{"/usr/lib{,32,64}/**", []string{"/usr/lib/x", "/usr/lib32/x/y", "/usr/lib64/z"}, []string{"/usr/lib6/x", "/usr/lib/"}, ""},
		{"/a/{*,x}", []string{"/a/", "/a/x", "/a/yy"}, []string{"/a/y/"}, "inside {} a star may be empty"},
		{"/a/{x,/*}", []string{"/a/x"}, []string{"/a/y", "/a/"}, "the kernel never sees /a//y"},
		{"/a/{b/,c/}*", []string{"/a/b/", "/a/b/x", "/a/c/y"}, []string{"/a/b/x/"}, "a star after } is not a whole component"},
		{"/a/\\*", []string{"/a/*"}, []string{"/a/x"}, "escaped star"},
		{"/a/\\{b,c\\}", []string{"/a/{b,c}"}, []string{"/a/b"}, "escaped braces"},
		{"/a,b", []string{"/a,b"}, []string{"/a"}, "a comma outside braces is literal"},
		{"/proc/[1-9]{,[0-9]{,[0-9]}}/maps", []string{"/proc/1/maps", "/proc/42/maps", "/proc/999/maps"}, []string{"/proc/0/maps", "/proc/1000/maps", "/proc/self/maps", "/proc/01/maps"}, "a bounded number"},
		{"/home/*/.ssh/**", []string{"/home/u/.ssh/id_rsa", "/home/u/.ssh/a/b"}, []string{"/home/.ssh/x", "/home/u/v/.ssh/x", "/root/.ssh/x"}, ""},
		{"/sys/[^f]**", []string{"/sys/kernel/x", "/sys/k"}, []string{"/sys/fs/cgroup/x", "/sys/f"}, "the runtimes' /sys write rule: a first byte other than f"},
		{"/proc/sys/[^k]**", []string{"/proc/sys/vm/x", "/proc/sys/net/a"}, []string{"/proc/sys/kernel/x", "/proc/sys/keys/x"}, "their looser /proc/sys rule"},
	} {
		g, err := CompileGlob(c.glob)
		if err != nil {
			t.Errorf("%s: %v", c.glob, err)
			continue
		}
		for _, p := range c.yes {
			if !g.Match(p) {
				t.Errorf("%s should match %s (%s)", c.glob, p, c.about)
			}
		}
		for _, p := range c.no {
			if g.Match(p) {
				t.Errorf("%s should not match %s (%s)", c.glob, p, c.about)
			}
		}
	}
}

func TestAppArmorGlobErrors(t *testing.T) {
	for glob, want := range map[string]string{
		"/a}":        "closes no `{`",
		"/a{b":       "not closed",
		"/a/{b,c":    "not closed",
		"/a/{}":      "empty alternation",
		"/a/[]":      "empty character class",
		"/a/[^]":     "empty character class",
		"/a/[a-]":    "no end",
		"/a/[ab":     "not closed",
		"/a/b]":      "closes no `[`",
		"/a/\\":      "escapes nothing",
		"/a/{b,}}":   "closes no `{`",
		"/a/{{{{{{{": "not closed",
	} {
		_, err := CompileGlob(glob)
		var ge *GlobError
		if err == nil || !errors.As(err, &ge) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", glob, err, want)
		}
	}
	if _, err := CompileGlob(strings.Repeat("{", maxGlobNesting+1) + strings.Repeat("}", maxGlobNesting+1)); err == nil {
		t.Error("deep nesting accepted")
	}
}

func TestAppArmorGlobLiteral(t *testing.T) {
	for glob, want := range map[string]bool{"/usr/bin/foo": true, "/a\\*b": true, "/usr/bin/*": false, "/a/{b,c}": false, "/a/[b]": false, "/a?": false} {
		if got := MustCompileGlob(glob).Literal(); got != want {
			t.Errorf("%s: Literal %v", glob, got)
		}
	}
	for _, p := range []string{"/a b/c", "/x/*?[]{},@{HOME}\\", "/", "/a//b/"} {
		if !MustCompileGlob(QuoteGlob(p)).Match(p) {
			t.Errorf("QuoteGlob(%q) = %q does not match it", p, QuoteGlob(p))
		}
	}
}

// apparmor_parser's own conversion of globs to regular expressions is the
// oracle: rampart's matcher must agree with it on every path.
func TestAppArmorGlobAgainstApparmorParser(t *testing.T) {
	parser, err := parserPath()
	if err != nil {
		t.Skip("apparmor_parser is not installed (Debian package apparmor; `make test` installs it)")
	}
	globs := []string{
		"/tmp/*", "/tmp/*/", "/tmp/**", "/tmp/**/", "/tmp/{,**}", "/tmp{,/**}", "/{**,}", "/**", "/*",
		"/a/*b*", "/a/**.so", "/a/**b", "/a/***", "/a/*/b", "/a/**/b", "/a/?", "/a/[abc]", "/a/[^a-c]",
		"/a[^x]b", "/a/[^a/]*", "/a/{b,c{d,e}}/f", "/a/{,b}c", "/a/{*,x}", "/a/{x,/*}", "/a/{b/,c/}*",
		"/a/{b/,c/}*/", "/a/{x,/*/y}", "/a/{*,}/", "/a/*?", "/a/*[ab]", "/a/**{,b}", "/a//b", "/a/{,*}",
		"/proc/{[^1-9s/]*,s[^y/]*,s,sy[^s/]*,sy,sys?*}/**", "/sys/{[^f/]*,f[^s/]*,f,fs?*}/**", "/tmp{,/**}",
		"/etc/shadow{,/**}", "/a/[-a]",
	}
	paths := []string{"/", "/a", "/a/", "/a/b", "/a/b/", "/a/bb", "/a/x", "/a/x/", "/a/x/b", "/a/x/y/b", "/a/.so",
		"/a/x.so", "/a/x/y.so", "/a/cd/f", "/a/ce/f", "/a/c/f", "/a/b/f", "/a/c", "/a/bc", "/a/y", "/a/d", "/a/ab",
		"/a/b/x", "/a/b/x/", "/a/c/y", "/a/x/y", "/a/xb", "/ayb", "/axb", "/tmp", "/tmp/", "/tmp/a", "/tmp/a/",
		"/tmp/a/b", "/tmp/a/b/", "/tmpx", "/proc/1/x", "/proc/sys/x", "/proc/sysvipc/x", "/proc/fs/x", "/proc/s/x",
		"/proc/sy/x", "/proc/0/x", "/sys/fs/x", "/sys/kernel/x", "/sys/f/x", "/sys/fsx/y",
		"/etc/shadow", "/etc/shadow/", "/etc/shadow/x", "/etc/shadowx", "/a/-"}
	var b strings.Builder
	b.WriteString("profile oracle {\n")
	for _, g := range globs {
		b.WriteString("  " + g + " r,\n")
	}
	b.WriteString("}\n")
	file := filepath.Join(t.TempDir(), "oracle")
	os.WriteFile(file, []byte(b.String()), 0o644)
	out, err := exec.Command(parser, "-Q", "-K", "-D", "rule-exprs", file).CombinedOutput()
	if err != nil {
		t.Fatalf("apparmor_parser: %v\n%s", err, out)
	}
	regexes := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "aare: "); ok {
			if g, re, ok := strings.Cut(rest, "   ->   "); ok {
				regexes[g] = re
			}
		}
	}
	for _, g := range globs {
		src, ok := regexes[foldSlashes(g)]
		if !ok {
			t.Errorf("%s: apparmor_parser printed no conversion", g)
			continue
		}
		re, err := regexp.Compile(`\A(?:` + strings.ReplaceAll(src, `\x00`, `\x{0}`) + `)\z`)
		if err != nil {
			t.Errorf("%s: parser regex %s: %v", g, src, err)
			continue
		}
		mine := MustCompileGlob(g)
		for _, p := range paths {
			if want, got := re.MatchString(p), mine.Match(p); want != got {
				t.Errorf("%s on %s: rampart says %v, apparmor_parser's %s says %v", g, p, got, src, want)
			}
		}
	}
}

func FuzzGlob(f *testing.F) {
	f.Add("/tmp/**", "/tmp/a/b")
	f.Add("/a/{b,c{d,e}}/[^x]?*", "/a/cd/yz")
	f.Add("/proc/[1-9]{,[0-9]}/maps", "/proc/12/maps")
	f.Add("\\", "")
	f.Fuzz(func(t *testing.T, pattern, path string) {
		if len(pattern) > 512 || len(path) > 512 {
			return
		}
		if g, err := CompileGlob(pattern); err == nil {
			// The prefix the rule index files a glob under holds for
			// every path it matches; a whole one is the only match.
			m, folded := g.Match(path), foldSlashes(path)
			prefix, whole := g.Prefix()
			if m && !strings.HasPrefix(folded, prefix) {
				t.Fatalf("%q matches %q, which lacks its prefix %q", pattern, path, prefix)
			}
			if whole && m != (folded == prefix) {
				t.Fatalf("%q: whole prefix %q, but Match(%q) = %v", pattern, prefix, path, m)
			}
		}
		// A path, quoted, matches itself.
		g, err := CompileGlob(QuoteGlob(path))
		if err != nil {
			t.Fatalf("QuoteGlob(%q): %v", path, err)
		}
		if !g.Match(path) {
			t.Fatalf("QuoteGlob(%q) = %q does not match it", path, QuoteGlob(path))
		}
		// So does a path without glob syntax, as it is.
		if !strings.ContainsAny(path, `\*?[]{},@`) {
			if ok, err := MatchGlob(path, path); err != nil || !ok {
				t.Fatalf("literal %q does not match itself: %v", path, err)
			}
		}
	})
}
