package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/rampart-sec/rampart/drift"
)

var driftFormats = []string{"table", "json"}

// Drift writes a drift run (rampart probe --all): table, or json
// (docs/drift-json.md).
func Drift(w io.Writer, r *drift.Report, format string) error {
	switch format {
	case "table", "":
		driftTable(w, r)
		return nil
	case "json":
		return writeJSON(w, r)
	}
	return &FormatError{Format: format, Want: driftFormats}
}

// driftTable writes the drift first, one line per finding under its
// container, then what the audit assumed, what was not measured, and the
// counts.
func driftTable(w io.Writer, r *drift.Report) {
	var b strings.Builder
	section := func(title string, fs []drift.Finding) {
		if len(fs) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s:\n", title)
		last := ""
		for _, f := range fs {
			where := fmt.Sprintf("%s/%s container %s on node %s", f.Namespace, f.Pod, f.Container, f.Node)
			if where != last {
				fmt.Fprintf(&b, "  %s\n", where)
				last = where
			}
			what := f.Kind
			if f.Path != "" {
				what = f.Path
			}
			foreseen := ""
			if f.Foreseen {
				foreseen = " (foreseen by audit)"
			}
			fmt.Fprintf(&b, "    %-20s predicted %s; measured %s%s\n", what, f.Predicted, f.Measured, foreseen)
			if f.Why != "" {
				fmt.Fprintf(&b, "    %-20s %s\n", "", indent(f.Why, "                         "))
			}
		}
		b.WriteString("\n")
	}
	section("DRIFT: the cluster does not do what its manifests say", r.Drift)
	section("assumed: paths a node fact decides, which the audit could only assume (give it with audit's node flags)", r.Assumed)
	if len(r.Unmeasured) > 0 {
		b.WriteString("not measured:\n")
		for _, u := range r.Unmeasured {
			fmt.Fprintf(&b, "  %s/%s container %s on node %s: %s\n", u.Namespace, u.Pod, u.Container, u.Node, u.Why)
		}
		b.WriteString("\n")
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "error: %s\n", e)
	}
	fmt.Fprintf(&b, "%d Pods, %d containers: %d probed, %d not measured; %d findings of drift, %d assumed\n",
		r.Pods, r.Containers, r.Probed, len(r.Unmeasured), len(r.Drift), len(r.Assumed))
	io.WriteString(w, b.String())
}
