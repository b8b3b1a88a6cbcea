//go:build linux && cgo && seccomp

#include "textflag.h"

// Raw system calls for kernel_diff_test.go on arm64. kdSys64 returns the
// kernel's X0 as is (-errno on failure), touches no Go runtime state, and
// needs no stack beyond its own frame, so it can run on a thread whose
// seccomp filters deny almost everything.

// func kdSys64(nr, a1, a2, a3, a4, a5, a6 uint64) int64
//
// The AArch64 entry: the number in X8, the arguments in X0-X5, SVC #0.
TEXT ·kdSys64(SB), NOSPLIT, $0-64
	MOVD nr+0(FP), R8
	MOVD a1+8(FP), R0
	MOVD a2+16(FP), R1
	MOVD a3+24(FP), R2
	MOVD a4+32(FP), R3
	MOVD a5+40(FP), R4
	MOVD a6+48(FP), R5
	SVC  $0
	MOVD R0, ret+56(FP)
	RET

// func kdInt80(nr, a1, a2, a3, a4, a5, a6 uint64) int64
//
// No i386 entry on arm64: -ENOSYS (38).
TEXT ·kdInt80(SB), NOSPLIT, $0-64
	MOVD $-38, R0
	MOVD R0, ret+56(FP)
	RET
