package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
)

// probeFormats are the formats Probe and Catalog write.
var probeFormats = []string{"table", "json"}

// Probe writes `rampart probe`'s report: a table (the process's layers,
// then a row per path: verdict, layer, evidence) or json (schema:
// docs/probe-json.md).
func Probe(w io.Writer, rep *attack.Report, format string) error {
	switch format {
	case "table", "":
		probeTable(w, rep)
		return nil
	case "json":
		return writeJSON(w, rep)
	}
	return &FormatError{Format: format, Want: probeFormats}
}

// Catalog writes the attack-path catalog (`rampart probe --list`): per
// path what it gains, its syscalls, the capability the kernel checks and
// why probing it is safe; or json, the paths as the probe package holds
// them.
func Catalog(w io.Writer, paths []*attack.Path, format string) error {
	switch format {
	case "table", "":
		catalogTable(w, paths)
		return nil
	case "json":
		return writeJSON(w, paths)
	}
	return &FormatError{Format: format, Want: probeFormats}
}

// probeTable writes the process's layers as the probe read them, then a
// row per path.
func probeTable(w io.Writer, rep *attack.Report) {
	st := rep.State
	if p := rep.Pod; p != nil {
		how := "through kubectl exec"
		if p.From == "node" {
			how = "from the node, in its namespaces and under its layers"
		}
		fmt.Fprintf(w, "pod       %s/%s container %s on node %s (%s)\n", p.Namespace, p.Pod, p.Container, p.Node, how)
	}
	fmt.Fprintf(w, "process   uid %d gid %d groups %v, no_new_privs %v\n", st.UID, st.GID, st.Groups, st.NoNewPrivs)
	fmt.Fprintf(w, "moat      effective %s\n", capList(st.CapEff))
	if strings.Join(st.CapBnd, ",") != strings.Join(st.CapEff, ",") {
		fmt.Fprintf(w, "          bounding  %s\n", capList(st.CapBnd))
	}
	fmt.Fprintf(w, "wall      seccomp %s\n", seccompMode(st))
	fmt.Fprintf(w, "guards    %s\n", guards(st))
	where := "host (no container detected)"
	if st.Container != "" {
		where = st.Container + " (" + st.ContainerEvidence + ")"
	}
	fmt.Fprintf(w, "where     %s; namespaces %s\n\n", where, namespaces(st.Namespaces))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tRESULT\tLAYER\tEVIDENCE")
	for _, r := range rep.Results {
		layer := r.Layer
		if r.LSM != "" {
			layer += " (" + r.LSM + ")"
		}
		if len(r.Ambiguous) > 0 {
			layer += " [ambiguous: " + strings.Join(r.Ambiguous, "/") + "]"
		}
		ev := r.Evidence
		if r.Errno != "" {
			ev = r.Errno + ": " + ev
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Verdict, layer, ev)
	}
	tw.Flush()
}

func capList(c []string) string {
	switch {
	case len(c) == 0:
		return "none"
	case len(c) > 20:
		return fmt.Sprintf("%d capabilities", len(c))
	}
	return strings.Join(c, ",")
}

func seccompMode(st *attack.State) string {
	switch st.Seccomp {
	case 0:
		return "disabled"
	case 1:
		return "strict"
	}
	return fmt.Sprintf("filter (%d filter(s))", st.SeccompFilters)
}

func guards(st *attack.State) string {
	var parts []string
	if st.AppArmor != "" {
		parts = append(parts, "AppArmor "+st.AppArmor)
	} else {
		parts = append(parts, "AppArmor not in kernel")
	}
	if st.LandlockABI > 0 {
		parts = append(parts, fmt.Sprintf("Landlock ABI %d (a domain is seen only through refusals)", st.LandlockABI))
	}
	return strings.Join(parts, "; ") + "; active LSMs " + strings.Join(st.ActiveLSMs, ",")
}

func namespaces(ns map[string]string) string {
	var priv []string
	for _, k := range []string{"user", "pid", "mnt", "net", "uts", "ipc", "cgroup", "time"} {
		if ns[k] == "private" {
			priv = append(priv, k)
		}
	}
	if len(priv) == 0 {
		return "all shared with pid 1"
	}
	return "private " + strings.Join(priv, ",")
}

// catalogTable describes each path for people.
func catalogTable(w io.Writer, paths []*attack.Path) {
	for _, p := range paths {
		fmt.Fprintf(w, "%s — %s\n", p.ID, p.Title)
		fmt.Fprintf(w, "  gains:    %s\n", p.Gain)
		fmt.Fprintf(w, "  syscalls: %s\n", strings.Join(p.Syscalls, ", "))
		c := "no capability"
		if p.Model.Caps != 0 {
			c = strings.Join(p.Model.Caps.Names(caps.Cap.OCI), ", ")
		}
		switch {
		case p.Model.CapNote != "" && p.Model.Caps == 0:
			c = p.Model.CapNote
		case p.Model.CapNote != "":
			c += ": " + p.Model.CapNote
		}
		fmt.Fprintf(w, "  checks:   %s\n", c)
		fmt.Fprintf(w, "  safe:     %s\n\n", p.Safety)
	}
}
