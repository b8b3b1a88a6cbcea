package bpf

import (
	"errors"
	"testing"

	"github.com/rampart-sec/rampart/internal/linuxabi"
)

func stmt(code uint16, k uint32) Insn { return Insn{Code: code, K: k} }
func jump(code uint16, k uint32, jt, jf uint8) Insn {
	return Insn{Code: code, K: k, Jt: jt, Jf: jf}
}

const (
	ldAbs = linuxabi.BPF_LD | linuxabi.BPF_W | linuxabi.BPF_ABS
	retK  = linuxabi.BPF_RET | linuxabi.BPF_K
	jeqK  = linuxabi.BPF_JMP | linuxabi.BPF_JEQ | linuxabi.BPF_K
)

// x86_64's numbers and EPERM, which the hand-written filter decides on
// whatever machine runs the test.
const (
	sysGetpid  = 39
	sysUnshare = 272
	ePERM      = 1
)

// A filter written by hand: deny unshare with CLONE_NEWUSER on x86_64,
// kill other architectures, allow the rest.
var denyUserns = []Insn{
	stmt(ldAbs, 4),               // 0: A = arch
	jump(jeqK, ArchX86_64, 1, 0), // 1
	stmt(retK, RetKillProcess),   // 2
	stmt(ldAbs, 0),               // 3: A = nr
	jump(jeqK, sysUnshare, 0, 3), // 4
	stmt(ldAbs, 16),              // 5: A = low half of args[0]
	jump(linuxabi.BPF_JMP|linuxabi.BPF_JSET|linuxabi.BPF_K, linuxabi.CLONE_NEWUSER, 0, 1), // 6
	stmt(retK, RetErrno|ePERM), // 7
	stmt(retK, RetAllow),       // 8
}

func TestRunHandWritten(t *testing.T) {
	for _, c := range []struct {
		d    Data
		want uint32
		path []int
	}{
		{Data{Nr: sysUnshare, Arch: ArchX86_64, Args: [6]uint64{linuxabi.CLONE_NEWUSER | linuxabi.CLONE_NEWNET}}, RetErrno | 1, []int{0, 1, 3, 4, 5, 6, 7}},
		{Data{Nr: sysUnshare, Arch: ArchX86_64, Args: [6]uint64{linuxabi.CLONE_NEWNET}}, RetAllow, []int{0, 1, 3, 4, 5, 6, 8}},
		// the high half of a 64-bit argument is at offset 20, not tested here
		{Data{Nr: sysUnshare, Arch: ArchX86_64, Args: [6]uint64{linuxabi.CLONE_NEWUSER << 32}}, RetAllow, nil},
		{Data{Nr: sysGetpid, Arch: ArchX86_64}, RetAllow, []int{0, 1, 3, 4, 8}},
		{Data{Nr: sysUnshare, Arch: ArchI386}, RetKillProcess, []int{0, 1, 2}},
	} {
		got, path, err := Run(denyUserns, c.d)
		if err != nil || got != c.want {
			t.Errorf("%+v: %#x %v, want %#x", c.d, got, err, c.want)
		}
		if c.path != nil && !equal(path, c.path) {
			t.Errorf("%+v: path %v, want %v", c.d, path, c.path)
		}
	}
}

func TestALUAndScratch(t *testing.T) {
	prog := []Insn{
		stmt(ldAbs, 0), // A = nr (7)
		stmt(linuxabi.BPF_ALU|linuxabi.BPF_MUL|linuxabi.BPF_K, 6),       // 42
		stmt(linuxabi.BPF_ST, 3),                                        // M[3] = 42
		stmt(linuxabi.BPF_LDX|linuxabi.BPF_IMM, 2),                      // X = 2
		stmt(linuxabi.BPF_LD|linuxabi.BPF_MEM, 3),                       // A = 42
		stmt(linuxabi.BPF_ALU|linuxabi.BPF_DIV|linuxabi.BPF_X, 0),       // 21
		stmt(linuxabi.BPF_ALU|linuxabi.BPF_LSH|linuxabi.BPF_K, 1),       // 42
		stmt(linuxabi.BPF_ALU|linuxabi.BPF_OR|linuxabi.BPF_K, RetErrno), // ERRNO|42
		stmt(linuxabi.BPF_RET|linuxabi.BPF_A, 0),
	}
	got, _, err := Run(prog, Data{Nr: 7})
	if err != nil || got != RetErrno|42 {
		t.Fatalf("%#x %v", got, err)
	}
	// division by a zero register ends the program with 0 (kill)
	prog[3] = stmt(linuxabi.BPF_LDX|linuxabi.BPF_IMM, 0)
	if got, _, _ := Run(prog, Data{Nr: 7}); got != RetKillThread {
		t.Fatalf("div by zero: %#x", got)
	}
}

func TestValidateRejectsWhatTheKernelRejects(t *testing.T) {
	for name, prog := range map[string][]Insn{
		"empty":             {},
		"no return at end":  {stmt(ldAbs, 0)},
		"load past data":    {stmt(ldAbs, 64), stmt(retK, 0)},
		"unaligned load":    {stmt(ldAbs, 2), stmt(retK, 0)},
		"packet load":       {stmt(linuxabi.BPF_LD|linuxabi.BPF_B|linuxabi.BPF_ABS, 0), stmt(retK, 0)},
		"jump out":          {jump(jeqK, 0, 5, 0), stmt(retK, 0)},
		"scratch out":       {stmt(linuxabi.BPF_ST, 16), stmt(retK, 0)},
		"div by constant 0": {stmt(linuxabi.BPF_ALU|linuxabi.BPF_DIV|linuxabi.BPF_K, 0), stmt(retK, 0)},
	} {
		if err := Validate(prog); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
		// and the kernel agrees (where there is one): it refuses to load
		// each of them
		if err := kernelAccepts(prog); haveKernel && err == nil {
			t.Errorf("%s: the kernel accepted it", name)
		}
	}
	if err := Validate(denyUserns); err != nil {
		t.Fatal(err)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func FuzzRun(f *testing.F) {
	f.Add([]byte{0x20, 0, 0, 0, 0, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f}, int32(1), uint64(0))
	f.Fuzz(func(t *testing.T, raw []byte, nr int32, arg uint64) {
		var prog []Insn
		for i := 0; i+8 <= len(raw) && len(prog) < 64; i += 8 {
			prog = append(prog, Insn{
				Code: uint16(raw[i]) | uint16(raw[i+1])<<8, Jt: raw[i+2], Jf: raw[i+3],
				K: uint32(raw[i+4]) | uint32(raw[i+5])<<8 | uint32(raw[i+6])<<16 | uint32(raw[i+7])<<24,
			})
		}
		_, path, err := Run(prog, Data{Nr: nr, Arch: ArchX86_64, Args: [6]uint64{arg}})
		if err == nil && len(path) > len(prog) {
			t.Fatalf("path longer than the program: jumps must go forward")
		}
	})
}
