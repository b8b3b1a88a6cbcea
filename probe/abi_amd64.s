//go:build linux && amd64

#include "textflag.h"

// func int80(nr, a1, a2, a3 uintptr) uintptr
//
// One i386 system call through INT $0x80: the number in EAX, the
// arguments in EBX, ECX, EDX; the kernel's answer (or -errno) in EAX.
TEXT ·int80(SB), NOSPLIT, $0-40
	MOVQ nr+0(FP), AX
	MOVQ a1+8(FP), BX
	MOVQ a2+16(FP), CX
	MOVQ a3+24(FP), DX
	INT  $0x80
	MOVQ AX, ret+32(FP)
	RET
