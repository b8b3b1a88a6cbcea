//go:build linux

// Command kubelab brings the kube test tier's single-node Kubernetes up or
// down by hand, for working on the tests: `kubelab up bin/rampart` leaves
// it running (KUBECONFIG printed), `kubelab reload bin/rampart` puts a new
// rampart into its image, `kubelab down` removes every trace.
// The tests themselves (make kube-test) bring their own lab up and down.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rampart-sec/rampart/internal/kubelab"
)

func main() {
	log := func(s string) { fmt.Fprintln(os.Stderr, s) }
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: kubelab up RAMPART-STATIC-BINARY | reload RAMPART-STATIC-BINARY | image RAMPART-STATIC-BINARY OUT.tar | down | build")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch os.Args[1] {
	case "build":
		for _, build := range []func(context.Context, func(string)) (string, error){kubelab.Binaries, kubelab.RuntimeBinaries} {
			dir, err := build(ctx, log)
			if err != nil {
				log(err.Error())
				os.Exit(1)
			}
			fmt.Println(dir)
		}
	case "up":
		if len(os.Args) != 3 {
			log("usage: kubelab up RAMPART-STATIC-BINARY")
			os.Exit(2)
		}
		c, err := kubelab.Up(ctx, os.Args[2], log)
		if err != nil {
			log(err.Error())
			os.Exit(1)
		}
		fmt.Printf("export KUBECONFIG=%s PATH=%s:$PATH\n", c.Kubeconfig, c.Bin)
	case "reload":
		if len(os.Args) != 3 {
			log("usage: kubelab reload RAMPART-STATIC-BINARY")
			os.Exit(2)
		}
		c, err := kubelab.Attach(ctx)
		if err == nil {
			err = c.ReloadImage(ctx, os.Args[2])
		}
		if err != nil {
			log(err.Error())
			os.Exit(1)
		}
	case "image":
		if len(os.Args) != 4 {
			log("usage: kubelab image RAMPART-STATIC-BINARY OUT.tar")
			os.Exit(2)
		}
		if err := kubelab.WriteImage(os.Args[2], os.Args[3]); err != nil {
			log(err.Error())
			os.Exit(1)
		}
		log("wrote " + os.Args[3] + " (" + kubelab.Image + ")")
	case "down":
		kubelab.Down(log)
	default:
		log("unknown command " + os.Args[1])
		os.Exit(2)
	}
}
