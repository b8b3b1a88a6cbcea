package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rampart-sec/rampart/record"
)

// summarise prints what was recorded, briefly, and every limit in full.
func summarise(w io.Writer, rec *record.Recording, written []string) {
	fmt.Fprintf(w, "rampart record: %s, recorded by %s in %s, exit status %d\n",
		shellWords(rec.Command), rec.Recorder, rec.Duration.Round(1e6), rec.ExitCode)
	var abis []string
	for abi := range rec.Syscalls {
		abis = append(abis, abi)
	}
	sort.Strings(abis)
	var sys []string
	for _, abi := range abis {
		var calls uint64
		for _, n := range rec.Syscalls[abi] {
			calls += n
		}
		sys = append(sys, fmt.Sprintf("%s %d distinct (%d calls)", abi, len(rec.Syscalls[abi]), calls))
	}
	line := func(label, s string) { fmt.Fprintf(w, "  %-13s %s\n", label, s) }
	line("syscalls", orNone(strings.Join(sys, "; ")))
	var cs []string
	for _, c := range rec.Capabilities {
		s := c.Cap
		if c.Granted > 0 {
			s += fmt.Sprintf(" granted %d", c.Granted)
		}
		if c.Denied > 0 {
			s += fmt.Sprintf(" denied %d", c.Denied)
		}
		cs = append(cs, s)
	}
	line("capabilities", orNone(strings.Join(cs, "; ")))
	var ss []string
	for _, s := range rec.Sockets {
		ss = append(ss, s.Family+" "+s.Type)
	}
	line("sockets", orNone(strings.Join(ss, "; ")))
	line("files", fmt.Sprintf("%d path(s)", len(rec.Files)))
	line("exec", orNone(firstFew(rec.Exec, 4)))
	if len(rec.Limits) == 0 {
		line("limits", "none")
	}
	for _, l := range rec.Limits {
		line("limit", l)
	}
	for i, f := range written {
		label := ""
		if i == 0 {
			label = "wrote"
		}
		line(label, f)
	}
}

// shellWords writes a command line the way a shell would read it back.
func shellWords(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = a
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`;&|<>()*?[]{}~#!") {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func firstFew(l []string, n int) string {
	if len(l) <= n {
		return strings.Join(l, ", ")
	}
	return strings.Join(l[:n], ", ") + fmt.Sprintf(" (+%d more)", len(l)-n)
}
