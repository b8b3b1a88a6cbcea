// Package bpf interprets classic-BPF seccomp programs over struct
// seccomp_data, the way the kernel runs them, and returns the action and
// the path taken. It accepts exactly the instructions the kernel's
// seccomp_check_filter accepts, so a program it runs is one the kernel
// would load.
package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/rampart-sec/rampart/internal/linuxabi"
)

// Insn is one classic-BPF instruction (struct sock_filter).
type Insn = linuxabi.SockFilter

// Data is struct seccomp_data.
type Data struct {
	Nr                 int32
	Arch               uint32
	InstructionPointer uint64
	Args               [6]uint64
}

// Audit architectures (linux/audit.h) and the x32 syscall bit.
const (
	ArchX86_64 uint32 = 0xc000003e
	ArchI386   uint32 = 0x40000003
	// AArch64 and its 32-bit compat ABI (EM_AARCH64 and EM_ARM, both
	// little-endian; AArch64 has __AUDIT_ARCH_64BIT).
	ArchAArch64 uint32 = 0xc00000b7
	ArchARM     uint32 = 0x40000028
	X32Bit      int32  = 0x40000000
)

// dataSize is sizeof(struct seccomp_data).
const dataSize = 64

// bytes lays Data out as the kernel does, in host (little-endian) order.
func (d *Data) bytes() [dataSize]byte {
	var b [dataSize]byte
	binary.LittleEndian.PutUint32(b[0:], uint32(d.Nr))
	binary.LittleEndian.PutUint32(b[4:], d.Arch)
	binary.LittleEndian.PutUint64(b[8:], d.InstructionPointer)
	for i, a := range d.Args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// Action classes of a seccomp return value (SECCOMP_RET_ACTION_FULL).
const (
	RetKillProcess uint32 = 0x80000000
	RetKillThread  uint32 = 0x00000000
	RetTrap        uint32 = 0x00030000
	RetErrno       uint32 = 0x00050000
	RetUserNotif   uint32 = 0x7fc00000
	RetTrace       uint32 = 0x7ff00000
	RetLog         uint32 = 0x7ffc0000
	RetAllow       uint32 = 0x7fff0000

	actionMask uint32 = 0xffff0000
	dataMask   uint32 = 0x0000ffff
)

// Action splits a return value into its action and data (errno, trace
// message).
func Action(ret uint32) (action uint32, data uint16) {
	return ret & actionMask, uint16(ret & dataMask)
}

// ErrInvalid reports a program the kernel would refuse to load.
var ErrInvalid = errors.New("invalid seccomp program")

// Validate checks prog as seccomp_check_filter and bpf_check_classic do:
// length, known opcodes, aligned in-bounds data loads, in-bounds jumps and
// scratch memory, and a return at the end.
func Validate(prog []Insn) error {
	if len(prog) == 0 || len(prog) > linuxabi.BPF_MAXINSNS {
		return fmt.Errorf("%w: %d instructions", ErrInvalid, len(prog))
	}
	for pc, in := range prog {
		bad := func(why string) error {
			return fmt.Errorf("%w: instruction %d (%#04x): %s", ErrInvalid, pc, in.Code, why)
		}
		switch in.Code {
		case linuxabi.BPF_LD | linuxabi.BPF_W | linuxabi.BPF_ABS:
			if in.K >= dataSize || in.K&3 != 0 {
				return bad("load outside struct seccomp_data or unaligned")
			}
		case linuxabi.BPF_LD | linuxabi.BPF_W | linuxabi.BPF_LEN, linuxabi.BPF_LDX | linuxabi.BPF_W | linuxabi.BPF_LEN,
			linuxabi.BPF_LD | linuxabi.BPF_IMM, linuxabi.BPF_LDX | linuxabi.BPF_IMM,
			linuxabi.BPF_MISC | linuxabi.BPF_TAX, linuxabi.BPF_MISC | linuxabi.BPF_TXA,
			linuxabi.BPF_RET | linuxabi.BPF_K, linuxabi.BPF_RET | linuxabi.BPF_A:
		case linuxabi.BPF_LD | linuxabi.BPF_MEM, linuxabi.BPF_LDX | linuxabi.BPF_MEM, linuxabi.BPF_ST, linuxabi.BPF_STX:
			if in.K >= 16 {
				return bad("scratch memory index out of range")
			}
		case linuxabi.BPF_ALU | linuxabi.BPF_ADD | linuxabi.BPF_K, linuxabi.BPF_ALU | linuxabi.BPF_ADD | linuxabi.BPF_X,
			linuxabi.BPF_ALU | linuxabi.BPF_SUB | linuxabi.BPF_K, linuxabi.BPF_ALU | linuxabi.BPF_SUB | linuxabi.BPF_X,
			linuxabi.BPF_ALU | linuxabi.BPF_MUL | linuxabi.BPF_K, linuxabi.BPF_ALU | linuxabi.BPF_MUL | linuxabi.BPF_X,
			linuxabi.BPF_ALU | linuxabi.BPF_DIV | linuxabi.BPF_X, linuxabi.BPF_ALU | linuxabi.BPF_MOD | linuxabi.BPF_X,
			linuxabi.BPF_ALU | linuxabi.BPF_AND | linuxabi.BPF_K, linuxabi.BPF_ALU | linuxabi.BPF_AND | linuxabi.BPF_X,
			linuxabi.BPF_ALU | linuxabi.BPF_OR | linuxabi.BPF_K, linuxabi.BPF_ALU | linuxabi.BPF_OR | linuxabi.BPF_X,
			linuxabi.BPF_ALU | linuxabi.BPF_XOR | linuxabi.BPF_K, linuxabi.BPF_ALU | linuxabi.BPF_XOR | linuxabi.BPF_X,
			linuxabi.BPF_ALU | linuxabi.BPF_LSH | linuxabi.BPF_X, linuxabi.BPF_ALU | linuxabi.BPF_RSH | linuxabi.BPF_X,
			linuxabi.BPF_ALU | linuxabi.BPF_NEG:
		case linuxabi.BPF_ALU | linuxabi.BPF_DIV | linuxabi.BPF_K, linuxabi.BPF_ALU | linuxabi.BPF_MOD | linuxabi.BPF_K:
			if in.K == 0 {
				return bad("division by constant zero")
			}
		case linuxabi.BPF_ALU | linuxabi.BPF_LSH | linuxabi.BPF_K, linuxabi.BPF_ALU | linuxabi.BPF_RSH | linuxabi.BPF_K:
			if in.K >= 32 {
				return bad("shift by 32 or more")
			}
		case linuxabi.BPF_JMP | linuxabi.BPF_JA:
			if uint64(pc)+1+uint64(in.K) >= uint64(len(prog)) {
				return bad("jump out of the program")
			}
		case linuxabi.BPF_JMP | linuxabi.BPF_JEQ | linuxabi.BPF_K, linuxabi.BPF_JMP | linuxabi.BPF_JEQ | linuxabi.BPF_X,
			linuxabi.BPF_JMP | linuxabi.BPF_JGT | linuxabi.BPF_K, linuxabi.BPF_JMP | linuxabi.BPF_JGT | linuxabi.BPF_X,
			linuxabi.BPF_JMP | linuxabi.BPF_JGE | linuxabi.BPF_K, linuxabi.BPF_JMP | linuxabi.BPF_JGE | linuxabi.BPF_X,
			linuxabi.BPF_JMP | linuxabi.BPF_JSET | linuxabi.BPF_K, linuxabi.BPF_JMP | linuxabi.BPF_JSET | linuxabi.BPF_X:
			if pc+1+int(in.Jt) >= len(prog) || pc+1+int(in.Jf) >= len(prog) {
				return bad("jump out of the program")
			}
		default:
			return bad("opcode not allowed in seccomp")
		}
	}
	last := prog[len(prog)-1].Code
	if last != linuxabi.BPF_RET|linuxabi.BPF_K && last != linuxabi.BPF_RET|linuxabi.BPF_A {
		return fmt.Errorf("%w: does not end with a return", ErrInvalid)
	}
	return nil
}

// Run executes a validated program on d and returns the value it returns
// and the instruction indexes it went through.
func Run(prog []Insn, d Data) (ret uint32, path []int, err error) {
	if err := Validate(prog); err != nil {
		return 0, nil, err
	}
	return run(prog, d, true)
}

// Program is a validated program, to run on many inputs.
type Program struct{ insns []Insn }

// Load validates prog once for Decide.
func Load(prog []Insn) (*Program, error) {
	if err := Validate(prog); err != nil {
		return nil, err
	}
	return &Program{insns: prog}, nil
}

// Decide runs the program on d and returns the value it returns.
func (p *Program) Decide(d Data) uint32 {
	ret, _, _ := run(p.insns, d, false)
	return ret
}

func run(prog []Insn, d Data, trace bool) (ret uint32, path []int, err error) {
	data := d.bytes()
	var a, x uint32
	var mem [16]uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		if trace {
			path = append(path, pc)
		}
		switch in.Code {
		case linuxabi.BPF_LD | linuxabi.BPF_W | linuxabi.BPF_ABS:
			a = binary.LittleEndian.Uint32(data[in.K:])
		case linuxabi.BPF_LD | linuxabi.BPF_W | linuxabi.BPF_LEN:
			a = dataSize
		case linuxabi.BPF_LDX | linuxabi.BPF_W | linuxabi.BPF_LEN:
			x = dataSize
		case linuxabi.BPF_LD | linuxabi.BPF_IMM:
			a = in.K
		case linuxabi.BPF_LDX | linuxabi.BPF_IMM:
			x = in.K
		case linuxabi.BPF_LD | linuxabi.BPF_MEM:
			a = mem[in.K]
		case linuxabi.BPF_LDX | linuxabi.BPF_MEM:
			x = mem[in.K]
		case linuxabi.BPF_ST:
			mem[in.K] = a
		case linuxabi.BPF_STX:
			mem[in.K] = x
		case linuxabi.BPF_MISC | linuxabi.BPF_TAX:
			x = a
		case linuxabi.BPF_MISC | linuxabi.BPF_TXA:
			a = x
		case linuxabi.BPF_RET | linuxabi.BPF_K:
			return in.K, path, nil
		case linuxabi.BPF_RET | linuxabi.BPF_A:
			return a, path, nil
		case linuxabi.BPF_JMP | linuxabi.BPF_JA:
			pc += int(in.K)
		default:
			switch in.Code & 0x07 {
			case linuxabi.BPF_ALU:
				src := in.K
				if in.Code&linuxabi.BPF_X != 0 {
					src = x
				}
				switch in.Code & 0xf0 {
				case linuxabi.BPF_ADD:
					a += src
				case linuxabi.BPF_SUB:
					a -= src
				case linuxabi.BPF_MUL:
					a *= src
				case linuxabi.BPF_DIV:
					if src == 0 {
						return 0, path, nil // the kernel's classic BPF returns 0: kill
					}
					a /= src
				case linuxabi.BPF_MOD:
					if src == 0 {
						return 0, path, nil
					}
					a %= src
				case linuxabi.BPF_AND:
					a &= src
				case linuxabi.BPF_OR:
					a |= src
				case linuxabi.BPF_XOR:
					a ^= src
				case linuxabi.BPF_LSH:
					a <<= src & 31
				case linuxabi.BPF_RSH:
					a >>= src & 31
				case linuxabi.BPF_NEG:
					a = -a
				}
			case linuxabi.BPF_JMP:
				src := in.K
				if in.Code&linuxabi.BPF_X != 0 {
					src = x
				}
				var cond bool
				switch in.Code & 0xf0 {
				case linuxabi.BPF_JEQ:
					cond = a == src
				case linuxabi.BPF_JGT:
					cond = a > src
				case linuxabi.BPF_JGE:
					cond = a >= src
				case linuxabi.BPF_JSET:
					cond = a&src != 0
				}
				if cond {
					pc += int(in.Jt)
				} else {
					pc += int(in.Jf)
				}
			}
		}
	}
	// Unreachable for a validated program.
	return 0, path, fmt.Errorf("%w: ran off the end", ErrInvalid)
}
