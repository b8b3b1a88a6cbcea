//go:build linux

// Command pause is the lab's Pod sandbox process: it holds the Pod's
// namespaces open, reaps orphans (it is PID 1 when the Pod shares its PID
// namespace) and exits on SIGTERM or SIGINT, so Pods stop at once.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sig {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
