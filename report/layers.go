package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/layers"
)

const (
	red   = "\x1b[31m"
	green = "\x1b[32m"
	dim   = "\x1b[2m"
	bold  = "\x1b[1m"
	reset = "\x1b[0m"
)

// layersFormats are the formats Layers writes.
var layersFormats = []string{"table", "json", "markdown", "svg", "html"}

// Layers writes a layers matrix: a terminal table (coloured when colour
// is set, for terminals only), json (schema: docs/layers-json.md),
// markdown (or md), the picture as svg, or html (the picture and the
// table in a standalone page).
func Layers(w io.Writer, m *layers.Matrix, format string, colour bool) error {
	switch format {
	case "table", "":
		layersTable(w, m, colour)
	case "json":
		return writeJSON(w, m)
	case "markdown", "md":
		layersMarkdown(w, m)
	case "svg":
		return layersSVG(w, m)
	case "html":
		return layersHTML(w, m)
	default:
		return &FormatError{Format: format, Want: layersFormats}
	}
	return nil
}

// stepWords says what a step applies and, for an engine that runs steps
// on cluster nodes, which node ran it: columns from different nodes
// compare kernels as well as configurations.
func stepWords(s layers.Step) string {
	if s.Node == "" {
		return s.Describe
	}
	return s.Describe + " (on node " + s.Node + ")"
}

// closedBy says who closed a row, in words.
func closedBy(r layers.Row) string {
	switch {
	case r.ClosedAt == "":
		return "gap: open under every layer"
	case r.ClosedAt == layers.Baseline && r.Attack == "":
		return "already closed at baseline (" + layerName(r.ClosedBy, r.LSM) + ")"
	case r.ClosedAt == layers.Baseline:
		return "already closed at baseline"
	}
	return layerName(r.ClosedBy, r.LSM)
}

func layerName(layer, lsm string) string {
	if lsm != "" {
		return layer + " (" + lsm + ")"
	}
	return layer
}

// layersTable writes the matrix as a terminal table; colour is for
// terminals only.
func layersTable(w io.Writer, m *layers.Matrix, colour bool) {
	paint := func(c, s string) string {
		if !colour {
			return s
		}
		return c + s + reset
	}
	fmt.Fprintf(w, "%s %s (%s engine)\n", paint(bold, "rampart layers:"), m.Policy, m.Engine)
	for _, s := range m.Steps {
		fmt.Fprintf(w, "  %-14s %s\n", s.Name, stepWords(s))
	}
	for _, n := range m.Notes {
		fmt.Fprintf(w, "  %s\n", paint(dim, "note: "+n))
	}
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"PATH"}
	for _, s := range m.Steps {
		head = append(head, strings.ToUpper(s.Name))
	}
	head = append(head, "CLOSED BY")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range m.Rows {
		cells := []string{r.ID}
		for _, c := range r.Cells {
			// pad before painting: tabwriter counts escape bytes
			v := fmt.Sprintf("%-7s", c.Verdict)
			if c.Verdict == attack.Open {
				v = paint(red, v)
			} else if c.Verdict == layers.NotRun {
				v = paint(dim, v)
			} else {
				v = paint(green, v)
			}
			cells = append(cells, v)
		}
		cells = append(cells, closedBy(r))
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, line := range summaryLines(m) {
		fmt.Fprintln(w, line)
	}
}

// summaryLines is one line per layer: what it closed that the previous
// ones left open, then the gaps in plain words.
func summaryLines(m *layers.Matrix) []string {
	var out []string
	for _, s := range m.Summary {
		switch {
		case s.Step == layers.Baseline && len(s.Closed) > 0:
			out = append(out, fmt.Sprintf("baseline: %d path(s) already closed by the runtime's defaults: %s", len(s.Closed), strings.Join(s.Closed, ", ")))
		case s.Step == layers.Baseline:
		case s.Refused != "":
			out = append(out, fmt.Sprintf("%s did not run: %s", s.Step, s.Refused))
		case len(s.Closed) == 0:
			out = append(out, fmt.Sprintf("%s closed nothing the previous layers left open", s.Step))
		default:
			out = append(out, fmt.Sprintf("%s closed %d: %s", s.Step, len(s.Closed), strings.Join(s.Closed, ", ")))
		}
	}
	if len(m.Gaps) == 0 {
		out = append(out, "no gaps: every path is closed by some layer")
	} else {
		which := "every layer of this policy"
		for _, s := range m.Steps {
			if s.Refused != "" {
				which = "every layer that ran"
			}
		}
		out = append(out, fmt.Sprintf("gaps: %d path(s) stay open with %s: %s", len(m.Gaps), which, strings.Join(m.Gaps, ", ")))
	}
	return out
}

// layersMarkdown writes the matrix as a Markdown table.
func layersMarkdown(w io.Writer, m *layers.Matrix) {
	fmt.Fprintf(w, "### rampart layers: %s (%s engine)\n\n", m.Policy, m.Engine)
	for _, s := range m.Steps {
		fmt.Fprintf(w, "- **%s**: %s\n", s.Name, stepWords(s))
	}
	for _, n := range m.Notes {
		fmt.Fprintf(w, "- _note: %s_\n", n)
	}
	fmt.Fprintln(w)
	head := "| path |"
	sep := "|---|"
	for _, s := range m.Steps {
		head += " " + s.Name + " |"
		sep += ":---:|"
	}
	fmt.Fprintln(w, head+" closed by |")
	fmt.Fprintln(w, sep+"---|")
	for _, r := range m.Rows {
		line := "| `" + r.ID + "` |"
		if r.Attack != "" {
			line = "| `" + strings.ReplaceAll(r.Attack, "|", "\\|") + "` |"
		}
		for _, c := range r.Cells {
			line += " " + c.Verdict + " |"
		}
		fmt.Fprintln(w, line+" "+closedBy(r)+" |")
	}
	fmt.Fprintln(w)
	for _, l := range summaryLines(m) {
		fmt.Fprintln(w, "- "+l)
	}
}
