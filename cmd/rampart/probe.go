package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/probe"
)

const probeLong = `From inside any process or container: which attack paths are open now,
and for each closed one, which layer closed it and the evidence.

Every probe is harmless as full root on a production host: nothing
persistent is written, nothing is mounted outside a private namespace of a
thread or child that exits, no clock is changed, nothing is loaded, and no
secret is printed (/etc/shadow: one byte read and discarded). Calls that
would change the system use arguments the kernel rejects after its
permission check (reboot with a bad magic, init_module with an empty
image). ` + "`rampart probe --list`" + ` says, for each path, why it is safe.

Layers are attributed in the kernel's order: seccomp (a canary call the
kernel would reject with a known errno gets the filter's errno instead),
capabilities (CapEff lacks what the kernel checks), LSM (a refusal the
permission bits and capabilities do not explain: AppArmor by its label,
Landlock when it is the only path LSM), else other (a sysctl, a read-only
mount, an absent target). Evidence that fits more than one layer is
reported as ambiguous, never guessed.

The JSON form (-o json) is documented in docs/probe-json.md.`

func newProbeCmd(stdout io.Writer) *cobra.Command {
	var (
		only   []string
		output string
		list   bool
	)
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Which attack paths are open here, and which layer closed the others",
		Long:  probeLong,
		Example: `  rampart probe
  rampart probe --only raw-socket,userns-netns,read-shadow -o json
  rampart run --cap-drop NET_RAW -- rampart probe --only raw-socket`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var paths []*probe.Path
			if len(only) > 0 {
				var err error
				if paths, err = probe.Lookup(only); err != nil {
					return usageError{err}
				}
			}
			if list {
				if paths == nil {
					paths = probe.Catalog()
				}
				return printCatalog(stdout, paths, output)
			}
			rep, err := probe.Run(paths)
			if err != nil {
				return err
			}
			switch output {
			case "json":
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			case "table", "":
				printProbe(stdout, rep)
				return nil
			}
			return usageError{fmt.Errorf("-o %q: want table or json", output)}
		},
	}
	cmd.Flags().StringSliceVar(&only, "only", nil, "probe only these paths (IDs, comma-separated)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	cmd.Flags().BoolVar(&list, "list", false, "describe the catalog instead of probing")
	return cmd
}

func printProbe(w io.Writer, rep *probe.Report) {
	st := rep.State
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

func seccompMode(st *probe.State) string {
	switch st.Seccomp {
	case 0:
		return "disabled"
	case 1:
		return "strict"
	}
	return fmt.Sprintf("filter (%d filter(s))", st.SeccompFilters)
}

func guards(st *probe.State) string {
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

func printCatalog(w io.Writer, paths []*probe.Path, output string) error {
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(paths)
	}
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
	return nil
}
