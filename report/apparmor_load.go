package report

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// AppArmorLoadResult is `rampart apparmor load -o json`'s output
// (schema: docs/apparmor-load.schema.json): what was done, and the
// profiles it was done to, as the kernel lists them.
type AppArmorLoadResult struct {
	// Action is "load" (loaded and verified listed in the file's
	// mode), "remove" (removed and verified gone) or "check" (read and
	// compiled; nothing loaded).
	Action   string            `json:"action"`
	Profiles []apparmor.Loaded `json:"profiles"`
}

// AppArmorLoad writes the profiles `rampart apparmor load` loaded,
// removed or checked: text, one line per profile (name, mode or
// "removed", file), or json.
func AppArmorLoad(w io.Writer, action string, ps []apparmor.Loaded, format string) error {
	switch format {
	case "text":
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		for _, p := range ps {
			mode := string(p.Mode)
			if action == "remove" {
				mode = "removed"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, mode, p.File)
		}
		return tw.Flush()
	case "json":
		if ps == nil {
			ps = []apparmor.Loaded{}
		}
		return writeJSON(w, AppArmorLoadResult{Action: action, Profiles: ps})
	}
	return &FormatError{Format: format, Want: appArmorFormats}
}
