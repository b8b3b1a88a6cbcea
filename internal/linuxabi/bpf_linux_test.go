package linuxabi

import (
	"testing"

	"golang.org/x/sys/unix"
)

// The opcodes are Linux's: x/sys/unix, built for this Linux, agrees.
func TestBPFOpcodesAreLinuxs(t *testing.T) {
	samePairs(t, []pair{
		{"BPF_A", BPF_A, uint64(unix.BPF_A)},
		{"BPF_ADD", BPF_ADD, uint64(unix.BPF_ADD)},
		{"BPF_ALU", BPF_ALU, uint64(unix.BPF_ALU)},
		{"BPF_AND", BPF_AND, uint64(unix.BPF_AND)},
		{"BPF_B", BPF_B, uint64(unix.BPF_B)},
		{"BPF_DIV", BPF_DIV, uint64(unix.BPF_DIV)},
		{"BPF_H", BPF_H, uint64(unix.BPF_H)},
		{"BPF_IMM", BPF_IMM, uint64(unix.BPF_IMM)},
		{"BPF_IND", BPF_IND, uint64(unix.BPF_IND)},
		{"BPF_JGE", BPF_JGE, uint64(unix.BPF_JGE)},
		{"BPF_JGT", BPF_JGT, uint64(unix.BPF_JGT)},
		{"BPF_JSET", BPF_JSET, uint64(unix.BPF_JSET)},
		{"BPF_LDX", BPF_LDX, uint64(unix.BPF_LDX)},
		{"BPF_LEN", BPF_LEN, uint64(unix.BPF_LEN)},
		{"BPF_LSH", BPF_LSH, uint64(unix.BPF_LSH)},
		{"BPF_MAXINSNS", BPF_MAXINSNS, uint64(unix.BPF_MAXINSNS)},
		{"BPF_MEM", BPF_MEM, uint64(unix.BPF_MEM)},
		{"BPF_MISC", BPF_MISC, uint64(unix.BPF_MISC)},
		{"BPF_MOD", BPF_MOD, uint64(unix.BPF_MOD)},
		{"BPF_MSH", BPF_MSH, uint64(unix.BPF_MSH)},
		{"BPF_MUL", BPF_MUL, uint64(unix.BPF_MUL)},
		{"BPF_NEG", BPF_NEG, uint64(unix.BPF_NEG)},
		{"BPF_OR", BPF_OR, uint64(unix.BPF_OR)},
		{"BPF_RSH", BPF_RSH, uint64(unix.BPF_RSH)},
		{"BPF_ST", BPF_ST, uint64(unix.BPF_ST)},
		{"BPF_STX", BPF_STX, uint64(unix.BPF_STX)},
		{"BPF_SUB", BPF_SUB, uint64(unix.BPF_SUB)},
		{"BPF_TAX", BPF_TAX, uint64(unix.BPF_TAX)},
		{"BPF_TXA", BPF_TXA, uint64(unix.BPF_TXA)},
		{"BPF_X", BPF_X, uint64(unix.BPF_X)},
		{"BPF_XOR", BPF_XOR, uint64(unix.BPF_XOR)},
	})
}
