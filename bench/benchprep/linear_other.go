//go:build !linux || !cgo || !seccomp

package main

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/seccomp"
)

func linearFilter(*seccomp.Profile) ([]unix.SockFilter, error) {
	return nil, errors.New("building libseccomp's linear form needs cgo and -tags seccomp")
}

func libseccompVersion() string { return "(none)" }
