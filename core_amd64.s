//go:build !purego && !noasm

// SIMD kernels for amd64. Each kernel has a pure-Go twin in
// kernels_generic.go that defines its exact result; kernels_amd64.go picks
// the AVX-512 (…AVX512) or AVX2+F16C (…AVX2) version at init.
//
// Conventions:
//   - n is len(dst) (len(src) for minMax and pack4); the Go side has
//     sliced src to match.
//   - AVX-512 conversions, dequant8 and quant8 handle any n with masked
//     tails (K1 = low n%16 bits). Every other kernel takes n as a multiple
//     of its block (noted per function); the Go wrapper does the rest.
//   - Rounding is given in the instruction (VCVTPS2PH imm 0, VROUNDPS imm
//     8, {rn-sae}), never taken from MXCSR. Nothing here flushes
//     subnormals: VCVTPH2PS/VCVTPS2PH and the arithmetic honour
//     MXCSR.FTZ/DAZ only if a program set them, and Go never does.
//   - X15/Z15 (the Go ABI's zero register) and K0 are not used.
//   - Narrowing conversions (VPMOVDW/VPMOVDB/VPMOVWB, VCVTPS2PH) write a
//     register, then a plain store: their memory-destination forms are
//     microcoded and several times slower on AMD Zen 4.

#include "textflag.h"

// K1 = (1 << CX) - 1 for CX in 0..15; clobbers AX.
#define TAILMASK \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K1

// y = broadcast of the 32-bit constant c (AVX2 has no GPR broadcast).
#define BCAST2(c, x, y) \
	MOVL c, AX; \
	MOVD AX, x; \
	VPBROADCASTD x, y

// z = broadcast of the 32-bit constant c (AVX-512F).
#define BCAST5(c, z) \
	MOVL c, AX; \
	VPBROADCASTD AX, z

// Reduce Y0 (min), Y2 (max), Y4 (amax) and store the results of a
// func(src []float32) (lo, hi float32, amax uint32).
#define MINMAX_REDUCE256 \
	VEXTRACTF128 $1, Y0, X1; \
	VEXTRACTF128 $1, Y2, X3; \
	VEXTRACTI128 $1, Y4, X5; \
	VMINPS       X1, X0, X0; \
	VMAXPS       X3, X2, X2; \
	VPMAXUD      X5, X4, X4; \
	VPSHUFD      $0x4E, X0, X1; \
	VPSHUFD      $0x4E, X2, X3; \
	VPSHUFD      $0x4E, X4, X5; \
	VMINPS       X1, X0, X0; \
	VMAXPS       X3, X2, X2; \
	VPMAXUD      X5, X4, X4; \
	VPSHUFD      $0xB1, X0, X1; \
	VPSHUFD      $0xB1, X2, X3; \
	VPSHUFD      $0xB1, X4, X5; \
	VMINPS       X1, X0, X0; \
	VMAXPS       X3, X2, X2; \
	VPMAXUD      X5, X4, X4; \
	VMOVSS       X0, lo+24(FP); \
	VMOVSS       X2, hi+28(FP); \
	VMOVD        X4, amax+32(FP); \
	VZEROUPPER

// Reduce the unsigned maxima in Y4 and store them as amax+80(FP).
#define AMAX_STORE \
	VEXTRACTI128 $1, Y4, X5; \
	VPMAXUD      X5, X4, X4; \
	VPSHUFD      $0x4E, X4, X5; \
	VPMAXUD      X5, X4, X4; \
	VPSHUFD      $0xB1, X4, X5; \
	VPMAXUD      X5, X4, X4; \
	VMOVD        X4, amax+80(FP)

// ---------------------------------------------------------------------
// float16 -> float32

// func f16ToF32AVX512(dst []float32, src []uint16)
TEXT ·f16ToF32AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI

h2s512_loop:
	CMPQ      CX, $32
	JB        h2s512_16
	VCVTPH2PS (SI), Z0
	VCVTPH2PS 32(SI), Z1
	VMOVUPS   Z0, (DI)
	VMOVUPS   Z1, 64(DI)
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	JMP       h2s512_loop

h2s512_16:
	CMPQ      CX, $16
	JB        h2s512_tail
	VCVTPH2PS (SI), Z0
	VMOVUPS   Z0, (DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $16, CX

h2s512_tail:
	TESTQ       CX, CX
	JZ          h2s512_done
	TAILMASK
	VMOVDQU16.Z (SI), K1, Y0
	VCVTPH2PS   Y0, Z0
	VMOVUPS     Z0, K1, (DI)

h2s512_done:
	VZEROUPPER
	RET

// func f16ToF32AVX2(dst []float32, src []uint16)
// n is a multiple of 8.
TEXT ·f16ToF32AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI

h2s2_loop:
	CMPQ      CX, $16
	JB        h2s2_8
	VCVTPH2PS (SI), Y0
	VCVTPH2PS 16(SI), Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       h2s2_loop

h2s2_8:
	TESTQ     CX, CX
	JZ        h2s2_done
	VCVTPH2PS (SI), Y0
	VMOVUPS   Y0, (DI)

h2s2_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// float32 -> float16 (VCVTPS2PH imm 0: round to nearest even; a NaN keeps
// sign and top payload bits and is made quiet, as f32ToF16One)

// func f32ToF16AVX512(dst []uint16, src []float32)
TEXT ·f32ToF16AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI

s2h512_loop:
	CMPQ      CX, $32
	JB        s2h512_16
	VMOVUPS   (SI), Z0
	VMOVUPS   64(SI), Z1
	VCVTPS2PH $0, Z0, Y0
	VCVTPS2PH $0, Z1, Y1
	VMOVDQU   Y0, (DI)
	VMOVDQU   Y1, 32(DI)
	ADDQ      $128, SI
	ADDQ      $64, DI
	SUBQ      $32, CX
	JMP       s2h512_loop

s2h512_16:
	CMPQ      CX, $16
	JB        s2h512_tail
	VMOVUPS   (SI), Z0
	VCVTPS2PH $0, Z0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX

s2h512_tail:
	TESTQ     CX, CX
	JZ        s2h512_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VCVTPS2PH $0, Z0, Y0
	VMOVDQU16 Y0, K1, (DI)

s2h512_done:
	VZEROUPPER
	RET

// func f32ToF16AVX2(dst []uint16, src []float32)
// n is a multiple of 8.
TEXT ·f32ToF16AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI

s2h2_loop:
	CMPQ      CX, $16
	JB        s2h2_8
	VMOVUPS   (SI), Y0
	VMOVUPS   32(SI), Y1
	VCVTPS2PH $0, Y0, X0
	VCVTPS2PH $0, Y1, X1
	VMOVDQU   X0, (DI)
	VMOVDQU   X1, 16(DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	JMP       s2h2_loop

s2h2_8:
	TESTQ     CX, CX
	JZ        s2h2_done
	VMOVUPS   (SI), Y0
	VCVTPS2PH $0, Y0, X0
	VMOVDQU   X0, (DI)

s2h2_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// bfloat16 -> float32: zero-extend and shift left 16.

// func bf16ToF32AVX512(dst []float32, src []uint16)
TEXT ·bf16ToF32AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI

b2s512_loop:
	CMPQ      CX, $32
	JB        b2s512_16
	VPMOVZXWD (SI), Z0
	VPMOVZXWD 32(SI), Z1
	VPSLLD    $16, Z0, Z0
	VPSLLD    $16, Z1, Z1
	VMOVDQU32 Z0, (DI)
	VMOVDQU32 Z1, 64(DI)
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	JMP       b2s512_loop

b2s512_16:
	CMPQ      CX, $16
	JB        b2s512_tail
	VPMOVZXWD (SI), Z0
	VPSLLD    $16, Z0, Z0
	VMOVDQU32 Z0, (DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $16, CX

b2s512_tail:
	TESTQ       CX, CX
	JZ          b2s512_done
	TAILMASK
	VMOVDQU16.Z (SI), K1, Y0
	VPMOVZXWD   Y0, Z0
	VPSLLD      $16, Z0, Z0
	VMOVDQU32   Z0, K1, (DI)

b2s512_done:
	VZEROUPPER
	RET

// func bf16ToF32AVX2(dst []float32, src []uint16)
// n is a multiple of 8.
TEXT ·bf16ToF32AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI

b2s2_loop:
	CMPQ      CX, $16
	JB        b2s2_8
	VPMOVZXWD (SI), Y0
	VPMOVZXWD 16(SI), Y1
	VPSLLD    $16, Y0, Y0
	VPSLLD    $16, Y1, Y1
	VMOVDQU   Y0, (DI)
	VMOVDQU   Y1, 32(DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       b2s2_loop

b2s2_8:
	TESTQ     CX, CX
	JZ        b2s2_done
	VPMOVZXWD (SI), Y0
	VPSLLD    $16, Y0, Y0
	VMOVDQU   Y0, (DI)

b2s2_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// float32 -> bfloat16, integer rounding (no flush to zero, unlike
// VCVTNEPS2BF16): r = (x + 0x7FFF + ((x >> 16) & 1)) >> 16, and for a NaN
// (|x| > 0x7F800000) r = (x >> 16) | 0x40.

// Constants: Z20 = 1, Z21 = 0x7FFF, Z22 = 0x7FFFFFFF, Z23 = 0x7F800000,
// Z24 = 0x40. dst = bf16 bits (in 32-bit lanes) of src; clobbers tmp, K2.
#define BF16ROUND512(src, dst, tmp) \
	VPSRLD    $16, src, dst; \
	VPANDD    Z20, dst, dst; \
	VPADDD    Z21, dst, dst; \
	VPADDD    src, dst, dst; \
	VPSRLD    $16, dst, dst; \
	VPANDD    Z22, src, tmp; \
	VPCMPUD   $6, Z23, tmp, K2; \
	VPSRLD    $16, src, tmp; \
	VPORD     Z24, tmp, tmp; \
	VMOVDQA32 tmp, K2, dst

// func f32ToBF16AVX512(dst []uint16, src []float32)
TEXT ·f32ToBF16AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	BCAST5($1, Z20)
	BCAST5($0x7FFF, Z21)
	BCAST5($0x7FFFFFFF, Z22)
	BCAST5($0x7F800000, Z23)
	BCAST5($0x40, Z24)

s2b512_loop:
	CMPQ      CX, $32
	JB        s2b512_16
	VMOVDQU32 (SI), Z0
	VMOVDQU32 64(SI), Z1
	BF16ROUND512(Z0, Z2, Z4)
	BF16ROUND512(Z1, Z3, Z5)
	VPMOVDW   Z2, Y2
	VPMOVDW   Z3, Y3
	VMOVDQU   Y2, (DI)
	VMOVDQU   Y3, 32(DI)
	ADDQ      $128, SI
	ADDQ      $64, DI
	SUBQ      $32, CX
	JMP       s2b512_loop

s2b512_16:
	CMPQ      CX, $16
	JB        s2b512_tail
	VMOVDQU32 (SI), Z0
	BF16ROUND512(Z0, Z2, Z4)
	VPMOVDW   Z2, Y2
	VMOVDQU   Y2, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX

s2b512_tail:
	TESTQ       CX, CX
	JZ          s2b512_done
	TAILMASK
	VMOVDQU32.Z (SI), K1, Z0
	BF16ROUND512(Z0, Z2, Z4)
	VPMOVDW     Z2, Y2
	VMOVDQU16   Y2, K1, (DI)

s2b512_done:
	VZEROUPPER
	RET

// Constants: Y10 = 1, Y11 = 0x7FFF, Y12 = 0x7FFFFFFF, Y13 = 0x7F800000,
// Y14 = 0x40. dst = bf16 bits (in 32-bit lanes) of src; clobbers src, tmp.
#define BF16ROUND2(src, dst, tmp) \
	VPSRLD    $16, src, dst; \
	VPAND     Y10, dst, dst; \
	VPADDD    Y11, dst, dst; \
	VPADDD    src, dst, dst; \
	VPSRLD    $16, dst, dst; \
	VPAND     Y12, src, tmp; \
	VPCMPGTD  Y13, tmp, tmp; \
	VPSRLD    $16, src, src; \
	VPOR      Y14, src, src; \
	VPBLENDVB tmp, src, dst, dst

// func f32ToBF16AVX2(dst []uint16, src []float32)
// n is a multiple of 16.
TEXT ·f32ToBF16AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	BCAST2($1, X10, Y10)
	BCAST2($0x7FFF, X11, Y11)
	BCAST2($0x7FFFFFFF, X12, Y12)
	BCAST2($0x7F800000, X13, Y13)
	BCAST2($0x40, X14, Y14)

s2b2_loop:
	TESTQ     CX, CX
	JZ        s2b2_done
	VMOVDQU   (SI), Y0
	VMOVDQU   32(SI), Y1
	BF16ROUND2(Y0, Y2, Y4)
	BF16ROUND2(Y1, Y3, Y5)
	VPACKUSDW Y3, Y2, Y2
	VPERMQ    $0xD8, Y2, Y2
	VMOVDQU   Y2, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	JMP       s2b2_loop

s2b2_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// dequantize 8-bit: dst = (float32(q) - zp) * scale. Bytes are
// zero-extended, then (v ^ s) - s with s = 0x80 for qint8 (sign
// extension) or 0 for quint8.

// func dequant8AVX512(dst []float32, src []byte, signed bool, zp, scale float32)
TEXT ·dequant8AVX512(SB), NOSPLIT, $0-60
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	MOVBLZX      signed+48(FP), AX
	NEGL         AX
	ANDL         $0x80, AX
	VPBROADCASTD AX, Z3
	VBROADCASTSS zp+52(FP), Z4
	VBROADCASTSS scale+56(FP), Z5

dq8_512_loop:
	CMPQ      CX, $32
	JB        dq8_512_16
	VPMOVZXBD (SI), Z0
	VPMOVZXBD 16(SI), Z1
	VPXORD    Z3, Z0, Z0
	VPXORD    Z3, Z1, Z1
	VPSUBD    Z3, Z0, Z0
	VPSUBD    Z3, Z1, Z1
	VCVTDQ2PS Z0, Z0
	VCVTDQ2PS Z1, Z1
	VSUBPS    Z4, Z0, Z0
	VSUBPS    Z4, Z1, Z1
	VMULPS    Z5, Z0, Z0
	VMULPS    Z5, Z1, Z1
	VMOVUPS   Z0, (DI)
	VMOVUPS   Z1, 64(DI)
	ADDQ      $32, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	JMP       dq8_512_loop

dq8_512_16:
	CMPQ      CX, $16
	JB        dq8_512_tail
	VPMOVZXBD (SI), Z0
	VPXORD    Z3, Z0, Z0
	VPSUBD    Z3, Z0, Z0
	VCVTDQ2PS Z0, Z0
	VSUBPS    Z4, Z0, Z0
	VMULPS    Z5, Z0, Z0
	VMOVUPS   Z0, (DI)
	ADDQ      $16, SI
	ADDQ      $64, DI
	SUBQ      $16, CX

dq8_512_tail:
	TESTQ      CX, CX
	JZ         dq8_512_done
	TAILMASK
	VMOVDQU8.Z (SI), K1, X0
	VPMOVZXBD  X0, Z0
	VPXORD     Z3, Z0, Z0
	VPSUBD     Z3, Z0, Z0
	VCVTDQ2PS  Z0, Z0
	VSUBPS     Z4, Z0, Z0
	VMULPS     Z5, Z0, Z0
	VMOVUPS    Z0, K1, (DI)

dq8_512_done:
	VZEROUPPER
	RET

// func dequant8AVX2(dst []float32, src []byte, signed bool, zp, scale float32)
// n is a multiple of 8.
TEXT ·dequant8AVX2(SB), NOSPLIT, $0-60
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	MOVBLZX      signed+48(FP), AX
	NEGL         AX
	ANDL         $0x80, AX
	MOVD         AX, X3
	VPBROADCASTD X3, Y3
	VBROADCASTSS zp+52(FP), Y4
	VBROADCASTSS scale+56(FP), Y5

dq8_2_loop:
	CMPQ      CX, $16
	JB        dq8_2_8
	VPMOVZXBD (SI), Y0
	VPMOVZXBD 8(SI), Y1
	VPXOR     Y3, Y0, Y0
	VPXOR     Y3, Y1, Y1
	VPSUBD    Y3, Y0, Y0
	VPSUBD    Y3, Y1, Y1
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VSUBPS    Y4, Y0, Y0
	VSUBPS    Y4, Y1, Y1
	VMULPS    Y5, Y0, Y0
	VMULPS    Y5, Y1, Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $16, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       dq8_2_loop

dq8_2_8:
	TESTQ     CX, CX
	JZ        dq8_2_done
	VPMOVZXBD (SI), Y0
	VPXOR     Y3, Y0, Y0
	VPSUBD    Y3, Y0, Y0
	VCVTDQ2PS Y0, Y0
	VSUBPS    Y4, Y0, Y0
	VMULPS    Y5, Y0, Y0
	VMOVUPS   Y0, (DI)

dq8_2_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// dequantize 4-bit. Each source byte b is widened to the word
// (b & 0xF) | ((b << 4) & 0xF00): the two nibbles as bytes in element
// order. Then (v ^ s) - s bytewise with s = 8 (qint4) or 0 (quint4),
// sign-extension to 32 bits, and (v - zp) * scale.

// func dequant4AVX512(dst []float32, src []byte, signed bool, zp, scale float32)
// n is a multiple of 32.
TEXT ·dequant4AVX512(SB), NOSPLIT, $0-60
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	MOVBLZX      signed+48(FP), AX
	NEGL         AX
	ANDL         $0x08080808, AX
	VPBROADCASTD AX, Y3
	VBROADCASTSS zp+52(FP), Z4
	VBROADCASTSS scale+56(FP), Z5
	BCAST5($0x000F000F, Y6)
	BCAST5($0x0F000F00, Y7)

dq4_512_loop:
	TESTQ      CX, CX
	JZ         dq4_512_done
	VPMOVZXBW  (SI), Y0
	VPSLLW     $4, Y0, Y1
	VPAND      Y6, Y0, Y0
	VPAND      Y7, Y1, Y1
	VPOR       Y1, Y0, Y0
	VPXOR      Y3, Y0, Y0
	VPSUBB     Y3, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPMOVSXBD  X0, Z0
	VPMOVSXBD  X1, Z1
	VCVTDQ2PS  Z0, Z0
	VCVTDQ2PS  Z1, Z1
	VSUBPS     Z4, Z0, Z0
	VSUBPS     Z4, Z1, Z1
	VMULPS     Z5, Z0, Z0
	VMULPS     Z5, Z1, Z1
	VMOVUPS    Z0, (DI)
	VMOVUPS    Z1, 64(DI)
	ADDQ       $16, SI
	ADDQ       $128, DI
	SUBQ       $32, CX
	JMP        dq4_512_loop

dq4_512_done:
	VZEROUPPER
	RET

// func dequant4AVX2(dst []float32, src []byte, signed bool, zp, scale float32)
// n is a multiple of 16.
TEXT ·dequant4AVX2(SB), NOSPLIT, $0-60
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	MOVBLZX      signed+48(FP), AX
	NEGL         AX
	ANDL         $0x08080808, AX
	MOVD         AX, X3
	VPBROADCASTD X3, X3
	VBROADCASTSS zp+52(FP), Y4
	VBROADCASTSS scale+56(FP), Y5
	BCAST2($0x000F000F, X6, X6)
	BCAST2($0x0F000F00, X7, X7)

dq4_2_loop:
	TESTQ     CX, CX
	JZ        dq4_2_done
	VPMOVZXBW (SI), X0
	VPSLLW    $4, X0, X1
	VPAND     X6, X0, X0
	VPAND     X7, X1, X1
	VPOR      X1, X0, X0
	VPXOR     X3, X0, X0
	VPSUBB    X3, X0, X0
	VPSRLDQ   $8, X0, X1
	VPMOVSXBD X0, Y0
	VPMOVSXBD X1, Y1
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VSUBPS    Y4, Y0, Y0
	VSUBPS    Y4, Y1, Y1
	VMULPS    Y5, Y0, Y0
	VMULPS    Y5, Y1, Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $8, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       dq4_2_loop

dq4_2_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// min/max scan. Returns the float minimum and maximum and the largest
// |x| bit pattern (as unsigned integers): amax >= 0x7F800000 means a NaN
// or an infinity was seen. Empty input gives +Inf, -Inf, 0.

// func minMaxAVX512(src []float32) (lo, hi float32, amax uint32)
// n is a multiple of 32.
TEXT ·minMaxAVX512(SB), NOSPLIT, $0-36
	MOVQ      src_base+0(FP), SI
	MOVQ      src_len+8(FP), CX
	BCAST5($0x7F800000, Z0)
	VMOVDQA32 Z0, Z1
	BCAST5($0xFF800000, Z2)
	VMOVDQA32 Z2, Z3
	VPXORD    Z4, Z4, Z4
	VPXORD    Z5, Z5, Z5
	BCAST5($0x7FFFFFFF, Z6)

mm512_loop:
	TESTQ   CX, CX
	JZ      mm512_reduce
	VMOVUPS (SI), Z7
	VMOVUPS 64(SI), Z8
	VMINPS  Z7, Z0, Z0
	VMINPS  Z8, Z1, Z1
	VMAXPS  Z7, Z2, Z2
	VMAXPS  Z8, Z3, Z3
	VPANDD  Z6, Z7, Z7
	VPANDD  Z6, Z8, Z8
	VPMAXUD Z7, Z4, Z4
	VPMAXUD Z8, Z5, Z5
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     mm512_loop

mm512_reduce:
	VMINPS        Z1, Z0, Z0
	VMAXPS        Z3, Z2, Z2
	VPMAXUD       Z5, Z4, Z4
	VEXTRACTF64X4 $1, Z0, Y1
	VEXTRACTF64X4 $1, Z2, Y3
	VEXTRACTI64X4 $1, Z4, Y5
	VMINPS        Y1, Y0, Y0
	VMAXPS        Y3, Y2, Y2
	VPMAXUD       Y5, Y4, Y4
	MINMAX_REDUCE256
	RET

// func minMaxAVX2(src []float32) (lo, hi float32, amax uint32)
// n is a multiple of 16.
TEXT ·minMaxAVX2(SB), NOSPLIT, $0-36
	MOVQ    src_base+0(FP), SI
	MOVQ    src_len+8(FP), CX
	BCAST2($0x7F800000, X0, Y0)
	VMOVDQU Y0, Y1
	BCAST2($0xFF800000, X2, Y2)
	VMOVDQU Y2, Y3
	VPXOR   Y4, Y4, Y4
	VPXOR   Y5, Y5, Y5
	BCAST2($0x7FFFFFFF, X6, Y6)

mm2_loop:
	TESTQ   CX, CX
	JZ      mm2_reduce
	VMOVUPS (SI), Y7
	VMOVUPS 32(SI), Y8
	VMINPS  Y7, Y0, Y0
	VMINPS  Y8, Y1, Y1
	VMAXPS  Y7, Y2, Y2
	VMAXPS  Y8, Y3, Y3
	VPAND   Y6, Y7, Y7
	VPAND   Y6, Y8, Y8
	VPMAXUD Y7, Y4, Y4
	VPMAXUD Y8, Y5, Y5
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     mm2_loop

mm2_reduce:
	VMINPS  Y1, Y0, Y0
	VMAXPS  Y3, Y2, Y2
	VPMAXUD Y5, Y4, Y4
	MINMAX_REDUCE256
	RET

// ---------------------------------------------------------------------
// quantize: v = f32(f32(x / scale) + zp); v = max(v, qmin) (VMAXPS returns
// its second source, qmin, when v is NaN); v = min(v, qmax); round half
// to even; store the low byte of the integer.

// Z4 = scale, Z5 = zp, Z6 = qmin, Z7 = qmax.
#define QUANT512(r) \
	VDIVPS Z4, r, r; \
	VADDPS Z5, r, r; \
	VMAXPS Z6, r, r; \
	VMINPS Z7, r, r; \
	VCVTPS2DQ.RN_SAE r, r

// func quant8AVX512(dst []byte, src []float32, scale, zp, qmin, qmax float32)
TEXT ·quant8AVX512(SB), NOSPLIT, $0-64
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Z4
	VBROADCASTSS zp+52(FP), Z5
	VBROADCASTSS qmin+56(FP), Z6
	VBROADCASTSS qmax+60(FP), Z7

q8_512_loop:
	CMPQ    CX, $32
	JB      q8_512_16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	QUANT512(Z0)
	QUANT512(Z1)
	VPMOVDB Z0, X0
	VPMOVDB Z1, X1
	VMOVDQU X0, (DI)
	VMOVDQU X1, 16(DI)
	ADDQ    $128, SI
	ADDQ    $32, DI
	SUBQ    $32, CX
	JMP     q8_512_loop

q8_512_16:
	CMPQ    CX, $16
	JB      q8_512_tail
	VMOVUPS (SI), Z0
	QUANT512(Z0)
	VPMOVDB Z0, X0
	VMOVDQU X0, (DI)
	ADDQ    $64, SI
	ADDQ    $16, DI
	SUBQ    $16, CX

q8_512_tail:
	TESTQ     CX, CX
	JZ        q8_512_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	QUANT512(Z0)
	VPMOVDB   Z0, X0
	VMOVDQU8  X0, K1, (DI)

q8_512_done:
	VZEROUPPER
	RET

// Y4 = scale, Y5 = zp, Y6 = qmin, Y7 = qmax. VROUNDPS imm 8: round to
// nearest even, no precision exception; the truncating conversion is then
// exact.
#define QUANT2(r) \
	VDIVPS     Y4, r, r; \
	VADDPS     Y5, r, r; \
	VMAXPS     Y6, r, r; \
	VMINPS     Y7, r, r; \
	VROUNDPS   $8, r, r; \
	VCVTTPS2DQ r, r

// func quant8AVX2(dst []byte, src []float32, scale, zp, qmin, qmax float32)
// n is a multiple of 16.
TEXT ·quant8AVX2(SB), NOSPLIT, $0-64
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	VBROADCASTSS scale+48(FP), Y4
	VBROADCASTSS zp+52(FP), Y5
	VBROADCASTSS qmin+56(FP), Y6
	VBROADCASTSS qmax+60(FP), Y7
	BCAST2($0x00FF00FF, X8, Y8)

q8_2_loop:
	TESTQ        CX, CX
	JZ           q8_2_done
	VMOVUPS      (SI), Y0
	VMOVUPS      32(SI), Y1
	QUANT2(Y0)
	QUANT2(Y1)
	VPACKSSDW    Y1, Y0, Y0
	VPERMQ       $0xD8, Y0, Y0
	VPAND        Y8, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPACKUSWB    X1, X0, X0
	VMOVDQU      X0, (DI)
	ADDQ         $64, SI
	ADDQ         $16, DI
	SUBQ         $16, CX
	JMP          q8_2_loop

q8_2_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// 4-bit pack: words w = lo | hi << 8 of the input bytes become
// (w & 0x0F) | ((w >> 4) & 0xF0), then narrow words to bytes.

// func pack4AVX512(dst []byte, src []byte)
// n = len(src) is a multiple of 64.
TEXT ·pack4AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	BCAST5($0x000F000F, Z2)
	BCAST5($0x00F000F0, Z3)

p4_512_loop:
	TESTQ     CX, CX
	JZ        p4_512_done
	VMOVDQU64 (SI), Z0
	VPSRLW    $4, Z0, Z1
	VPANDD    Z2, Z0, Z0
	VPANDD    Z3, Z1, Z1
	VPORD     Z1, Z0, Z0
	VPMOVWB   Z0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $64, CX
	JMP       p4_512_loop

p4_512_done:
	VZEROUPPER
	RET

// func pack4AVX2(dst []byte, src []byte)
// n = len(src) is a multiple of 32.
TEXT ·pack4AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	BCAST2($0x000F000F, X2, Y2)
	BCAST2($0x00F000F0, X3, Y3)

p4_2_loop:
	TESTQ        CX, CX
	JZ           p4_2_done
	VMOVDQU      (SI), Y0
	VPSRLW       $4, Y0, Y1
	VPAND        Y2, Y0, Y0
	VPAND        Y3, Y1, Y1
	VPOR         Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPACKUSWB    X1, X0, X0
	VMOVDQU      X0, (DI)
	ADDQ         $32, SI
	ADDQ         $16, DI
	SUBQ         $32, CX
	JMP          p4_2_loop

p4_2_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// 4-bit unpack: byte b -> word (b & 0xF) | ((b << 4) & 0xF00), then
// (v ^ s) - s bytewise (s = 8 sign-extends a nibble, s = 0 keeps 0..15).

// func unpack4AVX512(dst []byte, src []byte, signed bool)
// n = len(dst) is a multiple of 64.
TEXT ·unpack4AVX512(SB), NOSPLIT, $0-49
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	MOVBLZX      signed+48(FP), AX
	NEGL         AX
	ANDL         $0x08080808, AX
	VPBROADCASTD AX, Z4
	BCAST5($0x000F000F, Z2)
	BCAST5($0x0F000F00, Z3)

u4_512_loop:
	TESTQ     CX, CX
	JZ        u4_512_done
	VPMOVZXBW (SI), Z0
	VPSLLW    $4, Z0, Z1
	VPANDD    Z2, Z0, Z0
	VPANDD    Z3, Z1, Z1
	VPORD     Z1, Z0, Z0
	VPXORD    Z4, Z0, Z0
	VPSUBB    Z4, Z0, Z0
	VMOVDQU64 Z0, (DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $64, CX
	JMP       u4_512_loop

u4_512_done:
	VZEROUPPER
	RET

// func unpack4AVX2(dst []byte, src []byte, signed bool)
// n = len(dst) is a multiple of 32.
TEXT ·unpack4AVX2(SB), NOSPLIT, $0-49
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	MOVBLZX      signed+48(FP), AX
	NEGL         AX
	ANDL         $0x08080808, AX
	MOVD         AX, X4
	VPBROADCASTD X4, Y4
	BCAST2($0x000F000F, X2, Y2)
	BCAST2($0x0F000F00, X3, Y3)

u4_2_loop:
	TESTQ     CX, CX
	JZ        u4_2_done
	VPMOVZXBW (SI), Y0
	VPSLLW    $4, Y0, Y1
	VPAND     Y2, Y0, Y0
	VPAND     Y3, Y1, Y1
	VPOR      Y1, Y0, Y0
	VPXOR     Y4, Y0, Y0
	VPSUBB    Y4, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $32, CX
	JMP       u4_2_loop

u4_2_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// Grouped dequantization: len(zps) consecutive groups of gs elements, group
// g with zps[g] and scales[g] (per_group tensors, and per_channel slabs of
// shape[axis] runs). The loop bodies are those of dequant8/dequant4 above;
// gs is a multiple of the block (32 for AVX-512, 16 for AVX2).

// func dequant8GAVX512(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)
TEXT ·dequant8GAVX512(SB), NOSPLIT, $0-112
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVBLZX      signed+48(FP), AX
	NEGL         AX
	ANDL         $0x80, AX
	VPBROADCASTD AX, Z3
	MOVQ         zps_base+56(FP), R8
	MOVQ         zps_len+64(FP), R10
	MOVQ         scales_base+80(FP), R9
	MOVQ         gs+104(FP), R11

dq8g512_group:
	TESTQ        R10, R10
	JZ           dq8g512_done
	VBROADCASTSS (R8), Z4
	VBROADCASTSS (R9), Z5
	MOVQ         R11, CX

dq8g512_loop:
	VPMOVZXBD (SI), Z0
	VPMOVZXBD 16(SI), Z1
	VPXORD    Z3, Z0, Z0
	VPXORD    Z3, Z1, Z1
	VPSUBD    Z3, Z0, Z0
	VPSUBD    Z3, Z1, Z1
	VCVTDQ2PS Z0, Z0
	VCVTDQ2PS Z1, Z1
	VSUBPS    Z4, Z0, Z0
	VSUBPS    Z4, Z1, Z1
	VMULPS    Z5, Z0, Z0
	VMULPS    Z5, Z1, Z1
	VMOVUPS   Z0, (DI)
	VMOVUPS   Z1, 64(DI)
	ADDQ      $32, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	JNZ       dq8g512_loop
	ADDQ      $4, R8
	ADDQ      $4, R9
	DECQ      R10
	JMP       dq8g512_group

dq8g512_done:
	VZEROUPPER
	RET

// func dequant8GAVX2(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)
TEXT ·dequant8GAVX2(SB), NOSPLIT, $0-112
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVBLZX      signed+48(FP), AX
	NEGL         AX
	ANDL         $0x80, AX
	MOVD         AX, X3
	VPBROADCASTD X3, Y3
	MOVQ         zps_base+56(FP), R8
	MOVQ         zps_len+64(FP), R10
	MOVQ         scales_base+80(FP), R9
	MOVQ         gs+104(FP), R11

dq8g2_group:
	TESTQ        R10, R10
	JZ           dq8g2_done
	VBROADCASTSS (R8), Y4
	VBROADCASTSS (R9), Y5
	MOVQ         R11, CX

dq8g2_loop:
	VPMOVZXBD (SI), Y0
	VPMOVZXBD 8(SI), Y1
	VPXOR     Y3, Y0, Y0
	VPXOR     Y3, Y1, Y1
	VPSUBD    Y3, Y0, Y0
	VPSUBD    Y3, Y1, Y1
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VSUBPS    Y4, Y0, Y0
	VSUBPS    Y4, Y1, Y1
	VMULPS    Y5, Y0, Y0
	VMULPS    Y5, Y1, Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $16, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JNZ       dq8g2_loop
	ADDQ      $4, R8
	ADDQ      $4, R9
	DECQ      R10
	JMP       dq8g2_group

dq8g2_done:
	VZEROUPPER
	RET

// func dequant4GAVX512(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)
TEXT ·dequant4GAVX512(SB), NOSPLIT, $0-112
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVBLZX      signed+48(FP), AX
	NEGL         AX
	ANDL         $0x08080808, AX
	VPBROADCASTD AX, Y3
	BCAST5($0x000F000F, Y6)
	BCAST5($0x0F000F00, Y7)
	MOVQ         zps_base+56(FP), R8
	MOVQ         zps_len+64(FP), R10
	MOVQ         scales_base+80(FP), R9
	MOVQ         gs+104(FP), R11

dq4g512_group:
	TESTQ        R10, R10
	JZ           dq4g512_done
	VBROADCASTSS (R8), Z4
	VBROADCASTSS (R9), Z5
	MOVQ         R11, CX

dq4g512_loop:
	VPMOVZXBW    (SI), Y0
	VPSLLW       $4, Y0, Y1
	VPAND        Y6, Y0, Y0
	VPAND        Y7, Y1, Y1
	VPOR         Y1, Y0, Y0
	VPXOR        Y3, Y0, Y0
	VPSUBB       Y3, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPMOVSXBD    X0, Z0
	VPMOVSXBD    X1, Z1
	VCVTDQ2PS    Z0, Z0
	VCVTDQ2PS    Z1, Z1
	VSUBPS       Z4, Z0, Z0
	VSUBPS       Z4, Z1, Z1
	VMULPS       Z5, Z0, Z0
	VMULPS       Z5, Z1, Z1
	VMOVUPS      Z0, (DI)
	VMOVUPS      Z1, 64(DI)
	ADDQ         $16, SI
	ADDQ         $128, DI
	SUBQ         $32, CX
	JNZ          dq4g512_loop
	ADDQ         $4, R8
	ADDQ         $4, R9
	DECQ         R10
	JMP          dq4g512_group

dq4g512_done:
	VZEROUPPER
	RET

// func dequant4GAVX2(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)
TEXT ·dequant4GAVX2(SB), NOSPLIT, $0-112
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVBLZX      signed+48(FP), AX
	NEGL         AX
	ANDL         $0x08080808, AX
	MOVD         AX, X3
	VPBROADCASTD X3, X3
	BCAST2($0x000F000F, X6, X6)
	BCAST2($0x0F000F00, X7, X7)
	MOVQ         zps_base+56(FP), R8
	MOVQ         zps_len+64(FP), R10
	MOVQ         scales_base+80(FP), R9
	MOVQ         gs+104(FP), R11

dq4g2_group:
	TESTQ        R10, R10
	JZ           dq4g2_done
	VBROADCASTSS (R8), Y4
	VBROADCASTSS (R9), Y5
	MOVQ         R11, CX

dq4g2_loop:
	VPMOVZXBW (SI), X0
	VPSLLW    $4, X0, X1
	VPAND     X6, X0, X0
	VPAND     X7, X1, X1
	VPOR      X1, X0, X0
	VPXOR     X3, X0, X0
	VPSUBB    X3, X0, X0
	VPSRLDQ   $8, X0, X1
	VPMOVSXBD X0, Y0
	VPMOVSXBD X1, Y1
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VSUBPS    Y4, Y0, Y0
	VSUBPS    Y4, Y1, Y1
	VMULPS    Y5, Y0, Y0
	VMULPS    Y5, Y1, Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $8, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JNZ       dq4g2_loop
	ADDQ      $4, R8
	ADDQ      $4, R9
	DECQ      R10
	JMP       dq4g2_group

dq4g2_done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// Grouped min/max and quantization: len(lo) (len(scales)) consecutive
// groups of gs elements. minMaxG folds each group's minimum and maximum
// into lo[g] and hi[g] (so per_channel slabs can accumulate) and returns
// the largest |x| bit pattern of all groups; quant8G quantizes group g with
// scales[g] and zps[g] as quant8 does.

// Reduce Z0 (min) and Z2 (max) to lanes 0 and fold them into (R8), (R9).
#define MINMAX_FOLD512 \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VEXTRACTF64X4 $1, Z2, Y3; \
	VMINPS        Y1, Y0, Y0; \
	VMAXPS        Y3, Y2, Y2; \
	VEXTRACTF128  $1, Y0, X1; \
	VEXTRACTF128  $1, Y2, X3; \
	VMINPS        X1, X0, X0; \
	VMAXPS        X3, X2, X2; \
	VPSHUFD       $0x4E, X0, X1; \
	VPSHUFD       $0x4E, X2, X3; \
	VMINPS        X1, X0, X0; \
	VMAXPS        X3, X2, X2; \
	VPSHUFD       $0xB1, X0, X1; \
	VPSHUFD       $0xB1, X2, X3; \
	VMINPS        X1, X0, X0; \
	VMAXPS        X3, X2, X2; \
	VMINSS        (R8), X0, X0; \
	VMAXSS        (R9), X2, X2; \
	VMOVSS        X0, (R8); \
	VMOVSS        X2, (R9)

// func minMaxGAVX512(src []float32, gs int, lo, hi []float32) (amax uint32)
// gs is a multiple of 32.
TEXT ·minMaxGAVX512(SB), NOSPLIT, $0-84
	MOVQ   src_base+0(FP), SI
	MOVQ   gs+24(FP), R11
	MOVQ   lo_base+32(FP), R8
	MOVQ   lo_len+40(FP), R10
	MOVQ   hi_base+56(FP), R9
	BCAST5($0x7F800000, Z8)
	BCAST5($0xFF800000, Z9)
	BCAST5($0x7FFFFFFF, Z6)
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5

mmg512_group:
	TESTQ     R10, R10
	JZ        mmg512_done
	VMOVDQA32 Z8, Z0
	VMOVDQA32 Z8, Z1
	VMOVDQA32 Z9, Z2
	VMOVDQA32 Z9, Z3
	MOVQ      R11, CX

mmg512_loop:
	VMOVUPS (SI), Z10
	VMOVUPS 64(SI), Z11
	VMINPS  Z10, Z0, Z0
	VMINPS  Z11, Z1, Z1
	VMAXPS  Z10, Z2, Z2
	VMAXPS  Z11, Z3, Z3
	VPANDD  Z6, Z10, Z10
	VPANDD  Z6, Z11, Z11
	VPMAXUD Z10, Z4, Z4
	VPMAXUD Z11, Z5, Z5
	ADDQ    $128, SI
	SUBQ    $32, CX
	JNZ     mmg512_loop
	VMINPS  Z1, Z0, Z0
	VMAXPS  Z3, Z2, Z2
	MINMAX_FOLD512
	ADDQ    $4, R8
	ADDQ    $4, R9
	DECQ    R10
	JMP     mmg512_group

mmg512_done:
	VPMAXUD       Z5, Z4, Z4
	VEXTRACTI64X4 $1, Z4, Y5
	VPMAXUD       Y5, Y4, Y4
	AMAX_STORE
	VZEROUPPER
	RET

// func minMaxGAVX2(src []float32, gs int, lo, hi []float32) (amax uint32)
// gs is a multiple of 16.
TEXT ·minMaxGAVX2(SB), NOSPLIT, $0-84
	MOVQ  src_base+0(FP), SI
	MOVQ  gs+24(FP), R11
	MOVQ  lo_base+32(FP), R8
	MOVQ  lo_len+40(FP), R10
	MOVQ  hi_base+56(FP), R9
	BCAST2($0x7F800000, X8, Y8)
	BCAST2($0xFF800000, X9, Y9)
	BCAST2($0x7FFFFFFF, X6, Y6)
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5

mmg2_group:
	TESTQ   R10, R10
	JZ      mmg2_done
	VMOVDQU Y8, Y0
	VMOVDQU Y8, Y1
	VMOVDQU Y9, Y2
	VMOVDQU Y9, Y3
	MOVQ    R11, CX

mmg2_loop:
	VMOVUPS (SI), Y10
	VMOVUPS 32(SI), Y11
	VMINPS  Y10, Y0, Y0
	VMINPS  Y11, Y1, Y1
	VMAXPS  Y10, Y2, Y2
	VMAXPS  Y11, Y3, Y3
	VPAND   Y6, Y10, Y10
	VPAND   Y6, Y11, Y11
	VPMAXUD Y10, Y4, Y4
	VPMAXUD Y11, Y5, Y5
	ADDQ    $64, SI
	SUBQ    $16, CX
	JNZ     mmg2_loop
	VMINPS  Y1, Y0, Y0
	VMAXPS  Y3, Y2, Y2
	VEXTRACTF128 $1, Y0, X1
	VEXTRACTF128 $1, Y2, X3
	VMINPS  X1, X0, X0
	VMAXPS  X3, X2, X2
	VPSHUFD $0x4E, X0, X1
	VPSHUFD $0x4E, X2, X3
	VMINPS  X1, X0, X0
	VMAXPS  X3, X2, X2
	VPSHUFD $0xB1, X0, X1
	VPSHUFD $0xB1, X2, X3
	VMINPS  X1, X0, X0
	VMAXPS  X3, X2, X2
	VMINSS  (R8), X0, X0
	VMAXSS  (R9), X2, X2
	VMOVSS  X0, (R8)
	VMOVSS  X2, (R9)
	ADDQ    $4, R8
	ADDQ    $4, R9
	DECQ    R10
	JMP     mmg2_group

mmg2_done:
	VPMAXUD Y5, Y4, Y4
	AMAX_STORE
	VZEROUPPER
	RET

// func quant8GAVX512(dst []byte, src []float32, scales, zps []float32, gs int, qmin, qmax float32)
// gs is a multiple of 32.
TEXT ·quant8GAVX512(SB), NOSPLIT, $0-112
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVQ         scales_base+48(FP), R8
	MOVQ         scales_len+56(FP), R10
	MOVQ         zps_base+72(FP), R9
	MOVQ         gs+96(FP), R11
	VBROADCASTSS qmin+104(FP), Z6
	VBROADCASTSS qmax+108(FP), Z7

q8g512_group:
	TESTQ        R10, R10
	JZ           q8g512_done
	VBROADCASTSS (R8), Z4
	VBROADCASTSS (R9), Z5
	MOVQ         R11, CX

q8g512_loop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	QUANT512(Z0)
	QUANT512(Z1)
	VPMOVDB Z0, X0
	VPMOVDB Z1, X1
	VMOVDQU X0, (DI)
	VMOVDQU X1, 16(DI)
	ADDQ    $128, SI
	ADDQ    $32, DI
	SUBQ    $32, CX
	JNZ     q8g512_loop
	ADDQ    $4, R8
	ADDQ    $4, R9
	DECQ    R10
	JMP     q8g512_group

q8g512_done:
	VZEROUPPER
	RET

// func quant8GAVX2(dst []byte, src []float32, scales, zps []float32, gs int, qmin, qmax float32)
// gs is a multiple of 16.
TEXT ·quant8GAVX2(SB), NOSPLIT, $0-112
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVQ         scales_base+48(FP), R8
	MOVQ         scales_len+56(FP), R10
	MOVQ         zps_base+72(FP), R9
	MOVQ         gs+96(FP), R11
	VBROADCASTSS qmin+104(FP), Y6
	VBROADCASTSS qmax+108(FP), Y7
	BCAST2($0x00FF00FF, X8, Y8)

q8g2_group:
	TESTQ        R10, R10
	JZ           q8g2_done
	VBROADCASTSS (R8), Y4
	VBROADCASTSS (R9), Y5
	MOVQ         R11, CX

q8g2_loop:
	VMOVUPS      (SI), Y0
	VMOVUPS      32(SI), Y1
	QUANT2(Y0)
	QUANT2(Y1)
	VPACKSSDW    Y1, Y0, Y0
	VPERMQ       $0xD8, Y0, Y0
	VPAND        Y8, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPACKUSWB    X1, X0, X0
	VMOVDQU      X0, (DI)
	ADDQ         $64, SI
	ADDQ         $16, DI
	SUBQ         $16, CX
	JNZ          q8g2_loop
	ADDQ         $4, R8
	ADDQ         $4, R9
	DECQ         R10
	JMP          q8g2_group

q8g2_done:
	VZEROUPPER
	RET
