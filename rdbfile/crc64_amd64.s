//go:build !purego

#include "textflag.h"

// Redis CRC-64/Jones (reflected polynomial 0x95AC9329AC4BC9B5, see crc64.go
// and Redis src/crc64.c) by carry-less multiplication, following Intel's
// white paper "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ
// Instruction" (Gopal et al., 2009), reflected variant.
//
// Data are loaded little-endian into XMM registers, so bit j of a 128-bit
// block is the coefficient of x^(127-j) (the first message bit has the
// highest degree). An accumulator V stands for the message so far in the
// sense that CRC = V(x)·x^64 mod P. Folding V forward over d more bits is
// V·x^d ≡ lo(V)·x^(d+64) + hi(V)·x^d, done with two PCLMULQDQ against the
// constant pair {x^(d+63), x^(d-1)} (crc64FoldConsts; the product of two
// reflected 64-bit values is one bit short, hence the -1).
//
// Register use: X0-X7 accumulators, X8 constants, X9-X14 scratch, SI data
// pointer, CX remaining length. X15 is left alone.

// FOLD folds accumulator acc forward by the distance of the constants in X8
// and XORs in the 16 bytes at off(SI); t1 and t2 are scratch.
#define FOLD(acc, t1, t2, off) \
	MOVOU off(SI), t2; \
	MOVO acc, t1; \
	PCLMULQDQ $0x00, X8, acc; \
	PCLMULQDQ $0x11, X8, t1; \
	PXOR t2, acc; \
	PXOR t1, acc

// FOLDREG folds acc forward by the distance of the constants in X8 and XORs
// in register next.
#define FOLDREG(acc, t1, next) \
	MOVO acc, t1; \
	PCLMULQDQ $0x00, X8, acc; \
	PCLMULQDQ $0x11, X8, t1; \
	PXOR next, acc; \
	PXOR t1, acc

// func crc64CLMUL(crc uint64, p []byte) uint64
TEXT ·crc64CLMUL(SB), NOSPLIT, $0-40
	MOVQ crc+0(FP), AX
	MOVQ p_base+8(FP), SI
	MOVQ p_len+16(FP), CX

	CMPQ CX, $16
	JB   short
	MOVQ AX, X9               // crc, to be XORed into the first 8 bytes
	CMPQ CX, $64
	JAE  atleast64

	// 16..63 bytes: a single lane.
	MOVOU (SI), X0
	PXOR  X9, X0
	ADDQ  $16, SI
	SUBQ  $16, CX
	MOVOU ·crc64FoldConsts+64(SB), X8 // d=128
	JMP   loop1

atleast64:
	CMPQ CX, $256
	JB   start4

	// Eight lanes over 128-byte blocks.
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVOU 64(SI), X4
	MOVOU 80(SI), X5
	MOVOU 96(SI), X6
	MOVOU 112(SI), X7
	PXOR  X9, X0
	ADDQ  $128, SI
	SUBQ  $128, CX
	MOVOU ·crc64FoldConsts+0(SB), X8 // d=1024

loop8:
	FOLD(X0, X9, X10, 0)
	FOLD(X1, X11, X12, 16)
	FOLD(X2, X13, X14, 32)
	FOLD(X3, X9, X10, 48)
	FOLD(X4, X11, X12, 64)
	FOLD(X5, X13, X14, 80)
	FOLD(X6, X9, X10, 96)
	FOLD(X7, X11, X12, 112)
	ADDQ $128, SI
	SUBQ $128, CX
	CMPQ CX, $128
	JAE  loop8

	// Eight lanes to four: lane i absorbs lane i+4 (512 bits further on).
	MOVOU ·crc64FoldConsts+16(SB), X8 // d=512
	FOLDREG(X0, X9, X4)
	FOLDREG(X1, X10, X5)
	FOLDREG(X2, X11, X6)
	FOLDREG(X3, X12, X7)
	JMP   loop4

start4:
	// Four lanes over 64-byte blocks.
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	PXOR  X9, X0
	ADDQ  $64, SI
	SUBQ  $64, CX
	MOVOU ·crc64FoldConsts+16(SB), X8 // d=512

loop4:
	CMPQ CX, $64
	JB   fold4
	FOLD(X0, X9, X10, 0)
	FOLD(X1, X11, X12, 16)
	FOLD(X2, X13, X14, 32)
	FOLD(X3, X9, X10, 48)
	ADDQ $64, SI
	SUBQ $64, CX
	JMP  loop4

fold4:
	// Four lanes to one: V = X0·x^384 + X1·x^256 + X2·x^128 + X3.
	MOVOU     ·crc64FoldConsts+32(SB), X8 // d=384
	MOVO      X0, X9
	PCLMULQDQ $0x00, X8, X0
	PCLMULQDQ $0x11, X8, X9
	PXOR      X9, X0
	MOVOU     ·crc64FoldConsts+48(SB), X8 // d=256
	MOVO      X1, X10
	PCLMULQDQ $0x00, X8, X1
	PCLMULQDQ $0x11, X8, X10
	PXOR      X10, X1
	MOVOU     ·crc64FoldConsts+64(SB), X8 // d=128
	MOVO      X2, X11
	PCLMULQDQ $0x00, X8, X2
	PCLMULQDQ $0x11, X8, X11
	PXOR      X11, X2
	PXOR      X1, X0
	PXOR      X2, X0
	PXOR      X3, X0

loop1:
	// One lane over the remaining 16-byte blocks; X8 holds d=128.
	CMPQ CX, $16
	JB   reduce
	FOLD(X0, X9, X10, 0)
	ADDQ $16, SI
	SUBQ $16, CX
	JMP  loop1

reduce:
	// 128 -> 64 bits: CRC = V·x^64 mod P = A mod P with
	// A = lo(V)·x^128 + hi(V)·x^64 ≡ lo(V)·(x^127 mod P)·x + hi(V)·x^64,
	// a polynomial of degree < 128 (the x^64 term lands in the low qword).
	MOVO      X0, X1
	PCLMULQDQ $0x10, X8, X0 // lo(V) · x^127
	PSRLDQ    $8, X1        // hi(V) into the low qword
	PXOR      X1, X0        // X0 = A

	// Barrett: Q = floor(A/P) = floor(lo(A)·floor(x^127/P) / x^63), which
	// is exactly the low qword of the reflected product. Then
	// A mod P = (A + Q·P) mod x^64 = hi(A) + Q + (Q·(P - x^64 - 1) mod x^64),
	// and that last term is the high qword of Q times the second constant.
	MOVOU     ·crc64FoldConsts+80(SB), X8
	MOVO      X0, X1
	PCLMULQDQ $0x00, X8, X1 // low qword = Q
	MOVO      X1, X2
	PCLMULQDQ $0x10, X8, X1 // Q · (P - x^64 - 1)
	PSLLDQ    $8, X2        // Q into the high qword
	PXOR      X0, X1
	PXOR      X2, X1
	PEXTRQ    $1, X1, AX

short:
	MOVQ AX, ret+32(FP)
	RET

// func crc64CPUIDECX1() (ecx uint32)
TEXT ·crc64CPUIDECX1(SB), NOSPLIT, $0-4
	MOVL $1, AX
	XORL CX, CX
	CPUID
	MOVL CX, ecx+0(FP)
	RET
