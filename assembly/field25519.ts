/**
 * Arithmetic in GF(p), p = 2^255 - 19 (RFC 7748 §4.1), two elements at a time with WASM SIMD.
 *
 * Representation. An element is 12 limbs in radix 2^21.25 held as f64: limb i carries the weight
 * 2^off(i), off = 0, 22, 43, 64, 85, 107, 128, 149, 170, 192, 213, 234 (off(i) = ceil(21.25 i)), and its value
 * is an integer multiple of that weight: limb i = u_i * 2^off(i) with u_i an integer. Keeping the weight in the
 * double (as in Bernstein's original floating-point curve25519) makes every product f_i * g_j land on the weight
 * of its column i + j with no rescaling; 2^255 = 19 (mod p) folds columns >= 12 back with the factor 19 * 2^-255.
 *
 * An FE2 is a pair of elements, stored as 12 v128 (192 bytes): v128 number i holds limb i of element 0 (lane 0)
 * and of element 1 (lane 1). Every instruction works on both elements at once, and the X25519 ladder and the
 * Edwards formulas always have two independent multiplications to pair. Measured on x86-64 with V8 (Node 20):
 * a 10-limb integer multiplication (100 i64 products, ref10 style) takes 38-43 ns, an FE2 multiplication
 * (2 x 144 f64 products) 45 ns for both elements; i64x2.extmul costs V8 three instructions (two unpacks and
 * pmuludq) per two products, so an integer SIMD pair multiplication would be no faster than two scalar ones.
 *
 * A lone element (the final inversion: 254 squarings in a row) uses ref10's 10-limb integer representation
 * instead (FE1, at the end of this file), where a squaring takes 20 ns against 36 ns for an FE2 squaring.
 *
 * Exactness (the reason this is correct and not approximate). Doubles represent every integer below 2^53
 * exactly, so each product and sum here is exact while it stays below 2^53 units of its column weight.
 * "Carried" limbs satisfy |u_i| <= 2^(w_i - 1) + 2^15, w_i = off(i+1) - off(i) (22 or 21 bits). For inputs
 * of at most twice that (a sum or difference of two carried elements, or a decoded input < 2^w_i), every
 * column of a product stays below 2^51 units; with three or four times it, below 2^52.2 and 2^53.
 * test/x25519-field-bounds.test.ts re-derives these bounds for every operation sequence that x25519.ts
 * performs. Carrying rounds a column to a multiple of the next limb's weight with the rounding constant
 * 3 * 2^(51 + off(i+1)) ((x + c) - c is x rounded to that multiple, exactly, for |x| < 2^(51 + off(i+1))).
 *
 * Constant time (RFC 7748 §5, §7). No branch, loop bound or memory address depends on limb values. The
 * f64 add, sub and mul instructions take the same time for every operand on x86-64 and ARMv8 except
 * subnormals, and none can occur: every non-zero value is an integer multiple of 2^-255 * 19 or larger.
 * WASM fixes round-to-nearest-even and forbids fused multiply-add, so results are identical on every engine.
 *
 * Scratch buffers hold secret-derived data; callers wipe them with `fieldWipe()` before returning to the host.
 */
import { FE1_BYTES, fe1FromBytes, fe1Invert, fe1Mul, fe1ToBytes, fe1Wipe } from './field25519-int';

/** Bytes in an FE2 (12 limbs x 2 lanes x 8 bytes). */
export const FE2_BYTES: i32 = 192;

/** Limb offsets off(0..12) in bits, off(i) = ceil(21.25 i). */
export const LIMB_OFFSETS: usize = memory.data<u8>([0, 22, 43, 64, 85, 107, 128, 149, 170, 192, 213, 234, 255]);

/**
 * Constants as f64 pairs (bit patterns): the rounding constant of each limb, the fold factor,
 * and the per-lane constants of the split layout used by `feMulSplit`.
 */
const FIELD_CONSTANTS: usize = memory.data<u64>([
  0x4498000000000000, 0x4498000000000000, // round 0: 3 * 2^73
  0x45e8000000000000, 0x45e8000000000000, // round 1: 3 * 2^94
  0x4738000000000000, 0x4738000000000000, // round 2: 3 * 2^115
  0x4888000000000000, 0x4888000000000000, // round 3: 3 * 2^136
  0x49e8000000000000, 0x49e8000000000000, // round 4: 3 * 2^158
  0x4b38000000000000, 0x4b38000000000000, // round 5: 3 * 2^179
  0x4c88000000000000, 0x4c88000000000000, // round 6: 3 * 2^200
  0x4dd8000000000000, 0x4dd8000000000000, // round 7: 3 * 2^221
  0x4f38000000000000, 0x4f38000000000000, // round 8: 3 * 2^243
  0x5088000000000000, 0x5088000000000000, // round 9: 3 * 2^264
  0x51d8000000000000, 0x51d8000000000000, // round 10: 3 * 2^285
  0x5328000000000000, 0x5328000000000000, // round 11: 3 * 2^306
  0x3043000000000000, 0x3043000000000000, // fold (WRAP_AT): 19 * 2^-255
  0x4498000000000000, 0x4c88000000000000, // split round 0 | 6 (SPLIT_ROUND_AT): 3 * 2^73 | 3 * 2^200
  0x45e8000000000000, 0x4dd8000000000000, // split round 1 | 7: 3 * 2^94 | 3 * 2^221
  0x4738000000000000, 0x4f38000000000000, // split round 2 | 8: 3 * 2^115 | 3 * 2^243
  0x4888000000000000, 0x5088000000000000, // split round 3 | 9: 3 * 2^136 | 3 * 2^264
  0x49e8000000000000, 0x51d8000000000000, // split round 4 | 10: 3 * 2^158 | 3 * 2^285
  0x4b38000000000000, 0x5328000000000000, // split round 5 | 11: 3 * 2^179 | 3 * 2^306
  0x3043000000000000, 0x3ff0000000000000, // split fold (SPLIT_WRAP_AT): 19 * 2^-255 | 1
], 16);
/** Byte offsets into FIELD_CONSTANTS. */
const WRAP_AT: i32 = 192;
/** Rounding constant of limb k at ROUNDING + 16 k (both lanes); the fold factor 19 * 2^-255 at FOLD. */
export const ROUNDING: usize = FIELD_CONSTANTS;
export const FOLD: usize = FIELD_CONSTANTS + <usize>WRAP_AT;
const SPLIT_ROUND_AT: i32 = 208;
const SPLIT_WRAP_AT: i32 = 304;

/** Column accumulators (secret-derived). */
const COLS: usize = memory.data(192, 16);
/** Operand premultiplied by 19 * 2^-255 for the folded columns (secret-derived). */
const WG: usize = memory.data(192, 16);

// @ts-ignore: decorator
@inline function mul(a: v128, b: v128): v128 { return f64x2.mul(a, b); }
// @ts-ignore: decorator
@inline function add(a: v128, b: v128): v128 { return f64x2.add(a, b); }
/** Lane 1 copied to both lanes. */
// @ts-ignore: decorator
@inline function lane1(a: v128): v128 { return i64x2.shuffle(a, a, 1, 1); }

/**
 * o = h with every column carried into the next limb: 4 interleaved chains (0, 3, 6, 9 first), 16 carries.
 * Input columns must be below 2^(51 + w_i) units (every product column is below 2^53); output limbs are carried.
 * `o` may equal `h`.
 */
export function fe2Carry(o: usize, h: usize): void {
  carryThen(o, h, 0, CARRY_STORE);
}

/** What carryThen does with the carried limbs w_i. */
const CARRY_STORE = 0;
/** o_i = (w_i lane 1 + w_i lane 0, w_i lane 1 - w_i lane 0): the sum and difference of the two elements. */
const CARRY_SUM_DIFF = 1;
/** o_i = (w_i lane 0, E_i) with E = lane 0 - lane 1, o2_i = (lane 1, lane 0 + a24 E) after one round of carries. */
const CARRY_A24 = 2;

/**
 * The carry chain of fe2Carry, then, for `mode` (a compile-time constant, public), the carried limbs stored
 * as they are or first combined lane-wise, so that the ladder's linear steps need no second pass over memory.
 */
// @ts-ignore: decorator
@inline function carryThen(o: usize, h: usize, o2: usize, mode: i32): void {
  let c: v128;
  let h0 = v128.load(h, 0);
  let h1 = v128.load(h, 16);
  let h2 = v128.load(h, 32);
  let h3 = v128.load(h, 48);
  let h4 = v128.load(h, 64);
  let h5 = v128.load(h, 80);
  let h6 = v128.load(h, 96);
  let h7 = v128.load(h, 112);
  let h8 = v128.load(h, 128);
  let h9 = v128.load(h, 144);
  let h10 = v128.load(h, 160);
  let h11 = v128.load(h, 176);
  // round 1: 0->1, 3->4, 6->7, 9->10
  c = f64x2.sub(add(h0, v128.load(FIELD_CONSTANTS, 0)), v128.load(FIELD_CONSTANTS, 0)); h0 = f64x2.sub(h0, c); h1 = add(h1, c);
  c = f64x2.sub(add(h3, v128.load(FIELD_CONSTANTS, 48)), v128.load(FIELD_CONSTANTS, 48)); h3 = f64x2.sub(h3, c); h4 = add(h4, c);
  c = f64x2.sub(add(h6, v128.load(FIELD_CONSTANTS, 96)), v128.load(FIELD_CONSTANTS, 96)); h6 = f64x2.sub(h6, c); h7 = add(h7, c);
  c = f64x2.sub(add(h9, v128.load(FIELD_CONSTANTS, 144)), v128.load(FIELD_CONSTANTS, 144)); h9 = f64x2.sub(h9, c); h10 = add(h10, c);
  // round 2: 1->2, 4->5, 7->8, 10->11
  c = f64x2.sub(add(h1, v128.load(FIELD_CONSTANTS, 16)), v128.load(FIELD_CONSTANTS, 16)); h1 = f64x2.sub(h1, c); h2 = add(h2, c);
  c = f64x2.sub(add(h4, v128.load(FIELD_CONSTANTS, 64)), v128.load(FIELD_CONSTANTS, 64)); h4 = f64x2.sub(h4, c); h5 = add(h5, c);
  c = f64x2.sub(add(h7, v128.load(FIELD_CONSTANTS, 112)), v128.load(FIELD_CONSTANTS, 112)); h7 = f64x2.sub(h7, c); h8 = add(h8, c);
  c = f64x2.sub(add(h10, v128.load(FIELD_CONSTANTS, 160)), v128.load(FIELD_CONSTANTS, 160)); h10 = f64x2.sub(h10, c); h11 = add(h11, c);
  // round 3: 2->3, 5->6, 8->9, 11->0
  c = f64x2.sub(add(h2, v128.load(FIELD_CONSTANTS, 32)), v128.load(FIELD_CONSTANTS, 32)); h2 = f64x2.sub(h2, c); h3 = add(h3, c);
  c = f64x2.sub(add(h5, v128.load(FIELD_CONSTANTS, 80)), v128.load(FIELD_CONSTANTS, 80)); h5 = f64x2.sub(h5, c); h6 = add(h6, c);
  c = f64x2.sub(add(h8, v128.load(FIELD_CONSTANTS, 128)), v128.load(FIELD_CONSTANTS, 128)); h8 = f64x2.sub(h8, c); h9 = add(h9, c);
  c = f64x2.sub(add(h11, v128.load(FIELD_CONSTANTS, 176)), v128.load(FIELD_CONSTANTS, 176)); h11 = f64x2.sub(h11, c); h0 = add(h0, mul(c, v128.load(FIELD_CONSTANTS, WRAP_AT)));
  // round 4: 3->4, 6->7, 9->10, 0->1
  c = f64x2.sub(add(h3, v128.load(FIELD_CONSTANTS, 48)), v128.load(FIELD_CONSTANTS, 48)); h3 = f64x2.sub(h3, c); h4 = add(h4, c);
  c = f64x2.sub(add(h6, v128.load(FIELD_CONSTANTS, 96)), v128.load(FIELD_CONSTANTS, 96)); h6 = f64x2.sub(h6, c); h7 = add(h7, c);
  c = f64x2.sub(add(h9, v128.load(FIELD_CONSTANTS, 144)), v128.load(FIELD_CONSTANTS, 144)); h9 = f64x2.sub(h9, c); h10 = add(h10, c);
  c = f64x2.sub(add(h0, v128.load(FIELD_CONSTANTS, 0)), v128.load(FIELD_CONSTANTS, 0)); h0 = f64x2.sub(h0, c); h1 = add(h1, c);
  if (mode != CARRY_A24) {
    v128.store(o, limbOut(h0, mode), 0);
    v128.store(o, limbOut(h1, mode), 16);
    v128.store(o, limbOut(h2, mode), 32);
    v128.store(o, limbOut(h3, mode), 48);
    v128.store(o, limbOut(h4, mode), 64);
    v128.store(o, limbOut(h5, mode), 80);
    v128.store(o, limbOut(h6, mode), 96);
    v128.store(o, limbOut(h7, mode), 112);
    v128.store(o, limbOut(h8, mode), 128);
    v128.store(o, limbOut(h9, mode), 144);
    v128.store(o, limbOut(h10, mode), 160);
    v128.store(o, limbOut(h11, mode), 176);
  } else {
    // a24 E is 2^17 times larger than a carried element: one round of carries (every limb at once, from the
    // values before the round) brings it back under ~2x carried; limb 11's carry folds into limb 0.
    c = a24Limb(o, o2, 0, h0, i64x2.splat(0));
    c = a24Limb(o, o2, 16, h1, c);
    c = a24Limb(o, o2, 32, h2, c);
    c = a24Limb(o, o2, 48, h3, c);
    c = a24Limb(o, o2, 64, h4, c);
    c = a24Limb(o, o2, 80, h5, c);
    c = a24Limb(o, o2, 96, h6, c);
    c = a24Limb(o, o2, 112, h7, c);
    c = a24Limb(o, o2, 128, h8, c);
    c = a24Limb(o, o2, 144, h9, c);
    c = a24Limb(o, o2, 160, h10, c);
    c = a24Limb(o, o2, 176, h11, c);
    v128.store(o2, add(v128.load(o2), mul(c, v128.load(FIELD_CONSTANTS, WRAP_AT))));
  }
}

/** (CB, DA) + (DA, CB) * (1, -1) = (DA + CB, DA - CB) for a limb w = (DA, CB). */
const PLUS_MINUS: v128 = f64x2(1.0, -1.0);
// @ts-ignore: decorator
@inline function limbOut(w: v128, mode: i32): v128 {
  return mode == CARRY_SUM_DIFF ? add(i64x2.shuffle(w, w, 1, 0), mul(w, PLUS_MINUS)) : w;
}

/** a24 = (486662 - 2) / 4 = 121665, RFC 7748 §5; as (0, -a24) so that lane 1 of o2 gets AA + a24 E. */
const NEG_A24: v128 = f64x2(0.0, -121665.0);

/**
 * Limb `at` (byte offset) of the CARRY_A24 outputs from r = (AA_i, BB_i): o = (AA_i, E_i), o2 = (BB_i, v_i - c_i +
 * carryIn) with v = AA + a24 E and c_i its rounded part for the next limb; returns c_i.
 */
// @ts-ignore: decorator
@inline function a24Limb(o: usize, o2: usize, at: usize, r: v128, carryIn: v128): v128 {
  const s = i64x2.shuffle(r, r, 1, 0);
  const e = f64x2.sub(r, s); // (E, -E)
  v128.store(o + at, i64x2.shuffle(r, e, 0, 2));
  const v = add(s, mul(e, NEG_A24));
  const round = v128.load(FIELD_CONSTANTS + at);
  const c = f64x2.sub(add(v, round), round);
  v128.store(o2 + at, add(f64x2.sub(v, c), carryIn));
  return c;
}

/** WG = g * 19 * 2^-255, limbs 1..11 (limb 0 never folds). */
// @ts-ignore: decorator
@inline function foldOperand(g: usize): void {
  const k = v128.load(FIELD_CONSTANTS, WRAP_AT);
  for (let i: usize = 16; i < 192; i += 16) v128.store(WG + i, f64x2.mul(v128.load(g + i), k));
}

/**
 * o = f * g (both lanes), schoolbook with folding: column k = sum over i + j = k of f_i g_j plus, for
 * i + j = k + 12, f_i (19 * 2^-255 g_j). Rows of f in blocks of three, each column stored after every
 * block. V8 issues every load of a block before its first store, so the blocks bound the live values
 * (~17 of 16 xmm registers); this measured fastest of the blockings tried (1-12 rows x 1-12 columns).
 * Inputs up to 4x carried; `o` may alias `f` or `g`.
 */
export function fe2Mul(o: usize, f: usize, g: usize): void {
  fe2MulColumns(f, g);
  fe2Carry(o, COLS);
}

/** o = (DA + CB, DA - CB) for (DA, CB) = f * g (the ladder's x_3 inputs), carried, in one pass. */
export function fe2MulSumDiff(o: usize, f: usize, g: usize): void {
  fe2MulColumns(f, g);
  carryThen(o, COLS, 0, CARRY_SUM_DIFF);
}

/** COLS = the uncarried columns of f * g. */
function fe2MulColumns(f: usize, g: usize): void {
  foldOperand(g);
  { // rows f0..f2
    const f0 = v128.load(f, 0), f1 = v128.load(f, 16), f2 = v128.load(f, 32);
    const w10 = v128.load(WG, 160), w11 = v128.load(WG, 176);
    const g0 = v128.load(g, 0), g1 = v128.load(g, 16), g2 = v128.load(g, 32), g3 = v128.load(g, 48), g4 = v128.load(g, 64), g5 = v128.load(g, 80), g6 = v128.load(g, 96), g7 = v128.load(g, 112), g8 = v128.load(g, 128), g9 = v128.load(g, 144), g10 = v128.load(g, 160), g11 = v128.load(g, 176);
    v128.store(COLS, add(add(mul(f0, g0), mul(f1, w11)), mul(f2, w10)), 0);
    v128.store(COLS, add(add(mul(f0, g1), mul(f1, g0)), mul(f2, w11)), 16);
    v128.store(COLS, add(add(mul(f0, g2), mul(f1, g1)), mul(f2, g0)), 32);
    v128.store(COLS, add(add(mul(f0, g3), mul(f1, g2)), mul(f2, g1)), 48);
    v128.store(COLS, add(add(mul(f0, g4), mul(f1, g3)), mul(f2, g2)), 64);
    v128.store(COLS, add(add(mul(f0, g5), mul(f1, g4)), mul(f2, g3)), 80);
    v128.store(COLS, add(add(mul(f0, g6), mul(f1, g5)), mul(f2, g4)), 96);
    v128.store(COLS, add(add(mul(f0, g7), mul(f1, g6)), mul(f2, g5)), 112);
    v128.store(COLS, add(add(mul(f0, g8), mul(f1, g7)), mul(f2, g6)), 128);
    v128.store(COLS, add(add(mul(f0, g9), mul(f1, g8)), mul(f2, g7)), 144);
    v128.store(COLS, add(add(mul(f0, g10), mul(f1, g9)), mul(f2, g8)), 160);
    v128.store(COLS, add(add(mul(f0, g11), mul(f1, g10)), mul(f2, g9)), 176);
  }
  { // rows f3..f5
    const f3 = v128.load(f, 48), f4 = v128.load(f, 64), f5 = v128.load(f, 80);
    const w7 = v128.load(WG, 112), w8 = v128.load(WG, 128), w9 = v128.load(WG, 144), w10 = v128.load(WG, 160), w11 = v128.load(WG, 176);
    const g0 = v128.load(g, 0), g1 = v128.load(g, 16), g2 = v128.load(g, 32), g3 = v128.load(g, 48), g4 = v128.load(g, 64), g5 = v128.load(g, 80), g6 = v128.load(g, 96), g7 = v128.load(g, 112), g8 = v128.load(g, 128);
    v128.store(COLS, add(add(add(v128.load(COLS, 0), mul(f3, w9)), mul(f4, w8)), mul(f5, w7)), 0);
    v128.store(COLS, add(add(add(v128.load(COLS, 16), mul(f3, w10)), mul(f4, w9)), mul(f5, w8)), 16);
    v128.store(COLS, add(add(add(v128.load(COLS, 32), mul(f3, w11)), mul(f4, w10)), mul(f5, w9)), 32);
    v128.store(COLS, add(add(add(v128.load(COLS, 48), mul(f3, g0)), mul(f4, w11)), mul(f5, w10)), 48);
    v128.store(COLS, add(add(add(v128.load(COLS, 64), mul(f3, g1)), mul(f4, g0)), mul(f5, w11)), 64);
    v128.store(COLS, add(add(add(v128.load(COLS, 80), mul(f3, g2)), mul(f4, g1)), mul(f5, g0)), 80);
    v128.store(COLS, add(add(add(v128.load(COLS, 96), mul(f3, g3)), mul(f4, g2)), mul(f5, g1)), 96);
    v128.store(COLS, add(add(add(v128.load(COLS, 112), mul(f3, g4)), mul(f4, g3)), mul(f5, g2)), 112);
    v128.store(COLS, add(add(add(v128.load(COLS, 128), mul(f3, g5)), mul(f4, g4)), mul(f5, g3)), 128);
    v128.store(COLS, add(add(add(v128.load(COLS, 144), mul(f3, g6)), mul(f4, g5)), mul(f5, g4)), 144);
    v128.store(COLS, add(add(add(v128.load(COLS, 160), mul(f3, g7)), mul(f4, g6)), mul(f5, g5)), 160);
    v128.store(COLS, add(add(add(v128.load(COLS, 176), mul(f3, g8)), mul(f4, g7)), mul(f5, g6)), 176);
  }
  { // rows f6..f8
    const f6 = v128.load(f, 96), f7 = v128.load(f, 112), f8 = v128.load(f, 128);
    const w4 = v128.load(WG, 64), w5 = v128.load(WG, 80), w6 = v128.load(WG, 96), w7 = v128.load(WG, 112), w8 = v128.load(WG, 128), w9 = v128.load(WG, 144), w10 = v128.load(WG, 160), w11 = v128.load(WG, 176);
    const g0 = v128.load(g, 0), g1 = v128.load(g, 16), g2 = v128.load(g, 32), g3 = v128.load(g, 48), g4 = v128.load(g, 64), g5 = v128.load(g, 80);
    v128.store(COLS, add(add(add(v128.load(COLS, 0), mul(f6, w6)), mul(f7, w5)), mul(f8, w4)), 0);
    v128.store(COLS, add(add(add(v128.load(COLS, 16), mul(f6, w7)), mul(f7, w6)), mul(f8, w5)), 16);
    v128.store(COLS, add(add(add(v128.load(COLS, 32), mul(f6, w8)), mul(f7, w7)), mul(f8, w6)), 32);
    v128.store(COLS, add(add(add(v128.load(COLS, 48), mul(f6, w9)), mul(f7, w8)), mul(f8, w7)), 48);
    v128.store(COLS, add(add(add(v128.load(COLS, 64), mul(f6, w10)), mul(f7, w9)), mul(f8, w8)), 64);
    v128.store(COLS, add(add(add(v128.load(COLS, 80), mul(f6, w11)), mul(f7, w10)), mul(f8, w9)), 80);
    v128.store(COLS, add(add(add(v128.load(COLS, 96), mul(f6, g0)), mul(f7, w11)), mul(f8, w10)), 96);
    v128.store(COLS, add(add(add(v128.load(COLS, 112), mul(f6, g1)), mul(f7, g0)), mul(f8, w11)), 112);
    v128.store(COLS, add(add(add(v128.load(COLS, 128), mul(f6, g2)), mul(f7, g1)), mul(f8, g0)), 128);
    v128.store(COLS, add(add(add(v128.load(COLS, 144), mul(f6, g3)), mul(f7, g2)), mul(f8, g1)), 144);
    v128.store(COLS, add(add(add(v128.load(COLS, 160), mul(f6, g4)), mul(f7, g3)), mul(f8, g2)), 160);
    v128.store(COLS, add(add(add(v128.load(COLS, 176), mul(f6, g5)), mul(f7, g4)), mul(f8, g3)), 176);
  }
  { // rows f9..f11
    const f9 = v128.load(f, 144), f10 = v128.load(f, 160), f11 = v128.load(f, 176);
    const w1 = v128.load(WG, 16), w2 = v128.load(WG, 32), w3 = v128.load(WG, 48), w4 = v128.load(WG, 64), w5 = v128.load(WG, 80), w6 = v128.load(WG, 96), w7 = v128.load(WG, 112), w8 = v128.load(WG, 128), w9 = v128.load(WG, 144), w10 = v128.load(WG, 160), w11 = v128.load(WG, 176);
    const g0 = v128.load(g, 0), g1 = v128.load(g, 16), g2 = v128.load(g, 32);
    v128.store(COLS, add(add(add(v128.load(COLS, 0), mul(f9, w3)), mul(f10, w2)), mul(f11, w1)), 0);
    v128.store(COLS, add(add(add(v128.load(COLS, 16), mul(f9, w4)), mul(f10, w3)), mul(f11, w2)), 16);
    v128.store(COLS, add(add(add(v128.load(COLS, 32), mul(f9, w5)), mul(f10, w4)), mul(f11, w3)), 32);
    v128.store(COLS, add(add(add(v128.load(COLS, 48), mul(f9, w6)), mul(f10, w5)), mul(f11, w4)), 48);
    v128.store(COLS, add(add(add(v128.load(COLS, 64), mul(f9, w7)), mul(f10, w6)), mul(f11, w5)), 64);
    v128.store(COLS, add(add(add(v128.load(COLS, 80), mul(f9, w8)), mul(f10, w7)), mul(f11, w6)), 80);
    v128.store(COLS, add(add(add(v128.load(COLS, 96), mul(f9, w9)), mul(f10, w8)), mul(f11, w7)), 96);
    v128.store(COLS, add(add(add(v128.load(COLS, 112), mul(f9, w10)), mul(f10, w9)), mul(f11, w8)), 112);
    v128.store(COLS, add(add(add(v128.load(COLS, 128), mul(f9, w11)), mul(f10, w10)), mul(f11, w9)), 128);
    v128.store(COLS, add(add(add(v128.load(COLS, 144), mul(f9, g0)), mul(f10, w11)), mul(f11, w10)), 144);
    v128.store(COLS, add(add(add(v128.load(COLS, 160), mul(f9, g1)), mul(f10, g0)), mul(f11, w11)), 160);
    v128.store(COLS, add(add(add(v128.load(COLS, 176), mul(f9, g2)), mul(f10, g1)), mul(f11, g0)), 176);
  }
}

/**
 * o = f^2 (both lanes): 78 products instead of 144, using 2 f_i f_j for i < j. Inputs up to 4x carried;
 * `o` may alias `f`.
 */
export function fe2Sq(o: usize, f: usize): void {
  fe2SqColumns(f);
  fe2Carry(o, COLS);
}

/**
 * With (AA, BB) = f^2 (the ladder's squares of A and B, RFC 7748 §5): o = (AA, E), o2 = (BB, AA + a24 E),
 * E = AA - BB, a24 E reduced by one round of carries; in one pass.
 */
export function fe2SqA24(o: usize, o2: usize, f: usize): void {
  fe2SqColumns(f);
  carryThen(o, COLS, o2, CARRY_A24);
}

/** COLS = the uncarried columns of f^2. */
function fe2SqColumns(f: usize): void {
  foldOperand(f);
  { // rows 0..2
    const f0 = v128.load(f, 0),
      f1 = v128.load(f, 16),
      f2 = v128.load(f, 32),
      f3 = v128.load(f, 48),
      f4 = v128.load(f, 64),
      f5 = v128.load(f, 80),
      f6 = v128.load(f, 96),
      f7 = v128.load(f, 112),
      f8 = v128.load(f, 128),
      f9 = v128.load(f, 144),
      f10 = v128.load(f, 160),
      f11 = v128.load(f, 176),
      d0 = add(v128.load(f, 0), v128.load(f, 0)),
      d1 = add(v128.load(f, 16), v128.load(f, 16)),
      d2 = add(v128.load(f, 32), v128.load(f, 32)),
      w10 = v128.load(WG, 160),
      w11 = v128.load(WG, 176);
    v128.store(COLS, add(add(mul(f0, f0), mul(d1, w11)), mul(d2, w10)), 0);
    v128.store(COLS, add(mul(d0, f1), mul(d2, w11)), 16);
    v128.store(COLS, add(mul(d0, f2), mul(f1, f1)), 32);
    v128.store(COLS, add(mul(d0, f3), mul(d1, f2)), 48);
    v128.store(COLS, add(add(mul(d0, f4), mul(d1, f3)), mul(f2, f2)), 64);
    v128.store(COLS, add(add(mul(d0, f5), mul(d1, f4)), mul(d2, f3)), 80);
    v128.store(COLS, add(add(mul(d0, f6), mul(d1, f5)), mul(d2, f4)), 96);
    v128.store(COLS, add(add(mul(d0, f7), mul(d1, f6)), mul(d2, f5)), 112);
    v128.store(COLS, add(add(mul(d0, f8), mul(d1, f7)), mul(d2, f6)), 128);
    v128.store(COLS, add(add(mul(d0, f9), mul(d1, f8)), mul(d2, f7)), 144);
    v128.store(COLS, add(add(mul(d0, f10), mul(d1, f9)), mul(d2, f8)), 160);
    v128.store(COLS, add(add(mul(d0, f11), mul(d1, f10)), mul(d2, f9)), 176);
  }
  { // rows 3..5
    const f3 = v128.load(f, 48),
      f4 = v128.load(f, 64),
      f5 = v128.load(f, 80),
      f6 = v128.load(f, 96),
      f7 = v128.load(f, 112),
      f8 = v128.load(f, 128),
      d3 = add(v128.load(f, 48), v128.load(f, 48)),
      d4 = add(v128.load(f, 64), v128.load(f, 64)),
      d5 = add(v128.load(f, 80), v128.load(f, 80)),
      w7 = v128.load(WG, 112),
      w8 = v128.load(WG, 128),
      w9 = v128.load(WG, 144),
      w10 = v128.load(WG, 160),
      w11 = v128.load(WG, 176);
    v128.store(COLS, add(add(add(v128.load(COLS, 0), mul(d3, w9)), mul(d4, w8)), mul(d5, w7)), 0);
    v128.store(COLS, add(add(add(v128.load(COLS, 16), mul(d3, w10)), mul(d4, w9)), mul(d5, w8)), 16);
    v128.store(COLS, add(add(add(v128.load(COLS, 32), mul(d3, w11)), mul(d4, w10)), mul(d5, w9)), 32);
    v128.store(COLS, add(add(v128.load(COLS, 48), mul(d4, w11)), mul(d5, w10)), 48);
    v128.store(COLS, add(v128.load(COLS, 64), mul(d5, w11)), 64);
    v128.store(COLS, add(v128.load(COLS, 96), mul(f3, f3)), 96);
    v128.store(COLS, add(v128.load(COLS, 112), mul(d3, f4)), 112);
    v128.store(COLS, add(add(v128.load(COLS, 128), mul(d3, f5)), mul(f4, f4)), 128);
    v128.store(COLS, add(add(v128.load(COLS, 144), mul(d3, f6)), mul(d4, f5)), 144);
    v128.store(COLS, add(add(add(v128.load(COLS, 160), mul(d3, f7)), mul(d4, f6)), mul(f5, f5)), 160);
    v128.store(COLS, add(add(add(v128.load(COLS, 176), mul(d3, f8)), mul(d4, f7)), mul(d5, f6)), 176);
  }
  { // rows 6..8
    const f6 = v128.load(f, 96),
      f7 = v128.load(f, 112),
      f8 = v128.load(f, 128),
      d6 = add(v128.load(f, 96), v128.load(f, 96)),
      d7 = add(v128.load(f, 112), v128.load(f, 112)),
      d8 = add(v128.load(f, 128), v128.load(f, 128)),
      w6 = v128.load(WG, 96),
      w7 = v128.load(WG, 112),
      w8 = v128.load(WG, 128),
      w9 = v128.load(WG, 144),
      w10 = v128.load(WG, 160),
      w11 = v128.load(WG, 176);
    v128.store(COLS, add(v128.load(COLS, 0), mul(f6, w6)), 0);
    v128.store(COLS, add(v128.load(COLS, 16), mul(d6, w7)), 16);
    v128.store(COLS, add(add(v128.load(COLS, 32), mul(d6, w8)), mul(f7, w7)), 32);
    v128.store(COLS, add(add(v128.load(COLS, 48), mul(d6, w9)), mul(d7, w8)), 48);
    v128.store(COLS, add(add(add(v128.load(COLS, 64), mul(d6, w10)), mul(d7, w9)), mul(f8, w8)), 64);
    v128.store(COLS, add(add(add(v128.load(COLS, 80), mul(d6, w11)), mul(d7, w10)), mul(d8, w9)), 80);
    v128.store(COLS, add(add(v128.load(COLS, 96), mul(d7, w11)), mul(d8, w10)), 96);
    v128.store(COLS, add(v128.load(COLS, 112), mul(d8, w11)), 112);
  }
  { // rows 9..11
    const f9 = v128.load(f, 144),
      f10 = v128.load(f, 160),
      f11 = v128.load(f, 176),
      d9 = add(v128.load(f, 144), v128.load(f, 144)),
      d10 = add(v128.load(f, 160), v128.load(f, 160)),
      w9 = v128.load(WG, 144),
      w10 = v128.load(WG, 160),
      w11 = v128.load(WG, 176);
    v128.store(COLS, add(v128.load(COLS, 96), mul(f9, w9)), 96);
    v128.store(COLS, add(v128.load(COLS, 112), mul(d9, w10)), 112);
    v128.store(COLS, add(add(v128.load(COLS, 128), mul(d9, w11)), mul(f10, w10)), 128);
    v128.store(COLS, add(v128.load(COLS, 144), mul(d10, w11)), 144);
    v128.store(COLS, add(v128.load(COLS, 160), mul(f11, w11)), 160);
  }
}

/**
 * Split layout for a multiplication by one fixed element: `g` (17 v128) holds, for d = -11..5,
 * (c(d), c(d + 6)) with c(j) = x_j for j >= 0 and 19 * 2^-255 x_(j+12) for j < 0, x being lane 1 of `x`.
 * Then lane 0 of sum_i splat(f_i) * g[k - i] is column k and lane 1 is column k + 6 of f * x: one
 * element's product in 72 vector multiplications instead of a pair's 144. Used for the ladder's
 * multiplication by x_1 (RFC 7748 §5), which has no partner in the other lane.
 */
export function feSplitPrepare(g: usize, x: usize): void {
  const k = load<f64>(FIELD_CONSTANTS, WRAP_AT);
  for (let d = -11; d <= 5; d++) {
    const lo = d < 0 ? load<f64>(x + <usize>(16 * (d + 12) + 8)) * k : load<f64>(x + <usize>(16 * d + 8));
    const hi = d + 6 < 0 ? load<f64>(x + <usize>(16 * (d + 18) + 8)) * k : load<f64>(x + <usize>(16 * (d + 6) + 8));
    store<f64>(g + <usize>(16 * (d + 11)), lo);
    store<f64>(g + <usize>(16 * (d + 11) + 8), hi);
  }
}

/**
 * o (6 v128) = (lane 1 of f) * x with `g` from `feSplitPrepare(g, x)`: o[k] = (limb k, limb k + 6), carried
 * in two chains per lane (0..2 and 3..5, then the wrap 5 -> 0 and one more round). f carried or 2x, x decoded.
 */
export function feMulSplit(o: usize, f: usize, g: usize): void {
  // Rows of f in blocks of three; block b (rows 3b..3b+2) reads g[9 - 3b .. 16 - 3b].
  let h0 = i64x2.splat(0), h1 = i64x2.splat(0), h2 = i64x2.splat(0), h3 = i64x2.splat(0), h4 = i64x2.splat(0), h5 = i64x2.splat(0);
  for (let b: usize = 0; b < 192; b += 48) {
    const s0 = lane1(v128.load(f + b, 0)), s1 = lane1(v128.load(f + b, 16)), s2 = lane1(v128.load(f + b, 32));
    const q = g + 144 - b;
    const q0 = v128.load(q, 0), q1 = v128.load(q, 16), q2 = v128.load(q, 32), q3 = v128.load(q, 48);
    const q4 = v128.load(q, 64), q5 = v128.load(q, 80), q6 = v128.load(q, 96), q7 = v128.load(q, 112);
    h0 = add(h0, add(add(mul(s0, q2), mul(s1, q1)), mul(s2, q0)));
    h1 = add(h1, add(add(mul(s0, q3), mul(s1, q2)), mul(s2, q1)));
    h2 = add(h2, add(add(mul(s0, q4), mul(s1, q3)), mul(s2, q2)));
    h3 = add(h3, add(add(mul(s0, q5), mul(s1, q4)), mul(s2, q3)));
    h4 = add(h4, add(add(mul(s0, q6), mul(s1, q5)), mul(s2, q4)));
    h5 = add(h5, add(add(mul(s0, q7), mul(s1, q6)), mul(s2, q5)));
  }
  let c: v128;
  const r = FIELD_CONSTANTS + SPLIT_ROUND_AT;
  // round 1: (0, 6) -> (1, 7), (3, 9) -> (4, 10)
  c = f64x2.sub(f64x2.add(h0, v128.load(r, 0)), v128.load(r, 0)); h0 = f64x2.sub(h0, c); h1 = f64x2.add(h1, c);
  c = f64x2.sub(f64x2.add(h3, v128.load(r, 48)), v128.load(r, 48)); h3 = f64x2.sub(h3, c); h4 = f64x2.add(h4, c);
  // round 2: (1, 7) -> (2, 8), (4, 10) -> (5, 11)
  c = f64x2.sub(f64x2.add(h1, v128.load(r, 16)), v128.load(r, 16)); h1 = f64x2.sub(h1, c); h2 = f64x2.add(h2, c);
  c = f64x2.sub(f64x2.add(h4, v128.load(r, 64)), v128.load(r, 64)); h4 = f64x2.sub(h4, c); h5 = f64x2.add(h5, c);
  // round 3: (2, 8) -> (3, 9); (5, 11) -> (6, 0): limb 5's carry moves to lane 1, limb 11's folds into lane 0
  c = f64x2.sub(f64x2.add(h2, v128.load(r, 32)), v128.load(r, 32)); h2 = f64x2.sub(h2, c); h3 = f64x2.add(h3, c);
  c = f64x2.sub(f64x2.add(h5, v128.load(r, 80)), v128.load(r, 80)); h5 = f64x2.sub(h5, c);
  h0 = f64x2.add(h0, f64x2.mul(i64x2.shuffle(c, c, 1, 0), v128.load(FIELD_CONSTANTS, SPLIT_WRAP_AT)));
  // round 4: (3, 9) -> (4, 10), (0, 6) -> (1, 7)
  c = f64x2.sub(f64x2.add(h3, v128.load(r, 48)), v128.load(r, 48)); h3 = f64x2.sub(h3, c); h4 = f64x2.add(h4, c);
  c = f64x2.sub(f64x2.add(h0, v128.load(r, 0)), v128.load(r, 0)); h0 = f64x2.sub(h0, c); h1 = f64x2.add(h1, c);
  v128.store(o, h0, 0); v128.store(o, h1, 16); v128.store(o, h2, 32);
  v128.store(o, h3, 48); v128.store(o, h4, 64); v128.store(o, h5, 80);
}

/**
 * Lane `lane` of o = the 32-byte little-endian u at `src`, with the most significant bit masked
 * (RFC 7748 §5: "implementations MUST mask the most significant bit"). Values in [p, 2^255) are accepted
 * as they are: the limbs (each < 2^w_i) represent them exactly and the arithmetic reduces them (§5).
 */
export function fe2DecodeLane(o: usize, src: usize, lane: i32): void {
  for (let i: usize = 0; i < 12; i++) {
    const at = <u32>load<u8>(LIMB_OFFSETS + i), width = <u32>load<u8>(LIMB_OFFSETS + i + 1) - at;
    const byte = min<u32>(at >> 3, 28); // the last limb (bits 234..254) is read from bytes 28..31
    const bits = (load<u32>(src + byte) >>> (at - (byte << 3))) & ((1 << width) - 1);
    store<f64>(o + (i << 4) + (<usize>lane << 3), <f64>bits * reinterpret<f64>(<u64>(1023 + at) << 52));
  }
}

/**
 * dst (32 bytes) = lane `lane` of f as the canonical little-endian encoding of f mod p (RFC 7748 §5 encodeUCoordinate).
 * f must be carried (a multiplication's output). Constant-time: the final subtraction of p is arithmetic
 * (q = floor((v + 19) / 2^255) in {0, 1}, then v + 19 q mod 2^255), never a branch.
 */
export function fe2EncodeLane(dst: usize, f: usize, lane: i32): void {
  const src = f + (<usize>lane << 3);
  // Integer units u_i = limb_i / 2^off(i), exact (|u_i| < 2^22), then + 2^8 p limb-wise so that every limb is positive.
  let h0 = <i64>load<f64>(src, 0) + (((1 << 22) - 19) << 8);
  let h1 = <i64>(load<f64>(src, 16) * reinterpret<f64>(<u64>(1023 - 22) << 52)) + (((1 << 21) - 1) << 8);
  let h2 = <i64>(load<f64>(src, 32) * reinterpret<f64>(<u64>(1023 - 43) << 52)) + (((1 << 21) - 1) << 8);
  let h3 = <i64>(load<f64>(src, 48) * reinterpret<f64>(<u64>(1023 - 64) << 52)) + (((1 << 21) - 1) << 8);
  let h4 = <i64>(load<f64>(src, 64) * reinterpret<f64>(<u64>(1023 - 85) << 52)) + (((1 << 22) - 1) << 8);
  let h5 = <i64>(load<f64>(src, 80) * reinterpret<f64>(<u64>(1023 - 107) << 52)) + (((1 << 21) - 1) << 8);
  let h6 = <i64>(load<f64>(src, 96) * reinterpret<f64>(<u64>(1023 - 128) << 52)) + (((1 << 21) - 1) << 8);
  let h7 = <i64>(load<f64>(src, 112) * reinterpret<f64>(<u64>(1023 - 149) << 52)) + (((1 << 21) - 1) << 8);
  let h8 = <i64>(load<f64>(src, 128) * reinterpret<f64>(<u64>(1023 - 170) << 52)) + (((1 << 22) - 1) << 8);
  let h9 = <i64>(load<f64>(src, 144) * reinterpret<f64>(<u64>(1023 - 192) << 52)) + (((1 << 21) - 1) << 8);
  let h10 = <i64>(load<f64>(src, 160) * reinterpret<f64>(<u64>(1023 - 213) << 52)) + (((1 << 21) - 1) << 8);
  let h11 = <i64>(load<f64>(src, 176) * reinterpret<f64>(<u64>(1023 - 234) << 52)) + (((1 << 21) - 1) << 8);
  // Two carry passes: limbs 0..10 end in [0, 2^w_i), limb 11 in [0, 2^21) after folding its excess (x 19) into limb 0.
  for (let pass = 0; pass < 2; pass++) {
    h1 += h0 >> 22; h0 &= (1 << 22) - 1;
    h2 += h1 >> 21; h1 &= (1 << 21) - 1;
    h3 += h2 >> 21; h2 &= (1 << 21) - 1;
    h4 += h3 >> 21; h3 &= (1 << 21) - 1;
    h5 += h4 >> 22; h4 &= (1 << 22) - 1;
    h6 += h5 >> 21; h5 &= (1 << 21) - 1;
    h7 += h6 >> 21; h6 &= (1 << 21) - 1;
    h8 += h7 >> 21; h7 &= (1 << 21) - 1;
    h9 += h8 >> 22; h8 &= (1 << 22) - 1;
    h10 += h9 >> 21; h9 &= (1 << 21) - 1;
    h11 += h10 >> 21; h10 &= (1 << 21) - 1;
    h0 += 19 * (h11 >> 21); h11 &= (1 << 21) - 1;
  }
  // Now 0 <= v < 2^255 + 2^22. q = 1 exactly when v >= p, i.e. when v + 19 reaches 2^255.
  let q = (h0 + 19) >> 22;
  q = (h1 + q) >> 21; q = (h2 + q) >> 21; q = (h3 + q) >> 21; q = (h4 + q) >> 22; q = (h5 + q) >> 21;
  q = (h6 + q) >> 21; q = (h7 + q) >> 21; q = (h8 + q) >> 22; q = (h9 + q) >> 21; q = (h10 + q) >> 21; q = (h11 + q) >> 21;
  // v + 19 q, dropping bit 255, is v mod p.
  h0 += 19 * q;
  h1 += h0 >> 22; h0 &= (1 << 22) - 1;
  h2 += h1 >> 21; h1 &= (1 << 21) - 1;
  h3 += h2 >> 21; h2 &= (1 << 21) - 1;
  h4 += h3 >> 21; h3 &= (1 << 21) - 1;
  h5 += h4 >> 22; h4 &= (1 << 22) - 1;
  h6 += h5 >> 21; h5 &= (1 << 21) - 1;
  h7 += h6 >> 21; h6 &= (1 << 21) - 1;
  h8 += h7 >> 21; h7 &= (1 << 21) - 1;
  h9 += h8 >> 22; h8 &= (1 << 22) - 1;
  h10 += h9 >> 21; h9 &= (1 << 21) - 1;
  h11 += h10 >> 21; h10 &= (1 << 21) - 1;
  h11 &= (1 << 21) - 1;
  // Pack: limbs start at bits 0, 22, 43 | 64, 85, 107 | 128, 149, 170 | 192, 213, 234.
  store<u64>(dst, <u64>h0 | (<u64>h1 << 22) | (<u64>h2 << 43));
  store<u64>(dst, <u64>h3 | (<u64>h4 << 21) | (<u64>h5 << 43), 8);
  store<u64>(dst, <u64>h6 | (<u64>h7 << 21) | (<u64>h8 << 42), 16);
  store<u64>(dst, <u64>h9 | (<u64>h10 << 21) | (<u64>h11 << 42), 24);
}

// ---------------------------------------------------------------- one element, integer limbs (inversion)
//
// The inversion is 254 squarings of one element in a row: with the pair layout half of every squaring would
// be wasted. It runs in ref10's 10-limb integer representation (field25519-int.ts), where a squaring took
// 20 ns against 36 ns for an FE2 squaring.

const FE1_X: usize = memory.data(80, 16);
const FE1_Z: usize = memory.data(80, 16);
/** Canonical bytes of the two FE2 lanes handed to feDivideLane0 (secret-derived). */
const FE1_BYTES_IN: usize = memory.data(64, 16);

/**
 * dst (32 bytes) = x / z mod p, canonical, where x = lane 0 of `x` and z = lane 0 of `z` (both carried FE2s):
 * z^(p - 2) by the integer chain above, RFC 7748 §5 ("x_2 * (z_2^(p - 2))"). z = 0 gives 0.
 */
export function feDivideLane0(dst: usize, x: usize, z: usize): void {
  fe2EncodeLane(FE1_BYTES_IN, x, 0);
  fe2EncodeLane(FE1_BYTES_IN + 32, z, 0);
  fe1FromBytes(FE1_X, FE1_BYTES_IN);
  fe1FromBytes(FE1_Z, FE1_BYTES_IN + 32);
  fe1Invert(FE1_Z, FE1_Z);
  fe1Mul(FE1_X, FE1_X, FE1_Z);
  fe1ToBytes(dst, FE1_X);
}

/** Wipe every scratch buffer of this module (all hold secret-derived limbs). */
export function fieldWipe(): void {
  fe1Wipe();
  memory.fill(FE1_X, 0, FE1_BYTES);
  memory.fill(FE1_Z, 0, FE1_BYTES);
  memory.fill(FE1_BYTES_IN, 0, 64);
  memory.fill(COLS, 0, 192);
  memory.fill(WG, 0, 192);
}
