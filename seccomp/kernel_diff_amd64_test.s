//go:build linux && cgo && seccomp

#include "textflag.h"

// Raw system calls for kernel_diff_test.go. Both return the kernel's RAX
// as is (-errno on failure), touch no Go runtime state, and need no stack
// beyond their own frame, so they can run on a thread whose seccomp
// filters deny almost everything.

// func kdSys64(nr, a1, a2, a3, a4, a5, a6 uint64) int64
//
// The x86_64 (and x32, nr|0x40000000) entry: SYSCALL.
TEXT ·kdSys64(SB), NOSPLIT, $0-64
	MOVQ nr+0(FP), AX
	MOVQ a1+8(FP), DI
	MOVQ a2+16(FP), SI
	MOVQ a3+24(FP), DX
	MOVQ a4+32(FP), R10
	MOVQ a5+40(FP), R8
	MOVQ a6+48(FP), R9
	SYSCALL
	MOVQ AX, ret+56(FP)
	RET

// func kdInt80(nr, a1, a2, a3, a4, a5, a6 uint64) int64
//
// The i386 entry from 64-bit code: INT $0x80 with EAX = nr and the
// arguments in EBX, ECX, EDX, ESI, EDI, EBP. The registers are loaded
// whole: the kernel truncates the arguments for the i386 system call
// itself, but seccomp_data.args shows the filter the full 64-bit
// registers. BP is the frame pointer; it is saved in the frame.
TEXT ·kdInt80(SB), NOSPLIT, $8-64
	MOVQ BP, savedbp-8(SP)
	MOVQ nr+0(FP), AX
	MOVQ a1+8(FP), BX
	MOVQ a2+16(FP), CX
	MOVQ a3+24(FP), DX
	MOVQ a4+32(FP), SI
	MOVQ a5+40(FP), DI
	MOVQ a6+48(FP), BP
	INT  $0x80
	MOVQ savedbp-8(SP), BP
	MOVQ AX, ret+56(FP)
	RET
