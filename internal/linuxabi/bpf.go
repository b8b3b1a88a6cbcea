package linuxabi

// Classic BPF's instruction encoding (linux/bpf_common.h, linux/filter.h),
// the language of a seccomp filter, for the opcodes consts.go does not
// already name: the interpreter in seccomp/bpf decodes programs with them
// on every platform rampart is built for.
const (
	BPF_A        = 0x10
	BPF_ADD      = 0x0
	BPF_ALU      = 0x4
	BPF_AND      = 0x50
	BPF_B        = 0x10
	BPF_DIV      = 0x30
	BPF_H        = 0x8
	BPF_IMM      = 0x0
	BPF_IND      = 0x40
	BPF_JGE      = 0x30
	BPF_JGT      = 0x20
	BPF_JSET     = 0x40
	BPF_LDX      = 0x1
	BPF_LEN      = 0x80
	BPF_LSH      = 0x60
	BPF_MAXINSNS = 0x1000
	BPF_MEM      = 0x60
	BPF_MISC     = 0x7
	BPF_MOD      = 0x90
	BPF_MSH      = 0xa0
	BPF_MUL      = 0x20
	BPF_NEG      = 0x80
	BPF_OR       = 0x40
	BPF_RSH      = 0x70
	BPF_ST       = 0x2
	BPF_STX      = 0x3
	BPF_SUB      = 0x10
	BPF_TAX      = 0x0
	BPF_TXA      = 0x80
	BPF_X        = 0x8
	BPF_XOR      = 0xa0
)
