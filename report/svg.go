package report

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/layers"
)

// band is one layer drawn as a wall the attacker's arrows run into.
type band struct {
	step, title, sub, colour string
	x                        int
}

var bands = []band{
	{layers.Baseline, "runtime", "defaults", "#9ca3af", 330},
	{layers.PlusCaps, "capabilities", "the moat", "#3b82f6", 450},
	{layers.PlusSeccomp, "seccomp", "the wall", "#f59e0b", 570},
	{layers.PlusLSM, "LSM", "the guards", "#10b981", 690},
}

const (
	svgWidth  = 960
	rowHeight = 22
	top       = 120
	bandWidth = 26
	arrowFrom = 250
	hostX     = 800
	gapColour = "#dc2626"
)

// layersSVG draws the seed article's picture: the layers as walls, each
// attack path an arrow from the attacker that stops at the wall that
// closed it, or reaches the host when no layer did.
func layersSVG(w io.Writer, m *layers.Matrix) error {
	summary := wrap(summaryLines(m), 140)
	h := top + len(m.Rows)*rowHeight + 40 + len(summary)*15
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`+"\n", svgWidth, h, svgWidth, h)
	b.WriteString(`<defs>`)
	for _, c := range append(bandColours(), gapColour) {
		id := strings.TrimPrefix(c, "#")
		fmt.Fprintf(&b, `<marker id="a%s" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>`, id, c)
	}
	b.WriteString("</defs>\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", svgWidth, h)
	fmt.Fprintf(&b, `<text x="20" y="30" font-size="18" font-weight="bold">rampart layers</text>`+"\n")
	fmt.Fprintf(&b, `<text x="20" y="50" font-size="12" fill="#374151">%s — %s engine</text>`+"\n", esc(m.Policy), esc(m.Engine))
	fmt.Fprintf(&b, `<text x="20" y="%d" font-size="12" font-weight="bold" fill="#374151">attacker</text>`+"\n", top-12)

	bottom := top + len(m.Rows)*rowHeight
	for _, bd := range bands {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="%s" fill-opacity="0.85"/>`+"\n", bd.x, top-8, bandWidth, bottom-top+8, bd.colour)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" font-weight="bold" text-anchor="middle" fill="%s">%s</text>`+"\n", bd.x+bandWidth/2, top-40, bd.colour, esc(bd.title))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle" fill="#6b7280">%s</text>`+"\n", bd.x+bandWidth/2, top-26, esc(bd.sub))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="#fee2e2" stroke="%s"/>`+"\n", hostX, top-8, svgWidth-hostX-20, bottom-top+8, gapColour)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" font-weight="bold" text-anchor="middle" fill="%s">host kernel</text>`+"\n", (hostX+svgWidth-20)/2, top-26, gapColour)
	if len(m.Gaps) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle" fill="%s">no path reaches it</text>`+"\n", (hostX+svgWidth-20)/2, (top+bottom)/2, gapColour)
	}

	for i, r := range m.Rows {
		y := top + i*rowHeight + rowHeight/2
		label := r.ID
		if r.Attack != "" {
			label = "$ " + r.Attack
			if len(label) > 34 {
				label = label[:33] + "…"
			}
		}
		fmt.Fprintf(&b, `<text x="20" y="%d" font-size="12" font-family="DejaVu Sans Mono, monospace" fill="#111827">%s</text>`+"\n", y+4, esc(label))
		end, colour, mark := hostX+6, gapColour, ""
		for _, bd := range bands {
			if bd.step == r.ClosedAt {
				end, colour, mark = bd.x-2, bd.colour, "✕"
			}
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2" marker-end="url(#a%s)"/>`+"\n", arrowFrom, y, end, y, colour, strings.TrimPrefix(colour, "#"))
		if mark != "" {
			// a cross where the wall stops the arrow
			cx := end - 12
			fmt.Fprintf(&b, `<path d="M%d,%d l8,8 M%d,%d l8,-8" stroke="#111827" stroke-width="2"><title>%s: closed by %s</title></path>`+"\n",
				cx-4, y-4, cx-4, y+4, esc(r.ID), esc(closedBy(r)))
		} else {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="%s">open</text>`+"\n", hostX+14, y+4, gapColour)
		}
	}
	ly := bottom + 30
	for k, s := range summary {
		fmt.Fprintf(&b, `<text x="20" y="%d" font-size="11" fill="#374151">%s</text>`+"\n", ly+k*15, esc(s))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// wrap breaks lines longer than width at spaces (SVG text does not wrap).
func wrap(lines []string, width int) []string {
	var out []string
	for _, l := range lines {
		for len(l) > width {
			i := strings.LastIndex(l[:width], " ")
			if i <= 0 {
				break
			}
			out = append(out, l[:i])
			l = "    " + l[i+1:]
		}
		out = append(out, l)
	}
	return out
}

func bandColours() []string {
	var out []string
	for _, b := range bands {
		out = append(out, b.colour)
	}
	return out
}

func esc(s string) string { return html.EscapeString(s) }

// layersHTML is a standalone page: the picture and the table.
func layersHTML(w io.Writer, m *layers.Matrix) error {
	fmt.Fprintf(w, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>rampart layers: %s</title>\n", esc(m.Policy))
	fmt.Fprint(w, `<style>body{font-family:system-ui,sans-serif;margin:2em;color:#111827}table{border-collapse:collapse}td,th{border:1px solid #d1d5db;padding:4px 8px;font-size:13px}td.open{background:#fee2e2}td.blocked{background:#dcfce7}td.notrun{background:#f3f4f6;color:#6b7280}code{font-size:12px}</style></head><body>`+"\n")
	if err := layersSVG(w, m); err != nil {
		return err
	}
	fmt.Fprint(w, "<ul>\n")
	for _, s := range m.Steps {
		fmt.Fprintf(w, "<li><b>%s</b>: %s</li>\n", esc(s.Name), esc(stepWords(s)))
	}
	for _, n := range m.Notes {
		fmt.Fprintf(w, "<li><i>note: %s</i></li>\n", esc(n))
	}
	fmt.Fprint(w, "</ul>\n<table><tr><th>path</th>")
	for _, s := range m.Steps {
		fmt.Fprintf(w, "<th>%s</th>", esc(s.Name))
	}
	fmt.Fprint(w, "<th>closed by</th></tr>\n")
	for _, r := range m.Rows {
		name := r.ID
		if r.Attack != "" {
			name = r.Attack
		}
		fmt.Fprintf(w, "<tr><td><code>%s</code></td>", esc(name))
		for _, c := range r.Cells {
			class := "blocked"
			if c.Verdict == attack.Open {
				class = "open"
			} else if c.Verdict == layers.NotRun {
				class = "notrun"
			}
			fmt.Fprintf(w, `<td class="%s" title="%s">%s</td>`, class, esc(c.Evidence), esc(c.Verdict))
		}
		fmt.Fprintf(w, "<td>%s</td></tr>\n", esc(closedBy(r)))
	}
	fmt.Fprint(w, "</table>\n</body></html>\n")
	return nil
}
