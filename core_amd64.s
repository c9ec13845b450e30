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


// Loop skeletons. A block macro (…_BLOCK) processes one block at (SI)
// into (DI), advances SI and DI and ends with SUBQ $block, CX, whose flags
// the skeleton branches on.

// Run BLOCK until CX is zero, then return.
#define BLOCKS(loop, done, BLOCK) \
loop: \
	TESTQ CX, CX; \
	JZ    done; \
	BLOCK; \
	JMP   loop; \
done: \
	VZEROUPPER; \
	RET

// Two-vector blocks while CX >= 32, then a one-vector block (ONE) if
// CX >= 16, then TAIL for the last CX < 16 elements with K1 = their mask
// (the AVX-512 kernels with masked tails); return.
#define TAILED(loop, one, tail, done, BLOCK, ONE, TAIL) \
loop: \
	CMPQ  CX, $32; \
	JB    one; \
	BLOCK; \
	JMP   loop; \
one: \
	CMPQ  CX, $16; \
	JB    tail; \
	ONE; \
tail: \
	TESTQ CX, CX; \
	JZ    done; \
	TAILMASK; \
	TAIL; \
done: \
	VZEROUPPER; \
	RET

// Sixteen-element blocks while CX >= 16, then ONE for the last 8 if CX is
// not zero (the AVX2 kernels taking n a multiple of 8); return.
#define PAIRS(loop, one, done, BLOCK, ONE) \
loop: \
	CMPQ  CX, $16; \
	JB    one; \
	BLOCK; \
	JMP   loop; \
one: \
	TESTQ CX, CX; \
	JZ    done; \
	ONE; \
done: \
	VZEROUPPER; \
	RET

// The end of a block: SI += in, DI += out, CX -= n (setting the flags).
#define NEXT(in, out, n) \
	ADDQ in, SI; \
	ADDQ out, DI; \
	SUBQ n, CX

// The grouped kernels' loop over R10 groups of R11 elements (R11 > 0, a
// multiple of the block): START loads the group's parameters from (R8)
// and (R9), BLOCK runs over the group's elements, END finishes it, then R8
// and R9 step to the next group. Falls through at done when R10 is zero.
#define GROUPS(group, loop, done, START, BLOCK, END) \
group: \
	TESTQ R10, R10; \
	JZ    done; \
	START; \
	MOVQ  R11, CX; \
loop: \
	BLOCK; \
	JNZ   loop; \
	END; \
	ADDQ  $4, R8; \
	ADDQ  $4, R9; \
	DECQ  R10; \
	JMP   group; \
done:

// The grouped kernels' arguments: DI = dst, SI = src, R8 = the first
// parameter slice, R10 = its length (the number of groups), R9 = the
// second parameter slice, R11 = gs.
#define GROUP_ARGS(p, n, q, gs) \
	MOVQ dst_base+0(FP), DI; \
	MOVQ src_base+24(FP), SI; \
	MOVQ p, R8; \
	MOVQ n, R10; \
	MOVQ q, R9; \
	MOVQ gs, R11

// DI = dst, CX = len(dst), SI = src of a func(dst, src []T, ...).
#define DST_SRC \
	MOVQ dst_base+0(FP), DI; \
	MOVQ dst_len+8(FP), CX; \
	MOVQ src_base+24(FP), SI

// AX = c if the argument signed (a bool at 48(FP)) is true, else 0.
#define SIGNMASK(c) \
	MOVBLZX signed+48(FP), AX; \
	NEGL    AX; \
	ANDL    c, AX

// Group parameters of the dequantization and quantization kernels:
// broadcast (R8) to Z4/Y4 and (R9) to Z5/Y5.
#define PARAMS512 \
	VBROADCASTSS (R8), Z4; \
	VBROADCASTSS (R9), Z5

#define PARAMS2 \
	VBROADCASTSS (R8), Y4; \
	VBROADCASTSS (R9), Y5

// Store the lo, hi and amax results of a
// func(src []float32) (lo, hi float32, amax uint32) from lane 0 of X0, X2
// and X4, and return.
#define MINMAX_RET \
	VMOVSS X0, lo+24(FP); \
	VMOVSS X2, hi+28(FP); \
	VMOVD  X4, amax+32(FP); \
	VZEROUPPER; \
	RET

// Store the amax result of a grouped min/max kernel from lane 0 of X4,
// and return.
#define AMAX_RET \
	VMOVD X4, amax+80(FP); \
	VZEROUPPER; \
	RET

// ---------------------------------------------------------------------
// float16 -> float32

#define H2S512_BLOCK \
	VCVTPH2PS (SI), Z0; \
	VCVTPH2PS 32(SI), Z1; \
	VMOVUPS   Z0, (DI); \
	VMOVUPS   Z1, 64(DI); \
	NEXT($64, $128, $32)

#define H2S512_ONE \
	VCVTPH2PS (SI), Z0; \
	VMOVUPS   Z0, (DI); \
	NEXT($32, $64, $16)

#define H2S512_TAIL \
	VMOVDQU16.Z (SI), K1, Y0; \
	VCVTPH2PS   Y0, Z0; \
	VMOVUPS     Z0, K1, (DI)

// func f16ToF32AVX512(dst []float32, src []uint16)
TEXT ·f16ToF32AVX512(SB), NOSPLIT, $0-48
	DST_SRC
	TAILED(h2s512_loop, h2s512_16, h2s512_tail, h2s512_done, H2S512_BLOCK, H2S512_ONE, H2S512_TAIL)

#define H2S2_BLOCK \
	VCVTPH2PS (SI), Y0; \
	VCVTPH2PS 16(SI), Y1; \
	VMOVUPS   Y0, (DI); \
	VMOVUPS   Y1, 32(DI); \
	NEXT($32, $64, $16)

#define H2S2_ONE \
	VCVTPH2PS (SI), Y0; \
	VMOVUPS   Y0, (DI)

// func f16ToF32AVX2(dst []float32, src []uint16)
// n is a multiple of 8.
TEXT ·f16ToF32AVX2(SB), NOSPLIT, $0-48
	DST_SRC
	PAIRS(h2s2_loop, h2s2_8, h2s2_done, H2S2_BLOCK, H2S2_ONE)

// ---------------------------------------------------------------------
// float32 -> float16 (VCVTPS2PH imm 0: round to nearest even; a NaN keeps
// sign and top payload bits and is made quiet, as f32ToF16One)

#define S2H512_BLOCK \
	VMOVUPS   (SI), Z0; \
	VMOVUPS   64(SI), Z1; \
	VCVTPS2PH $0, Z0, Y0; \
	VCVTPS2PH $0, Z1, Y1; \
	VMOVDQU   Y0, (DI); \
	VMOVDQU   Y1, 32(DI); \
	NEXT($128, $64, $32)

#define S2H512_ONE \
	VMOVUPS   (SI), Z0; \
	VCVTPS2PH $0, Z0, Y0; \
	VMOVDQU   Y0, (DI); \
	NEXT($64, $32, $16)

#define S2H512_TAIL \
	VMOVUPS.Z (SI), K1, Z0; \
	VCVTPS2PH $0, Z0, Y0; \
	VMOVDQU16 Y0, K1, (DI)

// func f32ToF16AVX512(dst []uint16, src []float32)
TEXT ·f32ToF16AVX512(SB), NOSPLIT, $0-48
	DST_SRC
	TAILED(s2h512_loop, s2h512_16, s2h512_tail, s2h512_done, S2H512_BLOCK, S2H512_ONE, S2H512_TAIL)

#define S2H2_BLOCK \
	VMOVUPS   (SI), Y0; \
	VMOVUPS   32(SI), Y1; \
	VCVTPS2PH $0, Y0, X0; \
	VCVTPS2PH $0, Y1, X1; \
	VMOVDQU   X0, (DI); \
	VMOVDQU   X1, 16(DI); \
	NEXT($64, $32, $16)

#define S2H2_ONE \
	VMOVUPS   (SI), Y0; \
	VCVTPS2PH $0, Y0, X0; \
	VMOVDQU   X0, (DI)

// func f32ToF16AVX2(dst []uint16, src []float32)
// n is a multiple of 8.
TEXT ·f32ToF16AVX2(SB), NOSPLIT, $0-48
	DST_SRC
	PAIRS(s2h2_loop, s2h2_8, s2h2_done, S2H2_BLOCK, S2H2_ONE)

// ---------------------------------------------------------------------
// bfloat16 -> float32: zero-extend and shift left 16.

#define B2S512_BLOCK \
	VPMOVZXWD (SI), Z0; \
	VPMOVZXWD 32(SI), Z1; \
	VPSLLD    $16, Z0, Z0; \
	VPSLLD    $16, Z1, Z1; \
	VMOVDQU32 Z0, (DI); \
	VMOVDQU32 Z1, 64(DI); \
	NEXT($64, $128, $32)

#define B2S512_ONE \
	VPMOVZXWD (SI), Z0; \
	VPSLLD    $16, Z0, Z0; \
	VMOVDQU32 Z0, (DI); \
	NEXT($32, $64, $16)

#define B2S512_TAIL \
	VMOVDQU16.Z (SI), K1, Y0; \
	VPMOVZXWD   Y0, Z0; \
	VPSLLD      $16, Z0, Z0; \
	VMOVDQU32   Z0, K1, (DI)

// func bf16ToF32AVX512(dst []float32, src []uint16)
TEXT ·bf16ToF32AVX512(SB), NOSPLIT, $0-48
	DST_SRC
	TAILED(b2s512_loop, b2s512_16, b2s512_tail, b2s512_done, B2S512_BLOCK, B2S512_ONE, B2S512_TAIL)

#define B2S2_BLOCK \
	VPMOVZXWD (SI), Y0; \
	VPMOVZXWD 16(SI), Y1; \
	VPSLLD    $16, Y0, Y0; \
	VPSLLD    $16, Y1, Y1; \
	VMOVDQU   Y0, (DI); \
	VMOVDQU   Y1, 32(DI); \
	NEXT($32, $64, $16)

#define B2S2_ONE \
	VPMOVZXWD (SI), Y0; \
	VPSLLD    $16, Y0, Y0; \
	VMOVDQU   Y0, (DI)

// func bf16ToF32AVX2(dst []float32, src []uint16)
// n is a multiple of 8.
TEXT ·bf16ToF32AVX2(SB), NOSPLIT, $0-48
	DST_SRC
	PAIRS(b2s2_loop, b2s2_8, b2s2_done, B2S2_BLOCK, B2S2_ONE)

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

#define S2B512_BLOCK \
	VMOVDQU32 (SI), Z0; \
	VMOVDQU32 64(SI), Z1; \
	BF16ROUND512(Z0, Z2, Z4); \
	BF16ROUND512(Z1, Z3, Z5); \
	VPMOVDW   Z2, Y2; \
	VPMOVDW   Z3, Y3; \
	VMOVDQU   Y2, (DI); \
	VMOVDQU   Y3, 32(DI); \
	NEXT($128, $64, $32)

#define S2B512_ONE \
	VMOVDQU32 (SI), Z0; \
	BF16ROUND512(Z0, Z2, Z4); \
	VPMOVDW   Z2, Y2; \
	VMOVDQU   Y2, (DI); \
	NEXT($64, $32, $16)

#define S2B512_TAIL \
	VMOVDQU32.Z (SI), K1, Z0; \
	BF16ROUND512(Z0, Z2, Z4); \
	VPMOVDW     Z2, Y2; \
	VMOVDQU16   Y2, K1, (DI)

// func f32ToBF16AVX512(dst []uint16, src []float32)
TEXT ·f32ToBF16AVX512(SB), NOSPLIT, $0-48
	DST_SRC
	BCAST5($1, Z20)
	BCAST5($0x7FFF, Z21)
	BCAST5($0x7FFFFFFF, Z22)
	BCAST5($0x7F800000, Z23)
	BCAST5($0x40, Z24)
	TAILED(s2b512_loop, s2b512_16, s2b512_tail, s2b512_done, S2B512_BLOCK, S2B512_ONE, S2B512_TAIL)

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

#define S2B2_BLOCK \
	VMOVDQU   (SI), Y0; \
	VMOVDQU   32(SI), Y1; \
	BF16ROUND2(Y0, Y2, Y4); \
	BF16ROUND2(Y1, Y3, Y5); \
	VPACKUSDW Y3, Y2, Y2; \
	VPERMQ    $0xD8, Y2, Y2; \
	VMOVDQU   Y2, (DI); \
	NEXT($64, $32, $16)

// func f32ToBF16AVX2(dst []uint16, src []float32)
// n is a multiple of 16.
TEXT ·f32ToBF16AVX2(SB), NOSPLIT, $0-48
	DST_SRC
	BCAST2($1, X10, Y10)
	BCAST2($0x7FFF, X11, Y11)
	BCAST2($0x7FFFFFFF, X12, Y12)
	BCAST2($0x7F800000, X13, Y13)
	BCAST2($0x40, X14, Y14)
	BLOCKS(s2b2_loop, s2b2_done, S2B2_BLOCK)

// ---------------------------------------------------------------------
// dequantize 8-bit: dst = (float32(q) - zp) * scale. Bytes are
// zero-extended, then (v ^ s) - s with s = 0x80 for qint8 (sign
// extension) or 0 for quint8. The blocks are shared with the grouped
// kernels below.

// r = (float32(r) - zp) * scale for int32 lanes r.
#define TOF32(zp, scale, r) \
	VCVTDQ2PS r, r; \
	VSUBPS    zp, r, r; \
	VMULPS    scale, r, r

// The same for two registers a, b, interleaved.
#define TOF32X2(zp, scale, a, b) \
	VCVTDQ2PS a, a; \
	VCVTDQ2PS b, b; \
	VSUBPS    zp, a, a; \
	VSUBPS    zp, b, b; \
	VMULPS    scale, a, a; \
	VMULPS    scale, b, b

// Z3 = s, Z4 = zp, Z5 = scale; r holds zero-extended bytes.
#define DQ8_512(r) \
	VPXORD Z3, r, r; \
	VPSUBD Z3, r, r; \
	TOF32(Z4, Z5, r)

// 32 bytes to 32 floats.
#define DQ8_512_BLOCK \
	VPMOVZXBD (SI), Z0; \
	VPMOVZXBD 16(SI), Z1; \
	VPXORD    Z3, Z0, Z0; \
	VPXORD    Z3, Z1, Z1; \
	VPSUBD    Z3, Z0, Z0; \
	VPSUBD    Z3, Z1, Z1; \
	TOF32X2(Z4, Z5, Z0, Z1); \
	VMOVUPS   Z0, (DI); \
	VMOVUPS   Z1, 64(DI); \
	NEXT($32, $128, $32)

// Y3 = s, Y4 = zp, Y5 = scale; r holds zero-extended bytes.
#define DQ8_2(r) \
	VPXOR  Y3, r, r; \
	VPSUBD Y3, r, r; \
	TOF32(Y4, Y5, r)

// 16 bytes to 16 floats.
#define DQ8_2_BLOCK \
	VPMOVZXBD (SI), Y0; \
	VPMOVZXBD 8(SI), Y1; \
	VPXOR     Y3, Y0, Y0; \
	VPXOR     Y3, Y1, Y1; \
	VPSUBD    Y3, Y0, Y0; \
	VPSUBD    Y3, Y1, Y1; \
	TOF32X2(Y4, Y5, Y0, Y1); \
	VMOVUPS   Y0, (DI); \
	VMOVUPS   Y1, 32(DI); \
	NEXT($16, $64, $16)

#define DQ8_512_ONE \
	VPMOVZXBD (SI), Z0; \
	DQ8_512(Z0); \
	VMOVUPS   Z0, (DI); \
	NEXT($16, $64, $16)

#define DQ8_512_TAIL \
	VMOVDQU8.Z (SI), K1, X0; \
	VPMOVZXBD  X0, Z0; \
	DQ8_512(Z0); \
	VMOVUPS    Z0, K1, (DI)

// func dequant8AVX512(dst []float32, src []byte, signed bool, zp, scale float32)
TEXT ·dequant8AVX512(SB), NOSPLIT, $0-60
	DST_SRC
	SIGNMASK($0x80)
	VPBROADCASTD AX, Z3
	VBROADCASTSS zp+52(FP), Z4
	VBROADCASTSS scale+56(FP), Z5
	TAILED(dq8_512_loop, dq8_512_16, dq8_512_tail, dq8_512_done, DQ8_512_BLOCK, DQ8_512_ONE, DQ8_512_TAIL)

#define DQ8_2_ONE \
	VPMOVZXBD (SI), Y0; \
	DQ8_2(Y0); \
	VMOVUPS   Y0, (DI)

// func dequant8AVX2(dst []float32, src []byte, signed bool, zp, scale float32)
// n is a multiple of 8.
TEXT ·dequant8AVX2(SB), NOSPLIT, $0-60
	DST_SRC
	SIGNMASK($0x80)
	MOVD         AX, X3
	VPBROADCASTD X3, Y3
	VBROADCASTSS zp+52(FP), Y4
	VBROADCASTSS scale+56(FP), Y5
	PAIRS(dq8_2_loop, dq8_2_8, dq8_2_done, DQ8_2_BLOCK, DQ8_2_ONE)

// ---------------------------------------------------------------------
// dequantize 4-bit. Each source byte b is widened to the word
// (b & 0xF) | ((b << 4) & 0xF00): the two nibbles as bytes in element
// order. Then (v ^ s) - s bytewise with s = 8 (qint4) or 0 (quint4),
// sign-extension to 32 bits, and (v - zp) * scale.

// Y3 = s (bytes), Z4 = zp, Z5 = scale, Y6 = 0x000F000F, Y7 = 0x0F000F00.
// 16 bytes to 32 floats.
#define DQ4_512_BLOCK \
	VPMOVZXBW    (SI), Y0; \
	VPSLLW       $4, Y0, Y1; \
	VPAND        Y6, Y0, Y0; \
	VPAND        Y7, Y1, Y1; \
	VPOR         Y1, Y0, Y0; \
	VPXOR        Y3, Y0, Y0; \
	VPSUBB       Y3, Y0, Y0; \
	VEXTRACTI128 $1, Y0, X1; \
	VPMOVSXBD    X0, Z0; \
	VPMOVSXBD    X1, Z1; \
	TOF32X2(Z4, Z5, Z0, Z1); \
	VMOVUPS      Z0, (DI); \
	VMOVUPS      Z1, 64(DI); \
	NEXT($16, $128, $32)

// X3 = s (bytes), Y4 = zp, Y5 = scale, X6 = 0x000F000F, X7 = 0x0F000F00.
// 8 bytes to 16 floats.
#define DQ4_2_BLOCK \
	VPMOVZXBW (SI), X0; \
	VPSLLW    $4, X0, X1; \
	VPAND     X6, X0, X0; \
	VPAND     X7, X1, X1; \
	VPOR      X1, X0, X0; \
	VPXOR     X3, X0, X0; \
	VPSUBB    X3, X0, X0; \
	VPSRLDQ   $8, X0, X1; \
	VPMOVSXBD X0, Y0; \
	VPMOVSXBD X1, Y1; \
	TOF32X2(Y4, Y5, Y0, Y1); \
	VMOVUPS   Y0, (DI); \
	VMOVUPS   Y1, 32(DI); \
	NEXT($8, $64, $16)

// The dequant4 constants: s in Y3 (X3 for AVX2), the nibble masks in Y6/Y7
// (X6/X7).
#define DQ4_512_CONST \
	SIGNMASK($0x08080808); \
	VPBROADCASTD AX, Y3; \
	BCAST5($0x000F000F, Y6); \
	BCAST5($0x0F000F00, Y7)

#define DQ4_2_CONST \
	SIGNMASK($0x08080808); \
	MOVD         AX, X3; \
	VPBROADCASTD X3, X3; \
	BCAST2($0x000F000F, X6, X6); \
	BCAST2($0x0F000F00, X7, X7)

// func dequant4AVX512(dst []float32, src []byte, signed bool, zp, scale float32)
// n is a multiple of 32.
TEXT ·dequant4AVX512(SB), NOSPLIT, $0-60
	DST_SRC
	DQ4_512_CONST
	VBROADCASTSS zp+52(FP), Z4
	VBROADCASTSS scale+56(FP), Z5
	BLOCKS(dq4_512_loop, dq4_512_done, DQ4_512_BLOCK)

// func dequant4AVX2(dst []float32, src []byte, signed bool, zp, scale float32)
// n is a multiple of 16.
TEXT ·dequant4AVX2(SB), NOSPLIT, $0-60
	DST_SRC
	DQ4_2_CONST
	VBROADCASTSS zp+52(FP), Y4
	VBROADCASTSS scale+56(FP), Y5
	BLOCKS(dq4_2_loop, dq4_2_done, DQ4_2_BLOCK)

// ---------------------------------------------------------------------
// min/max scan. Returns the float minimum and maximum and the largest
// |x| bit pattern (as unsigned integers): amax >= 0x7F800000 means a NaN
// or an infinity was seen. Empty input gives +Inf, -Inf, 0.

// Z0, Z1 (Y0, Y1) = minima, Z2, Z3 = maxima, Z4, Z5 = largest |x| bits,
// Z6 = 0x7FFFFFFF; clobbers Z10, Z11. 32 (16) floats.
#define MM512_BLOCK \
	VMOVUPS (SI), Z10; \
	VMOVUPS 64(SI), Z11; \
	VMINPS  Z10, Z0, Z0; \
	VMINPS  Z11, Z1, Z1; \
	VMAXPS  Z10, Z2, Z2; \
	VMAXPS  Z11, Z3, Z3; \
	VPANDD  Z6, Z10, Z10; \
	VPANDD  Z6, Z11, Z11; \
	VPMAXUD Z10, Z4, Z4; \
	VPMAXUD Z11, Z5, Z5; \
	ADDQ    $128, SI; \
	SUBQ    $32, CX

#define MM2_BLOCK \
	VMOVUPS (SI), Y10; \
	VMOVUPS 32(SI), Y11; \
	VMINPS  Y10, Y0, Y0; \
	VMINPS  Y11, Y1, Y1; \
	VMAXPS  Y10, Y2, Y2; \
	VMAXPS  Y11, Y3, Y3; \
	VPAND   Y6, Y10, Y10; \
	VPAND   Y6, Y11, Y11; \
	VPMAXUD Y10, Y4, Y4; \
	VPMAXUD Y11, Y5, Y5; \
	ADDQ    $64, SI; \
	SUBQ    $16, CX

// Reduce Y0, Y1 to their minimum and Y2, Y3 to their maximum in lane 0
// of X0 and X2.
#define MINMAX_Y \
	VMINPS       Y1, Y0, Y0; \
	VMAXPS       Y3, Y2, Y2; \
	VEXTRACTF128 $1, Y0, X1; \
	VEXTRACTF128 $1, Y2, X3; \
	VMINPS       X1, X0, X0; \
	VMAXPS       X3, X2, X2; \
	VPSHUFD      $0x4E, X0, X1; \
	VPSHUFD      $0x4E, X2, X3; \
	VMINPS       X1, X0, X0; \
	VMAXPS       X3, X2, X2; \
	VPSHUFD      $0xB1, X0, X1; \
	VPSHUFD      $0xB1, X2, X3; \
	VMINPS       X1, X0, X0; \
	VMAXPS       X3, X2, X2

// The same from Z0..Z3.
#define MINMAX_Z \
	VMINPS        Z1, Z0, Z0; \
	VMAXPS        Z3, Z2, Z2; \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VEXTRACTF64X4 $1, Z2, Y3; \
	MINMAX_Y

// Reduce the unsigned maxima Y4, Y5 to lane 0 of X4.
#define AMAX_Y \
	VPMAXUD      Y5, Y4, Y4; \
	VEXTRACTI128 $1, Y4, X5; \
	VPMAXUD      X5, X4, X4; \
	VPSHUFD      $0x4E, X4, X5; \
	VPMAXUD      X5, X4, X4; \
	VPSHUFD      $0xB1, X4, X5; \
	VPMAXUD      X5, X4, X4

// The same from Z4, Z5.
#define AMAX_Z \
	VPMAXUD       Z5, Z4, Z4; \
	VEXTRACTI64X4 $1, Z4, Y5; \
	AMAX_Y

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
	TESTQ CX, CX
	JZ    mm512_reduce
	MM512_BLOCK
	JMP   mm512_loop

mm512_reduce:
	MINMAX_Z
	AMAX_Z
	MINMAX_RET

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
	TESTQ CX, CX
	JZ    mm2_reduce
	MM2_BLOCK
	JMP   mm2_loop

mm2_reduce:
	MINMAX_Y
	AMAX_Y
	MINMAX_RET

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

// 32 floats to 32 bytes.
#define Q8_512_BLOCK \
	VMOVUPS (SI), Z0; \
	VMOVUPS 64(SI), Z1; \
	QUANT512(Z0); \
	QUANT512(Z1); \
	VPMOVDB Z0, X0; \
	VPMOVDB Z1, X1; \
	VMOVDQU X0, (DI); \
	VMOVDQU X1, 16(DI); \
	NEXT($128, $32, $32)

#define Q8_512_ONE \
	VMOVUPS (SI), Z0; \
	QUANT512(Z0); \
	VPMOVDB Z0, X0; \
	VMOVDQU X0, (DI); \
	NEXT($64, $16, $16)

#define Q8_512_TAIL \
	VMOVUPS.Z (SI), K1, Z0; \
	QUANT512(Z0); \
	VPMOVDB   Z0, X0; \
	VMOVDQU8  X0, K1, (DI)

// func quant8AVX512(dst []byte, src []float32, scale, zp, qmin, qmax float32)
TEXT ·quant8AVX512(SB), NOSPLIT, $0-64
	DST_SRC
	VBROADCASTSS scale+48(FP), Z4
	VBROADCASTSS zp+52(FP), Z5
	VBROADCASTSS qmin+56(FP), Z6
	VBROADCASTSS qmax+60(FP), Z7
	TAILED(q8_512_loop, q8_512_16, q8_512_tail, q8_512_done, Q8_512_BLOCK, Q8_512_ONE, Q8_512_TAIL)

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

// Y8 = 0x00FF00FF. 16 floats to 16 bytes.
#define Q8_2_BLOCK \
	VMOVUPS      (SI), Y0; \
	VMOVUPS      32(SI), Y1; \
	QUANT2(Y0); \
	QUANT2(Y1); \
	VPACKSSDW    Y1, Y0, Y0; \
	VPERMQ       $0xD8, Y0, Y0; \
	VPAND        Y8, Y0, Y0; \
	VEXTRACTI128 $1, Y0, X1; \
	VPACKUSWB    X1, X0, X0; \
	VMOVDQU      X0, (DI); \
	NEXT($64, $16, $16)

// func quant8AVX2(dst []byte, src []float32, scale, zp, qmin, qmax float32)
// n is a multiple of 16.
TEXT ·quant8AVX2(SB), NOSPLIT, $0-64
	DST_SRC
	VBROADCASTSS scale+48(FP), Y4
	VBROADCASTSS zp+52(FP), Y5
	VBROADCASTSS qmin+56(FP), Y6
	VBROADCASTSS qmax+60(FP), Y7
	BCAST2($0x00FF00FF, X8, Y8)
	BLOCKS(q8_2_loop, q8_2_done, Q8_2_BLOCK)

// ---------------------------------------------------------------------
// 4-bit pack: words w = lo | hi << 8 of the input bytes become
// (w & 0x0F) | ((w >> 4) & 0xF0), then narrow words to bytes.

// Z2 = 0x000F000F, Z3 = 0x00F000F0. 64 bytes to 32.
#define P4_512_BLOCK \
	VMOVDQU64 (SI), Z0; \
	VPSRLW    $4, Z0, Z1; \
	VPANDD    Z2, Z0, Z0; \
	VPANDD    Z3, Z1, Z1; \
	VPORD     Z1, Z0, Z0; \
	VPMOVWB   Z0, Y0; \
	VMOVDQU   Y0, (DI); \
	NEXT($64, $32, $64)

// Y2 = 0x000F000F, Y3 = 0x00F000F0. 32 bytes to 16.
#define P4_2_BLOCK \
	VMOVDQU      (SI), Y0; \
	VPSRLW       $4, Y0, Y1; \
	VPAND        Y2, Y0, Y0; \
	VPAND        Y3, Y1, Y1; \
	VPOR         Y1, Y0, Y0; \
	VEXTRACTI128 $1, Y0, X1; \
	VPACKUSWB    X1, X0, X0; \
	VMOVDQU      X0, (DI); \
	NEXT($32, $16, $32)

// func pack4AVX512(dst []byte, src []byte)
// n = len(src) is a multiple of 64.
TEXT ·pack4AVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	BCAST5($0x000F000F, Z2)
	BCAST5($0x00F000F0, Z3)
	BLOCKS(p4_512_loop, p4_512_done, P4_512_BLOCK)

// func pack4AVX2(dst []byte, src []byte)
// n = len(src) is a multiple of 32.
TEXT ·pack4AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	BCAST2($0x000F000F, X2, Y2)
	BCAST2($0x00F000F0, X3, Y3)
	BLOCKS(p4_2_loop, p4_2_done, P4_2_BLOCK)

// ---------------------------------------------------------------------
// 4-bit unpack: byte b -> word (b & 0xF) | ((b << 4) & 0xF00), then
// (v ^ s) - s bytewise (s = 8 sign-extends a nibble, s = 0 keeps 0..15).

// Z2 = 0x000F000F, Z3 = 0x0F000F00, Z4 = s. 32 bytes to 64.
#define U4_512_BLOCK \
	VPMOVZXBW (SI), Z0; \
	VPSLLW    $4, Z0, Z1; \
	VPANDD    Z2, Z0, Z0; \
	VPANDD    Z3, Z1, Z1; \
	VPORD     Z1, Z0, Z0; \
	VPXORD    Z4, Z0, Z0; \
	VPSUBB    Z4, Z0, Z0; \
	VMOVDQU64 Z0, (DI); \
	NEXT($32, $64, $64)

// Y2 = 0x000F000F, Y3 = 0x0F000F00, Y4 = s. 16 bytes to 32.
#define U4_2_BLOCK \
	VPMOVZXBW (SI), Y0; \
	VPSLLW    $4, Y0, Y1; \
	VPAND     Y2, Y0, Y0; \
	VPAND     Y3, Y1, Y1; \
	VPOR      Y1, Y0, Y0; \
	VPXOR     Y4, Y0, Y0; \
	VPSUBB    Y4, Y0, Y0; \
	VMOVDQU   Y0, (DI); \
	NEXT($16, $32, $32)

// func unpack4AVX512(dst []byte, src []byte, signed bool)
// n = len(dst) is a multiple of 64.
TEXT ·unpack4AVX512(SB), NOSPLIT, $0-49
	DST_SRC
	SIGNMASK($0x08080808)
	VPBROADCASTD AX, Z4
	BCAST5($0x000F000F, Z2)
	BCAST5($0x0F000F00, Z3)
	BLOCKS(u4_512_loop, u4_512_done, U4_512_BLOCK)

// func unpack4AVX2(dst []byte, src []byte, signed bool)
// n = len(dst) is a multiple of 32.
TEXT ·unpack4AVX2(SB), NOSPLIT, $0-49
	DST_SRC
	SIGNMASK($0x08080808)
	MOVD         AX, X4
	VPBROADCASTD X4, Y4
	BCAST2($0x000F000F, X2, Y2)
	BCAST2($0x0F000F00, X3, Y3)
	BLOCKS(u4_2_loop, u4_2_done, U4_2_BLOCK)

// ---------------------------------------------------------------------
// Grouped dequantization: len(zps) consecutive groups of gs elements, group
// g with zps[g] and scales[g] (per_group tensors, and per_channel slabs of
// shape[axis] runs). The blocks are those of dequant8/dequant4 above; gs
// is a multiple of the block (32 for AVX-512, 16 for AVX2).

// func dequant8GAVX512(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)
TEXT ·dequant8GAVX512(SB), NOSPLIT, $0-112
	GROUP_ARGS(zps_base+56(FP), zps_len+64(FP), scales_base+80(FP), gs+104(FP))
	SIGNMASK($0x80)
	VPBROADCASTD AX, Z3
	GROUPS(dq8g512_group, dq8g512_loop, dq8g512_done, PARAMS512, DQ8_512_BLOCK, NOP)
	VZEROUPPER
	RET

// func dequant8GAVX2(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)
TEXT ·dequant8GAVX2(SB), NOSPLIT, $0-112
	GROUP_ARGS(zps_base+56(FP), zps_len+64(FP), scales_base+80(FP), gs+104(FP))
	SIGNMASK($0x80)
	MOVD         AX, X3
	VPBROADCASTD X3, Y3
	GROUPS(dq8g2_group, dq8g2_loop, dq8g2_done, PARAMS2, DQ8_2_BLOCK, NOP)
	VZEROUPPER
	RET

// func dequant4GAVX512(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)
TEXT ·dequant4GAVX512(SB), NOSPLIT, $0-112
	GROUP_ARGS(zps_base+56(FP), zps_len+64(FP), scales_base+80(FP), gs+104(FP))
	DQ4_512_CONST
	GROUPS(dq4g512_group, dq4g512_loop, dq4g512_done, PARAMS512, DQ4_512_BLOCK, NOP)
	VZEROUPPER
	RET

// func dequant4GAVX2(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)
TEXT ·dequant4GAVX2(SB), NOSPLIT, $0-112
	GROUP_ARGS(zps_base+56(FP), zps_len+64(FP), scales_base+80(FP), gs+104(FP))
	DQ4_2_CONST
	GROUPS(dq4g2_group, dq4g2_loop, dq4g2_done, PARAMS2, DQ4_2_BLOCK, NOP)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------
// Grouped min/max and quantization: len(lo) (len(scales)) consecutive
// groups of gs elements. minMaxG folds each group's minimum and maximum
// into lo[g] and hi[g] (so per_channel slabs can accumulate) and returns
// the largest |x| bit pattern of all groups; quant8G quantizes group g with
// scales[g] and zps[g] as quant8 does.

// Group start: Z0, Z1 = +Inf (Z8), Z2, Z3 = -Inf (Z9).
#define MMG512_START \
	VMOVDQA32 Z8, Z0; \
	VMOVDQA32 Z8, Z1; \
	VMOVDQA32 Z9, Z2; \
	VMOVDQA32 Z9, Z3

#define MMG2_START \
	VMOVDQU Y8, Y0; \
	VMOVDQU Y8, Y1; \
	VMOVDQU Y9, Y2; \
	VMOVDQU Y9, Y3

// Fold lane 0 of X0 into the minimum at (R8) and of X2 into the maximum
// at (R9).
#define MINMAX_FOLD \
	VMINSS (R8), X0, X0; \
	VMAXSS (R9), X2, X2; \
	VMOVSS X0, (R8); \
	VMOVSS X2, (R9)

#define MMG512_END \
	MINMAX_Z; \
	MINMAX_FOLD

#define MMG2_END \
	MINMAX_Y; \
	MINMAX_FOLD

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
	GROUPS(mmg512_group, mmg512_loop, mmg512_done, MMG512_START, MM512_BLOCK, MMG512_END)
	AMAX_Z
	AMAX_RET

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
	GROUPS(mmg2_group, mmg2_loop, mmg2_done, MMG2_START, MM2_BLOCK, MMG2_END)
	AMAX_Y
	AMAX_RET

// func quant8GAVX512(dst []byte, src []float32, scales, zps []float32, gs int, qmin, qmax float32)
// gs is a multiple of 32.
TEXT ·quant8GAVX512(SB), NOSPLIT, $0-112
	GROUP_ARGS(scales_base+48(FP), scales_len+56(FP), zps_base+72(FP), gs+96(FP))
	VBROADCASTSS qmin+104(FP), Z6
	VBROADCASTSS qmax+108(FP), Z7
	GROUPS(q8g512_group, q8g512_loop, q8g512_done, PARAMS512, Q8_512_BLOCK, NOP)
	VZEROUPPER
	RET

// func quant8GAVX2(dst []byte, src []float32, scales, zps []float32, gs int, qmin, qmax float32)
// gs is a multiple of 16.
TEXT ·quant8GAVX2(SB), NOSPLIT, $0-112
	GROUP_ARGS(scales_base+48(FP), scales_len+56(FP), zps_base+72(FP), gs+96(FP))
	VBROADCASTSS qmin+104(FP), Y6
	VBROADCASTSS qmax+108(FP), Y7
	BCAST2($0x00FF00FF, X8, Y8)
	GROUPS(q8g2_group, q8g2_loop, q8g2_done, PARAMS2, Q8_2_BLOCK, NOP)
	VZEROUPPER
	RET
