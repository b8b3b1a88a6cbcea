//go:build linux

// Command labrun runs a shell script in the lab (Debian's kernel with
// AppArmor, under qemu) and prints what it printed — for trying things
// by hand:
//
//	go run ./internal/lab/internal/labrun -f /profiles/p=./p.profile 'rampart run --apparmor /profiles/p -- cat /etc/shadow'
//	go run ./internal/lab/internal/labrun -console script.sh
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/internal/lab"
)

type fileFlags map[string]lab.File

func (f fileFlags) String() string { return "" }
func (f fileFlags) Set(v string) error {
	img, host, ok := strings.Cut(v, "=")
	if !ok || !strings.HasPrefix(img, "/") {
		return fmt.Errorf("want /IN/IMAGE=HOST-PATH, got %q", v)
	}
	f[img] = lab.HostFile(host)
	return nil
}

func main() {
	files := fileFlags{}
	flag.Var(files, "f", "add a file: /IN/IMAGE=HOST-PATH (repeatable)")
	timeout := flag.Duration("timeout", 3*time.Minute, "deadline for the boot")
	console := flag.Bool("console", false, "print the whole console, not just the script's output")
	cpus := flag.Int("smp", 2, "guest CPUs")
	appendArgs := flag.String("append", "", "extra kernel command line")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: labrun [-f /path=host]... [-timeout D] [-console] SCRIPT-TEXT|SCRIPT-FILE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	script := flag.Arg(0)
	if b, err := os.ReadFile(script); err == nil {
		script = string(b)
	}
	l := &lab.Lab{Timeout: *timeout, CPUs: *cpus, Append: *appendArgs, Log: os.Stderr}
	res, err := l.Run(context.Background(), script, files)
	if *console {
		fmt.Print(res.Console)
	} else {
		fmt.Print(res.Output)
	}
	fmt.Fprintf(os.Stderr, "labrun: status %d; kernel %v, initramfs %v, boot %v\n", res.Status,
		res.Times.Kernel.Round(time.Millisecond), res.Times.Initramfs.Round(time.Millisecond), res.Times.Boot.Round(time.Millisecond))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(res.Status)
}
