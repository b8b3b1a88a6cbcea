//go:build linux

// Command crosscc prints the C cross compiler for linux/arm64 cgo builds
// (`make dist`): Debian's aarch64-linux-gnu-gcc where it is installed,
// else the lab's copy of its packages, which does not remove gcc-multilib
// as installing it would (internal/lab/crosscc.go).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/rampart-sec/rampart/internal/lab"
)

func main() {
	cc, err := lab.CrossCC(context.Background(), &lab.ARM64, "", os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crosscc:", err)
		os.Exit(1)
	}
	fmt.Println(cc)
}
