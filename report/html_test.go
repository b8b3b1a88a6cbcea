//go:build linux

package report

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"html"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chromiumArgs keep headless Chromium to the one page: no sandbox (it
// refuses to start as root with one), no GPU, no first-run or
// background traffic, a profile of its own. It runs in a network
// namespace of its own as well (see chromium).
var chromiumArgs = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-default-apps", "--disable-extensions", "--hide-scrollbars",
	"--enable-logging=stderr", "--v=0",
}

// chromium runs Debian's chromium on args in a new network namespace,
// so the page cannot reach anything, and returns its standard error.
func chromium(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args = append(append(append([]string{}, chromiumArgs...), "--user-data-dir="+t.TempDir()), args...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String() + "\n" + errb.String()
}

// consoleLines are the page's console messages in Chromium's log: an
// error of the page (a script error, a resource that did not load, a
// markup Chromium reports) is logged there as CONSOLE.
func consoleLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		// "Slow network is detected ... Fallback font will be used" is
		// Chromium's own intervention when a font loads slowly on a
		// loaded machine (there is no network here): about the machine,
		// not the page.
		if strings.Contains(l, ":CONSOLE") && !strings.Contains(l, "Slow network is detected") {
			out = append(out, l)
		}
	}
	return out
}

// pageCheck is run in the page after it loads; what it finds is put in
// the page, for --dump-dom to print.
const pageCheck = `<script>
window.rampartErrors = [];
window.addEventListener('error', function (e) {
  rampartErrors.push(e.message || ('did not load: ' + (e.target && (e.target.src || e.target.href))));
}, true);
['error', 'warn'].forEach(function (k) {
  var f = console[k];
  console[k] = function () { rampartErrors.push(k + ': ' + Array.prototype.join.call(arguments, ' ')); f.apply(console, arguments); };
});
window.addEventListener('load', function () {
  var svgs = document.querySelectorAll('svg');
  var box = svgs.length ? svgs[0].getBoundingClientRect() : null;
  var arrows = Array.prototype.map.call(document.querySelectorAll('svg line'), function (l) {
    var b = l.getBoundingClientRect();
    return {x: b.x, width: b.width};
  });
  var pre = document.createElement('pre');
  pre.id = 'rampart-check';
  pre.textContent = JSON.stringify({
    errors: rampartErrors, svgs: svgs.length,
    box: box && {x: box.x, y: box.y, width: box.width, height: box.height},
    arrows: arrows, rows: document.querySelectorAll('table tr').length - 1
  });
  document.body.appendChild(pre);
});
</script>`

// wallColours are the walls of the picture as drawn, each band's colour
// at fill-opacity 0.85 over the white background.
var wallColours = map[string][3]int{
	"runtime":      blend(0x9c, 0xa3, 0xaf),
	"capabilities": blend(0x3b, 0x82, 0xf6),
	"seccomp":      blend(0xf5, 0x9e, 0x0b),
	"LSM":          blend(0x10, 0xb9, 0x81),
}

func blend(r, g, b int) [3]int {
	f := func(c int) int { return (c*85 + 255*15 + 50) / 100 }
	return [3]int{f(r), f(g), f(b)}
}

// TestLayersHTMLInChromium opens `rampart layers -o html` of a real run
// (the embedded seed, every catalog path) in headless Chromium. The
// page as written must log nothing to the console, and its picture must
// be drawn: a screenshot holds each of the four walls, in its colour and
// about its size, inside the box the page gives the picture. The same
// page with a check script must report no error, one picture as wide as
// drawn and as tall as its rows, and one arrow of some length per row
// of the table.
func TestLayersHTMLInChromium(t *testing.T) {
	needRoot(t)
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium here (Debian's chromium package; scripts/deps.sh test installs it, so CI has it)")
	}
	page := rampartOut(t, "", "layers", "-o", "html").data
	dir := t.TempDir()
	file := filepath.Join(dir, "layers.html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}

	// The picture is strict XML too (-o svg writes the same): the
	// HTML parser would forgive what an SVG viewer refuses.
	svg := page[bytes.Index(page, []byte("<svg")) : bytes.Index(page, []byte("</svg>"))+len("</svg>")]
	d := xml.NewDecoder(bytes.NewReader(svg))
	d.Strict = true
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("the picture is not well-formed XML: %v", err)
			}
			break
		}
	}

	checked := filepath.Join(dir, "checked.html")
	withCheck := bytes.Replace(page, []byte("<head>"), []byte("<head>"+pageCheck), 1)
	if err := os.WriteFile(checked, withCheck, 0o644); err != nil {
		t.Fatal(err)
	}
	dom := chromium(t, bin, "--dump-dom", "file://"+checked)
	m := regexp.MustCompile(`<pre id="rampart-check">([^<]*)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the check script reported nothing: the page did not load or run\n%s", dom)
	}
	var got struct {
		Errors []string
		SVGs   int
		Box    *struct{ X, Y, Width, Height float64 }
		Arrows []struct{ X, Width float64 }
		Rows   int
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &got); err != nil {
		t.Fatalf("%v: %s", err, m[1])
	}
	if len(got.Errors) > 0 {
		t.Errorf("the page reports errors: %q", got.Errors)
	}
	if got.SVGs != 1 || got.Box == nil {
		t.Fatalf("%d pictures in the page, want 1", got.SVGs)
	}
	if got.Rows < 1 {
		t.Fatalf("a table of %d rows", got.Rows)
	}
	if got.Box.Width < svgWidth || got.Box.Height < float64(top+got.Rows*rowHeight) {
		t.Errorf("the picture is %.0fx%.0f px, want %dx%d at least for %d rows", got.Box.Width, got.Box.Height, svgWidth, top+got.Rows*rowHeight, got.Rows)
	}
	if len(got.Arrows) != got.Rows {
		t.Errorf("%d arrows for %d rows", len(got.Arrows), got.Rows)
	}
	for i, a := range got.Arrows {
		if a.Width < 40 {
			t.Errorf("arrow %d is %.0f px long", i, a.Width)
		}
	}

	// The page as written: nothing on the console, and the walls drawn.
	shot := filepath.Join(dir, "layers.png")
	height := int(got.Box.Y+got.Box.Height) + 100
	log := chromium(t, bin, "--screenshot="+shot, "--window-size=1200,"+strconv.Itoa(height), "file://"+file)
	if c := consoleLines(log); len(c) > 0 {
		t.Errorf("the page logs to the console:\n%s", strings.Join(c, "\n"))
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	box := image.Rect(int(got.Box.X), int(got.Box.Y), int(got.Box.X+got.Box.Width), int(got.Box.Y+got.Box.Height))
	if !box.In(img.Bounds()) {
		t.Fatalf("the picture at %v is not all in the %v screenshot", box, img.Bounds())
	}
	// A wall is bandWidth wide and runs the height of the rows; arrows
	// and crosses cover some of it.
	want := bandWidth * got.Rows * rowHeight / 2
	for name, c := range wallColours {
		in, out := 0, 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				if near(int(r>>8), c[0]) && near(int(g>>8), c[1]) && near(int(bl>>8), c[2]) {
					if image.Pt(x, y).In(box) {
						in++
					} else {
						out++
					}
				}
			}
		}
		if in < want {
			t.Errorf("the %s wall: %d pixels of its colour in the picture, want %d at least", name, in, want)
		}
		if out > in/10 {
			t.Errorf("the %s wall: %d pixels of its colour outside the picture, %d in it", name, out, in)
		}
	}
	if t.Failed() {
		t.Logf("the page and its screenshot: %s, %s", file, shot)
		keep, _ := os.MkdirTemp("", "rampart-html-")
		for _, p := range []string{file, shot} {
			b, _ := os.ReadFile(p)
			os.WriteFile(filepath.Join(keep, filepath.Base(p)), b, 0o644)
		}
		t.Logf("kept in %s", keep)
	}
}

func near(a, b int) bool { return a-b <= 10 && b-a <= 10 }
