//go:build linux && cgo && seccomp

package main

import (
	"fmt"

	libseccomp "github.com/seccomp/libseccomp-golang"
)

func libseccompVersion() string {
	a, b, c := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", a, b, c)
}
