//go:build !purego && !noasm

// SIMD kernels for arm64 (AdvSIMD/NEON, plus BFCVTN where FEAT_BF16 is
// present). Each kernel has a pure-Go twin in kernels_generic.go that
// defines its exact result; kernels_arm64.go picks the implementation at
// init.
//
// Conventions:
//   - n is len(dst) (len(src) for minMax and pack4), a multiple of the
//     block size noted per function; the Go wrapper finishes the tail with
//     the Go twin.
//   - The Go assembler lacks most AdvSIMD floating-point and narrowing
//     instructions, so they are written as WORD directives; the comment on
//     each gives the instruction (encodings from llvm-mc).
//   - FCVTL/FCVTN (half <-> single) are baseline ARMv8.0 AdvSIMD; FEAT_FP16
//     (half-precision arithmetic) is not needed for them. They and every
//     arithmetic instruction here follow FPCR, which Go leaves at its reset
//     value: round to nearest even, no flush to zero (FZ=0), NaN payloads
//     propagated (DN=0), IEEE half format (AHP=0).

#include "textflag.h"

// Loop skeletons. A block macro (…_BLOCK) loads one block from (R1) and
// stores its result at (R0), post-incrementing both; R2 counts elements.

// Run BLOCK (n elements) until R2 is zero; falls through at done.
#define BLOCKS(loop, done, n, BLOCK) \
loop: \
	CBZ R2, done; \
	BLOCK; \
	SUB n, R2, R2; \
	B   loop; \
done:

// The grouped kernels' loop over R5 groups of R7 elements (R7 > 0, a
// multiple of 16): START loads the group's parameters from (R4) and
// (R6), BLOCK (16 elements) runs over the group's elements, END finishes
// it, then R4 and R6 step to the next group. Falls through at done.
#define GROUPS(group, loop, done, START, BLOCK, END) \
group: \
	CBZ  R5, done; \
	START; \
	MOVD R7, R2; \
loop: \
	BLOCK; \
	SUBS $16, R2, R2; \
	BNE  loop; \
	END; \
	ADD  $4, R4, R4; \
	ADD  $4, R6, R6; \
	SUB  $1, R5, R5; \
	B    group; \
done:

// The grouped kernels' arguments: R0 = dst, R1 = src, R4 = the first
// parameter slice, R5 = its length (the number of groups), R6 = the second
// parameter slice, R7 = gs.
#define GROUP_ARGS(p, n, q, gs) \
	MOVD dst_base+0(FP), R0; \
	MOVD src_base+24(FP), R1; \
	MOVD p, R4; \
	MOVD n, R5; \
	MOVD q, R6; \
	MOVD gs, R7

// R0 = dst, R2 = len(dst), R1 = src of a func(dst, src []T, ...).
#define DST_SRC \
	MOVD dst_base+0(FP), R0; \
	MOVD dst_len+8(FP), R2; \
	MOVD src_base+24(FP), R1

// R3 = c if the argument signed (a bool at 48(FP)) is true, else 0.
#define SIGNMASK(c) \
	MOVBU signed+48(FP), R3; \
	NEG   R3, R3; \
	AND   c, R3, R3

// Store the lo, hi and amax results of a
// func(src []float32) (lo, hi float32, amax uint32) from S16, S18, S20.
#define MINMAX_STORE \
	FMOVS F16, lo+24(FP); \
	FMOVS F18, hi+28(FP); \
	FMOVS F20, amax+32(FP)

// Store the amax result of a grouped min/max kernel from S20.
#define AMAX_STORE \
	FMOVS F20, amax+80(FP)

// ---------------------------------------------------------------------
// float16 -> float32 (FCVTL: exact; NaNs made quiet, payload kept)

#define H2S_BLOCK \
	VLD1.P 32(R1), [V0.H8, V1.H8]; \
	WORD $0x0e217802; /* fcvtl v2.4s, v0.4h */ \
	WORD $0x4e217803; /* fcvtl2 v3.4s, v0.8h */ \
	WORD $0x0e217824; /* fcvtl v4.4s, v1.4h */ \
	WORD $0x4e217825; /* fcvtl2 v5.4s, v1.8h */ \
	VST1.P [V2.S4, V3.S4, V4.S4, V5.S4], 64(R0)

// func f16ToF32NEON(dst []float32, src []uint16)
// n is a multiple of 16.
TEXT ·f16ToF32NEON(SB), NOSPLIT, $0-48
	DST_SRC
	BLOCKS(h2s_loop, h2s_done, $16, H2S_BLOCK)
	RET

// ---------------------------------------------------------------------
// float32 -> float16 (FCVTN: round to nearest even; NaNs made quiet with
// sign and top payload bits)

#define S2H_BLOCK \
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]; \
	WORD $0x0e216804; /* fcvtn v4.4h, v0.4s */ \
	WORD $0x4e216824; /* fcvtn2 v4.8h, v1.4s */ \
	WORD $0x0e216845; /* fcvtn v5.4h, v2.4s */ \
	WORD $0x4e216865; /* fcvtn2 v5.8h, v3.4s */ \
	VST1.P [V4.H8, V5.H8], 32(R0)

// func f32ToF16NEON(dst []uint16, src []float32)
// n is a multiple of 16.
TEXT ·f32ToF16NEON(SB), NOSPLIT, $0-48
	DST_SRC
	BLOCKS(s2h_loop, s2h_done, $16, S2H_BLOCK)
	RET

// ---------------------------------------------------------------------
// bfloat16 -> float32: SHLL by 16 (the bits become the upper half)

#define B2S_BLOCK \
	VLD1.P 32(R1), [V0.H8, V1.H8]; \
	WORD $0x2e613802; /* shll v2.4s, v0.4h, #16 */ \
	WORD $0x6e613803; /* shll2 v3.4s, v0.8h, #16 */ \
	WORD $0x2e613824; /* shll v4.4s, v1.4h, #16 */ \
	WORD $0x6e613825; /* shll2 v5.4s, v1.8h, #16 */ \
	VST1.P [V2.S4, V3.S4, V4.S4, V5.S4], 64(R0)

// func bf16ToF32NEON(dst []float32, src []uint16)
// n is a multiple of 16.
TEXT ·bf16ToF32NEON(SB), NOSPLIT, $0-48
	DST_SRC
	BLOCKS(b2s_loop, b2s_done, $16, B2S_BLOCK)
	RET

// ---------------------------------------------------------------------
// float32 -> bfloat16 with integer rounding, as f32ToBF16One:
// r = (x + 0x7FFF + ((x >> 16) & 1)) >> 16; a NaN (|x| > 0x7F800000)
// gives (x >> 16) | 0x40.

// V20 = 1, V21 = 0x7FFF, V22 = 0x7FFFFFFF, V23 = 0x7F800000, V24 = 0x40.
#define S2B_BLOCK \
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]; \
	; /* rounded: V4..V7 */ \
	WORD $0x6f300404; /* ushr v4.4s, v0.4s, #16 */ \
	WORD $0x6f300425; /* ushr v5.4s, v1.4s, #16 */ \
	WORD $0x6f300446; /* ushr v6.4s, v2.4s, #16 */ \
	WORD $0x6f300467; /* ushr v7.4s, v3.4s, #16 */ \
	WORD $0x4e341c84; /* and v4.16b, v4.16b, v20.16b */ \
	WORD $0x4e341ca5; /* and v5.16b, v5.16b, v20.16b */ \
	WORD $0x4e341cc6; /* and v6.16b, v6.16b, v20.16b */ \
	WORD $0x4e341ce7; /* and v7.16b, v7.16b, v20.16b */ \
	WORD $0x4eb58484; /* add v4.4s, v4.4s, v21.4s */ \
	WORD $0x4eb584a5; /* add v5.4s, v5.4s, v21.4s */ \
	WORD $0x4eb584c6; /* add v6.4s, v6.4s, v21.4s */ \
	WORD $0x4eb584e7; /* add v7.4s, v7.4s, v21.4s */ \
	WORD $0x4ea08484; /* add v4.4s, v4.4s, v0.4s */ \
	WORD $0x4ea184a5; /* add v5.4s, v5.4s, v1.4s */ \
	WORD $0x4ea284c6; /* add v6.4s, v6.4s, v2.4s */ \
	WORD $0x4ea384e7; /* add v7.4s, v7.4s, v3.4s */ \
	WORD $0x0f108490; /* shrn v16.4h, v4.4s, #16 */ \
	WORD $0x4f1084b0; /* shrn2 v16.8h, v5.4s, #16 */ \
	WORD $0x0f1084d1; /* shrn v17.4h, v6.4s, #16 */ \
	WORD $0x4f1084f1; /* shrn2 v17.8h, v7.4s, #16 */ \
	; /* NaN results: V18, V19; masks: V8..V11 -> V12, V13 */ \
	WORD $0x0f108412; /* shrn v18.4h, v0.4s, #16 */ \
	WORD $0x4f108432; /* shrn2 v18.8h, v1.4s, #16 */ \
	WORD $0x0f108453; /* shrn v19.4h, v2.4s, #16 */ \
	WORD $0x4f108473; /* shrn2 v19.8h, v3.4s, #16 */ \
	WORD $0x4eb81e52; /* orr v18.16b, v18.16b, v24.16b */ \
	WORD $0x4eb81e73; /* orr v19.16b, v19.16b, v24.16b */ \
	WORD $0x4e361c08; /* and v8.16b, v0.16b, v22.16b */ \
	WORD $0x4e361c29; /* and v9.16b, v1.16b, v22.16b */ \
	WORD $0x4e361c4a; /* and v10.16b, v2.16b, v22.16b */ \
	WORD $0x4e361c6b; /* and v11.16b, v3.16b, v22.16b */ \
	WORD $0x6eb73508; /* cmhi v8.4s, v8.4s, v23.4s */ \
	WORD $0x6eb73529; /* cmhi v9.4s, v9.4s, v23.4s */ \
	WORD $0x6eb7354a; /* cmhi v10.4s, v10.4s, v23.4s */ \
	WORD $0x6eb7356b; /* cmhi v11.4s, v11.4s, v23.4s */ \
	WORD $0x0e61290c; /* xtn v12.4h, v8.4s */ \
	WORD $0x4e61292c; /* xtn2 v12.8h, v9.4s */ \
	WORD $0x0e61294d; /* xtn v13.4h, v10.4s */ \
	WORD $0x4e61296d; /* xtn2 v13.8h, v11.4s */ \
	WORD $0x6eac1e50; /* bit v16.16b, v18.16b, v12.16b */ \
	WORD $0x6ead1e71; /* bit v17.16b, v19.16b, v13.16b */ \
	VST1.P [V16.H8, V17.H8], 32(R0)

// func f32ToBF16NEON(dst []uint16, src []float32)
// n is a multiple of 16.
TEXT ·f32ToBF16NEON(SB), NOSPLIT, $0-48
	DST_SRC
	MOVW $1, R3
	WORD $0x4e040c74 // dup v20.4s, w3
	MOVW $0x7FFF, R3
	WORD $0x4e040c75 // dup v21.4s, w3
	MOVW $0x7FFFFFFF, R3
	WORD $0x4e040c76 // dup v22.4s, w3
	MOVW $0x7F800000, R3
	WORD $0x4e040c77 // dup v23.4s, w3
	MOVW $0x40, R3
	WORD $0x4e020c78 // dup v24.8h, w3
	BLOCKS(s2b_loop, s2b_done, $16, S2B_BLOCK)
	RET

#define S2BB_BLOCK \
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]; \
	WORD $0x0ea16804; /* bfcvtn v4.4h, v0.4s */ \
	WORD $0x4ea16824; /* bfcvtn2 v4.8h, v1.4s */ \
	WORD $0x0ea16845; /* bfcvtn v5.4h, v2.4s */ \
	WORD $0x4ea16865; /* bfcvtn2 v5.8h, v3.4s */ \
	VST1.P [V4.H8, V5.H8], 32(R0)

// func f32ToBF16BF16(dst []uint16, src []float32)
// BFCVTN (FEAT_BF16): round to nearest even per FPCR, no flush (FZ=0),
// NaNs made quiet keeping sign and top payload bits: the same results as
// f32ToBF16NEON.
// n is a multiple of 16.
TEXT ·f32ToBF16BF16(SB), NOSPLIT, $0-48
	DST_SRC
	BLOCKS(s2bb_loop, s2bb_done, $16, S2BB_BLOCK)
	RET

// ---------------------------------------------------------------------
// dequantize 8-bit: (float32(q) - zp) * scale. Bytes are widened to 16
// bits, then (v ^ s) - s with s = 0x80 (qint8) or 0 (quint8) gives the
// signed value, then sign-extended to 32 bits.

// The dequantization blocks: V26 = s, V27 = zp, V28 = scale. DQ_FINISH
// sign-extends the int16 lanes of V1, V2 to V4..V7, computes
// (float32(v) - zp) * scale and stores the 16 floats.
#define DQ_FINISH \
	WORD $0x0f10a424; /* sxtl v4.4s, v1.4h */ \
	WORD $0x4f10a425; /* sxtl2 v5.4s, v1.8h */ \
	WORD $0x0f10a446; /* sxtl v6.4s, v2.4h */ \
	WORD $0x4f10a447; /* sxtl2 v7.4s, v2.8h */ \
	WORD $0x4e21d884; /* scvtf v4.4s, v4.4s */ \
	WORD $0x4e21d8a5; /* scvtf v5.4s, v5.4s */ \
	WORD $0x4e21d8c6; /* scvtf v6.4s, v6.4s */ \
	WORD $0x4e21d8e7; /* scvtf v7.4s, v7.4s */ \
	WORD $0x4ebbd484; /* fsub v4.4s, v4.4s, v27.4s */ \
	WORD $0x4ebbd4a5; /* fsub v5.4s, v5.4s, v27.4s */ \
	WORD $0x4ebbd4c6; /* fsub v6.4s, v6.4s, v27.4s */ \
	WORD $0x4ebbd4e7; /* fsub v7.4s, v7.4s, v27.4s */ \
	WORD $0x6e3cdc84; /* fmul v4.4s, v4.4s, v28.4s */ \
	WORD $0x6e3cdca5; /* fmul v5.4s, v5.4s, v28.4s */ \
	WORD $0x6e3cdcc6; /* fmul v6.4s, v6.4s, v28.4s */ \
	WORD $0x6e3cdce7; /* fmul v7.4s, v7.4s, v28.4s */ \
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)

// The dequantization parameters zp and scale: V27, V28 = a, b.
#define DQ_PARAMS(a, b) \
	FMOVS a, F27; \
	FMOVS b, F28; \
	WORD  $0x4e04077b; /* dup v27.4s, v27.s[0] */ \
	WORD  $0x4e04079c /* dup v28.4s, v28.s[0] */

#define DQG_PARAMS DQ_PARAMS((R4), (R6))

// V26 = s for dequant8.
#define DQ8_CONST \
	SIGNMASK($0x80); \
	WORD $0x4e020c7a /* dup v26.8h, w3 */

// 16 bytes to 16 floats.
#define DQ8_BLOCK \
	VLD1.P 16(R1), [V0.B16]; \
	WORD $0x2f08a401; /* uxtl v1.8h, v0.8b */ \
	WORD $0x6f08a402; /* uxtl2 v2.8h, v0.16b */ \
	WORD $0x6e3a1c21; /* eor v1.16b, v1.16b, v26.16b */ \
	WORD $0x6e3a1c42; /* eor v2.16b, v2.16b, v26.16b */ \
	WORD $0x6e7a8421; /* sub v1.8h, v1.8h, v26.8h */ \
	WORD $0x6e7a8442; /* sub v2.8h, v2.8h, v26.8h */ \
	DQ_FINISH

// func dequant8NEON(dst []float32, src []byte, signed bool, zp, scale float32)
// n is a multiple of 16.
TEXT ·dequant8NEON(SB), NOSPLIT, $0-60
	DST_SRC
	DQ8_CONST
	DQ_PARAMS(zp+52(FP), scale+56(FP))
	BLOCKS(dq8_loop, dq8_done, $16, DQ8_BLOCK)
	RET

// ---------------------------------------------------------------------
// dequantize 4-bit: the low and high nibbles of 8 bytes are interleaved
// (ZIP1) into 16 bytes in element order, (v ^ s) - s with s = 8 (qint4)
// or 0 (quint4), sign-extended to 32 bits, then (v - zp) * scale.

// V26 = s, V25 = 0x0F (bytes) for dequant4 and unpack4.
#define NIB_CONST \
	SIGNMASK($0x08); \
	WORD $0x4e010c7a; /* dup v26.16b, w3 */ \
	MOVW $0x0F, R3; \
	WORD $0x4e010c79 /* dup v25.16b, w3 */

// 8 bytes to 16 floats.
#define DQ4_BLOCK \
	VLD1.P 8(R1), [V0.B8]; \
	WORD $0x0e391c01; /* and v1.8b, v0.8b, v25.8b */ \
	WORD $0x2f0c0402; /* ushr v2.8b, v0.8b, #4 */ \
	WORD $0x4e023823; /* zip1 v3.16b, v1.16b, v2.16b */ \
	WORD $0x6e3a1c63; /* eor v3.16b, v3.16b, v26.16b */ \
	WORD $0x6e3a8463; /* sub v3.16b, v3.16b, v26.16b */ \
	WORD $0x0f08a461; /* sxtl v1.8h, v3.8b */ \
	WORD $0x4f08a462; /* sxtl2 v2.8h, v3.16b */ \
	DQ_FINISH

// func dequant4NEON(dst []float32, src []byte, signed bool, zp, scale float32)
// n is a multiple of 16.
TEXT ·dequant4NEON(SB), NOSPLIT, $0-60
	DST_SRC
	NIB_CONST
	DQ_PARAMS(zp+52(FP), scale+56(FP))
	BLOCKS(dq4_loop, dq4_done, $16, DQ4_BLOCK)
	RET

// ---------------------------------------------------------------------
// min/max scan: float minimum and maximum, and the largest |x| bit
// pattern (amax >= 0x7F800000 means a NaN or infinity was seen). Empty
// input gives +Inf, -Inf, 0.

// V16, V17 = minima, V18, V19 = maxima, V20, V21 = largest |x| bits,
// V22 = 0x7FFFFFFF. 16 floats; clobbers V0..V3.
#define MM_BLOCK \
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]; \
	WORD $0x4ea0f610; /* fmin v16.4s, v16.4s, v0.4s */ \
	WORD $0x4ea1f631; /* fmin v17.4s, v17.4s, v1.4s */ \
	WORD $0x4e20f652; /* fmax v18.4s, v18.4s, v0.4s */ \
	WORD $0x4e21f673; /* fmax v19.4s, v19.4s, v1.4s */ \
	WORD $0x4ea2f610; /* fmin v16.4s, v16.4s, v2.4s */ \
	WORD $0x4ea3f631; /* fmin v17.4s, v17.4s, v3.4s */ \
	WORD $0x4e22f652; /* fmax v18.4s, v18.4s, v2.4s */ \
	WORD $0x4e23f673; /* fmax v19.4s, v19.4s, v3.4s */ \
	WORD $0x4e361c00; /* and v0.16b, v0.16b, v22.16b */ \
	WORD $0x4e361c21; /* and v1.16b, v1.16b, v22.16b */ \
	WORD $0x4e361c42; /* and v2.16b, v2.16b, v22.16b */ \
	WORD $0x4e361c63; /* and v3.16b, v3.16b, v22.16b */ \
	WORD $0x6ea06694; /* umax v20.4s, v20.4s, v0.4s */ \
	WORD $0x6ea166b5; /* umax v21.4s, v21.4s, v1.4s */ \
	WORD $0x6ea26694; /* umax v20.4s, v20.4s, v2.4s */ \
	WORD $0x6ea366b5 /* umax v21.4s, v21.4s, v3.4s */

// V20, V21 = 0, V22 = 0x7FFFFFFF.
#define MM_CONST \
	WORD $0x6f00e414; /* movi v20.2d, #0 */ \
	WORD $0x6f00e415; /* movi v21.2d, #0 */ \
	MOVW $0x7FFFFFFF, R3; \
	WORD $0x4e040c76 /* dup v22.4s, w3 */

// Reduce V16, V17 to their minimum in S16 and V18, V19 to their maximum
// in S18.
#define MINMAX_V \
	WORD $0x4eb1f610; /* fmin v16.4s, v16.4s, v17.4s */ \
	WORD $0x4e33f652; /* fmax v18.4s, v18.4s, v19.4s */ \
	WORD $0x6eb0fa10; /* fminv s16, v16.4s */ \
	WORD $0x6e30fa52 /* fmaxv s18, v18.4s */

// Reduce the unsigned maxima V20, V21 to S20.
#define AMAX_V \
	WORD $0x6eb56694; /* umax v20.4s, v20.4s, v21.4s */ \
	WORD $0x6eb0aa94 /* umaxv s20, v20.4s */

// func minMaxNEON(src []float32) (lo, hi float32, amax uint32)
// n is a multiple of 16.
TEXT ·minMaxNEON(SB), NOSPLIT, $0-36
	MOVD src_base+0(FP), R1
	MOVD src_len+8(FP), R2
	MOVW $0x7F800000, R3
	WORD $0x4e040c70 // dup v16.4s, w3
	WORD $0x4eb01e11 // mov v17.16b, v16.16b
	MOVW $0xFF800000, R3
	WORD $0x4e040c72 // dup v18.4s, w3
	WORD $0x4eb21e53 // mov v19.16b, v18.16b
	MM_CONST
	BLOCKS(mm_loop, mm_reduce, $16, MM_BLOCK)
	MINMAX_V
	AMAX_V
	MINMAX_STORE
	RET

// ---------------------------------------------------------------------
// quantize: v = f32(f32(x / scale) + zp); v = maxNum(v, qmin) (FMAXNM
// returns qmin when v is a quiet NaN); v = minNum(v, qmax); FCVTNS rounds
// to nearest with ties to even; XTN keeps the low byte.

// V24 = scale, V25 = zp, V26 = qmin, V27 = qmax. 16 floats to 16 bytes.
#define Q8_BLOCK \
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]; \
	WORD $0x6e38fc00; /* fdiv v0.4s, v0.4s, v24.4s */ \
	WORD $0x6e38fc21; /* fdiv v1.4s, v1.4s, v24.4s */ \
	WORD $0x6e38fc42; /* fdiv v2.4s, v2.4s, v24.4s */ \
	WORD $0x6e38fc63; /* fdiv v3.4s, v3.4s, v24.4s */ \
	WORD $0x4e39d400; /* fadd v0.4s, v0.4s, v25.4s */ \
	WORD $0x4e39d421; /* fadd v1.4s, v1.4s, v25.4s */ \
	WORD $0x4e39d442; /* fadd v2.4s, v2.4s, v25.4s */ \
	WORD $0x4e39d463; /* fadd v3.4s, v3.4s, v25.4s */ \
	WORD $0x4e3ac400; /* fmaxnm v0.4s, v0.4s, v26.4s */ \
	WORD $0x4e3ac421; /* fmaxnm v1.4s, v1.4s, v26.4s */ \
	WORD $0x4e3ac442; /* fmaxnm v2.4s, v2.4s, v26.4s */ \
	WORD $0x4e3ac463; /* fmaxnm v3.4s, v3.4s, v26.4s */ \
	WORD $0x4ebbc400; /* fminnm v0.4s, v0.4s, v27.4s */ \
	WORD $0x4ebbc421; /* fminnm v1.4s, v1.4s, v27.4s */ \
	WORD $0x4ebbc442; /* fminnm v2.4s, v2.4s, v27.4s */ \
	WORD $0x4ebbc463; /* fminnm v3.4s, v3.4s, v27.4s */ \
	WORD $0x4e21a800; /* fcvtns v0.4s, v0.4s */ \
	WORD $0x4e21a821; /* fcvtns v1.4s, v1.4s */ \
	WORD $0x4e21a842; /* fcvtns v2.4s, v2.4s */ \
	WORD $0x4e21a863; /* fcvtns v3.4s, v3.4s */ \
	WORD $0x0e612804; /* xtn v4.4h, v0.4s */ \
	WORD $0x4e612824; /* xtn2 v4.8h, v1.4s */ \
	WORD $0x0e612845; /* xtn v5.4h, v2.4s */ \
	WORD $0x4e612865; /* xtn2 v5.8h, v3.4s */ \
	WORD $0x0e212886; /* xtn v6.8b, v4.8h */ \
	WORD $0x4e2128a6; /* xtn2 v6.16b, v5.8h */ \
	VST1.P [V6.B16], 16(R0)

// The quantization parameters scale and zp: V24, V25 = a, b.
#define Q8_PARAMS(a, b) \
	FMOVS a, F24; \
	FMOVS b, F25; \
	WORD  $0x4e040718; /* dup v24.4s, v24.s[0] */ \
	WORD  $0x4e040739 /* dup v25.4s, v25.s[0] */

#define Q8G_PARAMS Q8_PARAMS((R4), (R6))

// The clamp bounds: V26, V27 = qmin, qmax.
#define Q8_BOUNDS(qmin, qmax) \
	FMOVS qmin, F26; \
	FMOVS qmax, F27; \
	WORD  $0x4e04075a; /* dup v26.4s, v26.s[0] */ \
	WORD  $0x4e04077b /* dup v27.4s, v27.s[0] */

// func quant8NEON(dst []byte, src []float32, scale, zp, qmin, qmax float32)
// n is a multiple of 16.
TEXT ·quant8NEON(SB), NOSPLIT, $0-64
	DST_SRC
	Q8_PARAMS(scale+48(FP), zp+52(FP))
	Q8_BOUNDS(qmin+56(FP), qmax+60(FP))
	BLOCKS(q8_loop, q8_done, $16, Q8_BLOCK)
	RET

// ---------------------------------------------------------------------
// 4-bit pack: UZP1/UZP2 split even and odd elements, SLI puts the odd
// ones in the high nibbles above the even ones' low nibbles.

// 32 bytes to 16.
#define P4_BLOCK \
	VLD1.P 32(R1), [V0.B16, V1.B16]; \
	WORD $0x4e011802; /* uzp1 v2.16b, v0.16b, v1.16b */ \
	WORD $0x4e015803; /* uzp2 v3.16b, v0.16b, v1.16b */ \
	WORD $0x6f0c5462; /* sli v2.16b, v3.16b, #4 */ \
	VST1.P [V2.B16], 16(R0)

// func pack4NEON(dst []byte, src []byte)
// n = len(src) is a multiple of 32.
TEXT ·pack4NEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	BLOCKS(p4_loop, p4_done, $32, P4_BLOCK)
	RET

// ---------------------------------------------------------------------
// 4-bit unpack: nibbles interleaved with ZIP1/ZIP2, then (v ^ s) - s with
// s = 8 (sign-extend, qint4) or 0 (quint4).

// V26 = s, V25 = 0x0F. 16 bytes to 32.
#define U4_BLOCK \
	VLD1.P 16(R1), [V0.B16]; \
	WORD $0x4e391c01; /* and v1.16b, v0.16b, v25.16b */ \
	WORD $0x6f0c0402; /* ushr v2.16b, v0.16b, #4 */ \
	WORD $0x4e023823; /* zip1 v3.16b, v1.16b, v2.16b */ \
	WORD $0x4e027824; /* zip2 v4.16b, v1.16b, v2.16b */ \
	WORD $0x6e3a1c63; /* eor v3.16b, v3.16b, v26.16b */ \
	WORD $0x6e3a1c84; /* eor v4.16b, v4.16b, v26.16b */ \
	WORD $0x6e3a8463; /* sub v3.16b, v3.16b, v26.16b */ \
	WORD $0x6e3a8484; /* sub v4.16b, v4.16b, v26.16b */ \
	VST1.P [V3.B16, V4.B16], 32(R0)

// func unpack4NEON(dst []byte, src []byte, signed bool)
// n = len(dst) is a multiple of 32.
TEXT ·unpack4NEON(SB), NOSPLIT, $0-49
	DST_SRC
	NIB_CONST
	BLOCKS(u4_loop, u4_done, $32, U4_BLOCK)
	RET

// ---------------------------------------------------------------------
// Grouped dequantization: len(zps) consecutive groups of gs elements, group
// g with zps[g] and scales[g] (per_group tensors, and per_channel slabs of
// shape[axis] runs). The blocks are those of dequant8NEON and
// dequant4NEON; gs is a multiple of 16.

// func dequant8GNEON(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)
TEXT ·dequant8GNEON(SB), NOSPLIT, $0-112
	GROUP_ARGS(zps_base+56(FP), zps_len+64(FP), scales_base+80(FP), gs+104(FP))
	DQ8_CONST
	GROUPS(dq8g_group, dq8g_loop, dq8g_done, DQG_PARAMS, DQ8_BLOCK, NOP)
	RET

// func dequant4GNEON(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)
TEXT ·dequant4GNEON(SB), NOSPLIT, $0-112
	GROUP_ARGS(zps_base+56(FP), zps_len+64(FP), scales_base+80(FP), gs+104(FP))
	NIB_CONST
	GROUPS(dq4g_group, dq4g_loop, dq4g_done, DQG_PARAMS, DQ4_BLOCK, NOP)
	RET

// ---------------------------------------------------------------------
// Grouped min/max and quantization: len(lo) (len(scales)) consecutive
// groups of gs elements (a multiple of 16). minMaxGNEON folds each group's
// minimum and maximum into lo[g] and hi[g] and returns the largest |x| bit
// pattern; quant8GNEON quantizes group g with scales[g] and zps[g] as
// quant8NEON does.

// Group start: V16, V17 = +Inf (V24), V18, V19 = -Inf (V25).
#define MMG_START \
	WORD $0x4eb81f10; /* mov v16.16b, v24.16b */ \
	WORD $0x4eb81f11; /* mov v17.16b, v24.16b */ \
	WORD $0x4eb91f32; /* mov v18.16b, v25.16b */ \
	WORD $0x4eb91f33 /* mov v19.16b, v25.16b */

// Group end: fold the group's minimum into (R4), its maximum into (R6).
#define MMG_END \
	MINMAX_V; \
	FMOVS (R4), F1; \
	FMOVS (R6), F2; \
	WORD  $0x1e215a10; /* fmin s16, s16, s1 */ \
	WORD  $0x1e224a52; /* fmax s18, s18, s2 */ \
	FMOVS F16, (R4); \
	FMOVS F18, (R6)

// func minMaxGNEON(src []float32, gs int, lo, hi []float32) (amax uint32)
TEXT ·minMaxGNEON(SB), NOSPLIT, $0-84
	MOVD src_base+0(FP), R1
	MOVD gs+24(FP), R7
	MOVD lo_base+32(FP), R4
	MOVD lo_len+40(FP), R5
	MOVD hi_base+56(FP), R6
	MOVW $0x7F800000, R3
	WORD $0x4e040c78 // dup v24.4s, w3
	MOVW $0xFF800000, R3
	WORD $0x4e040c79 // dup v25.4s, w3
	MM_CONST
	GROUPS(mmg_group, mmg_loop, mmg_done, MMG_START, MM_BLOCK, MMG_END)
	AMAX_V
	AMAX_STORE
	RET

// func quant8GNEON(dst []byte, src []float32, scales, zps []float32, gs int, qmin, qmax float32)
TEXT ·quant8GNEON(SB), NOSPLIT, $0-112
	GROUP_ARGS(scales_base+48(FP), scales_len+56(FP), zps_base+72(FP), gs+96(FP))
	Q8_BOUNDS(qmin+104(FP), qmax+108(FP))
	GROUPS(q8g_group, q8g_loop, q8g_done, Q8G_PARAMS, Q8_BLOCK, NOP)
	RET
