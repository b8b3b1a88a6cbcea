//go:build !linux

package bpf

import "errors"

// haveKernel: no Linux kernel here to ask about a program.
const haveKernel = false

func kernelAccepts([]Insn) error { return errors.New("no Linux kernel") }
