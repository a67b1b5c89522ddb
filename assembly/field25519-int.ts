/**
 * Arithmetic in GF(p), p = 2^255 - 19 (RFC 7748 §4.1), one element at a time in integer limbs (FE1).
 *
 * Representation (ref10, "radix 2^25.5"): 10 signed i64 limbs f_0..f_9 of 26, 25, 26, 25, ... bits, limb i at
 * bit offset 0, 26, 51, 77, 102, 128, 153, 179, 204, 230; value sum f_i 2^off(i). Products use i64 multiply with
 * the fold 2^255 = 19 moved into the operands (g_j * 19, and f_odd * 2 where two odd offsets overshoot a column
 * by one bit), as in ref10's fe_mul / fe_sq.
 *
 * Bounds (re-derived in test/x25519-field-bounds.test.ts, "integer field"): the carry after a product leaves
 * |f_i| <= 2^(w_i - 1) + 2^17 (< 1.01 * 2^(w_i - 1)) whatever the columns were (< 2^63). Columns stay below 2^63 for
 * inputs up to 8x carried (2^61 at 4x). Users: the final inversion of both X25519 paths (feDivideLane0 in
 * field25519.ts) and the fixed-base table builder (x25519-table.ts, which carries its sums with fe1CarryStore).
 * An integer-limb ladder on these functions was measured against the f64 one and dropped (README, X25519).
 *
 * Constant time (RFC 7748 §5, §7): i64 multiply, add, subtract and arithmetic shift only (WASM i64.mul has no
 * data-dependent timing on x86-64 or ARMv8); no branch, loop bound or address depends on limb values.
 *
 * Scratch buffers hold secret-derived data; callers wipe them with `fe1Wipe()` before returning to the host.
 */

/** Bytes in an FE1 (10 x i64). */
export const FE1_BYTES: usize = 80;
const FE1_T0: usize = memory.data(80, 16);
const FE1_T1: usize = memory.data(80, 16);
const FE1_T2: usize = memory.data(80, 16);
const FE1_T3: usize = memory.data(80, 16);

/** Carry h0..h9 (ref10 fe_mul / fe_sq tail): two interleaved chains, then h9 -> h0 folded by 19, and h0 -> h1. */
// @ts-ignore: decorator
@inline export function fe1CarryStore(o: usize, h0: i64, h1: i64, h2: i64, h3: i64, h4: i64, h5: i64, h6: i64, h7: i64, h8: i64, h9: i64): void {
  let c: i64;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h1 + (1 << 24)) >> 25; h2 += c; h1 -= c << 25;
  c = (h5 + (1 << 24)) >> 25; h6 += c; h5 -= c << 25;
  c = (h2 + (1 << 25)) >> 26; h3 += c; h2 -= c << 26;
  c = (h6 + (1 << 25)) >> 26; h7 += c; h6 -= c << 26;
  c = (h3 + (1 << 24)) >> 25; h4 += c; h3 -= c << 25;
  c = (h7 + (1 << 24)) >> 25; h8 += c; h7 -= c << 25;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h8 + (1 << 25)) >> 26; h9 += c; h8 -= c << 26;
  c = (h9 + (1 << 24)) >> 25; h0 += c * 19; h9 -= c << 25;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  store<i64>(o, h0, 0); store<i64>(o, h1, 8); store<i64>(o, h2, 16); store<i64>(o, h3, 24); store<i64>(o, h4, 32);
  store<i64>(o, h5, 40); store<i64>(o, h6, 48); store<i64>(o, h7, 56); store<i64>(o, h8, 64); store<i64>(o, h9, 72);
}

/** o = f * g (ref10 fe_mul). Inputs up to 8x carried; `o` may alias `f` or `g`. */
export function fe1Mul(o: usize, f: usize, g: usize): void {
  const f0 = load<i64>(f, 0), f1 = load<i64>(f, 8), f2 = load<i64>(f, 16), f3 = load<i64>(f, 24), f4 = load<i64>(f, 32);
  const f5 = load<i64>(f, 40), f6 = load<i64>(f, 48), f7 = load<i64>(f, 56), f8 = load<i64>(f, 64), f9 = load<i64>(f, 72);
  const g0 = load<i64>(g, 0), g1 = load<i64>(g, 8), g2 = load<i64>(g, 16), g3 = load<i64>(g, 24), g4 = load<i64>(g, 32);
  const g5 = load<i64>(g, 40), g6 = load<i64>(g, 48), g7 = load<i64>(g, 56), g8 = load<i64>(g, 64), g9 = load<i64>(g, 72);
  const g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4, g5_19 = 19 * g5;
  const g6_19 = 19 * g6, g7_19 = 19 * g7, g8_19 = 19 * g8, g9_19 = 19 * g9;
  const f1_2 = 2 * f1, f3_2 = 2 * f3, f5_2 = 2 * f5, f7_2 = 2 * f7, f9_2 = 2 * f9;
  const h0 = f0 * g0 + f1_2 * g9_19 + f2 * g8_19 + f3_2 * g7_19 + f4 * g6_19 + f5_2 * g5_19 + f6 * g4_19 + f7_2 * g3_19 + f8 * g2_19 + f9_2 * g1_19;
  const h1 = f0 * g1 + f1 * g0 + f2 * g9_19 + f3 * g8_19 + f4 * g7_19 + f5 * g6_19 + f6 * g5_19 + f7 * g4_19 + f8 * g3_19 + f9 * g2_19;
  const h2 = f0 * g2 + f1_2 * g1 + f2 * g0 + f3_2 * g9_19 + f4 * g8_19 + f5_2 * g7_19 + f6 * g6_19 + f7_2 * g5_19 + f8 * g4_19 + f9_2 * g3_19;
  const h3 = f0 * g3 + f1 * g2 + f2 * g1 + f3 * g0 + f4 * g9_19 + f5 * g8_19 + f6 * g7_19 + f7 * g6_19 + f8 * g5_19 + f9 * g4_19;
  const h4 = f0 * g4 + f1_2 * g3 + f2 * g2 + f3_2 * g1 + f4 * g0 + f5_2 * g9_19 + f6 * g8_19 + f7_2 * g7_19 + f8 * g6_19 + f9_2 * g5_19;
  const h5 = f0 * g5 + f1 * g4 + f2 * g3 + f3 * g2 + f4 * g1 + f5 * g0 + f6 * g9_19 + f7 * g8_19 + f8 * g7_19 + f9 * g6_19;
  const h6 = f0 * g6 + f1_2 * g5 + f2 * g4 + f3_2 * g3 + f4 * g2 + f5_2 * g1 + f6 * g0 + f7_2 * g9_19 + f8 * g8_19 + f9_2 * g7_19;
  const h7 = f0 * g7 + f1 * g6 + f2 * g5 + f3 * g4 + f4 * g3 + f5 * g2 + f6 * g1 + f7 * g0 + f8 * g9_19 + f9 * g8_19;
  const h8 = f0 * g8 + f1_2 * g7 + f2 * g6 + f3_2 * g5 + f4 * g4 + f5_2 * g3 + f6 * g2 + f7_2 * g1 + f8 * g0 + f9_2 * g9_19;
  const h9 = f0 * g9 + f1 * g8 + f2 * g7 + f3 * g6 + f4 * g5 + f5 * g4 + f6 * g3 + f7 * g2 + f8 * g1 + f9 * g0;
  fe1CarryStore(o, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

/** o = f^2 (ref10 fe_sq). Input up to 8x carried; `o` may alias `f`. */
export function fe1Sq(o: usize, f: usize): void {
  const f0 = load<i64>(f, 0), f1 = load<i64>(f, 8), f2 = load<i64>(f, 16), f3 = load<i64>(f, 24), f4 = load<i64>(f, 32);
  const f5 = load<i64>(f, 40), f6 = load<i64>(f, 48), f7 = load<i64>(f, 56), f8 = load<i64>(f, 64), f9 = load<i64>(f, 72);
  const f0_2 = 2 * f0, f1_2 = 2 * f1, f2_2 = 2 * f2, f3_2 = 2 * f3, f4_2 = 2 * f4, f5_2 = 2 * f5, f6_2 = 2 * f6, f7_2 = 2 * f7;
  const f5_38 = 38 * f5, f6_19 = 19 * f6, f7_38 = 38 * f7, f8_19 = 19 * f8, f9_38 = 38 * f9;
  const h0 = f0 * f0 + f1_2 * f9_38 + f2_2 * f8_19 + f3_2 * f7_38 + f4_2 * f6_19 + f5 * f5_38;
  const h1 = f0_2 * f1 + f2 * f9_38 + f3_2 * f8_19 + f4 * f7_38 + f5_2 * f6_19;
  const h2 = f0_2 * f2 + f1_2 * f1 + f3_2 * f9_38 + f4_2 * f8_19 + f5_2 * f7_38 + f6 * f6_19;
  const h3 = f0_2 * f3 + f1_2 * f2 + f4 * f9_38 + f5_2 * f8_19 + f6 * f7_38;
  const h4 = f0_2 * f4 + f1_2 * f3_2 + f2 * f2 + f5_2 * f9_38 + f6_2 * f8_19 + f7 * f7_38;
  const h5 = f0_2 * f5 + f1_2 * f4 + f2_2 * f3 + f6 * f9_38 + f7_2 * f8_19;
  const h6 = f0_2 * f6 + f1_2 * f5_2 + f2_2 * f4 + f3_2 * f3 + f7_2 * f9_38 + f8 * f8_19;
  const h7 = f0_2 * f7 + f1_2 * f6 + f2_2 * f5 + f3_2 * f4 + f8 * f9_38;
  const h8 = f0_2 * f8 + f1_2 * f7_2 + f2_2 * f6 + f3_2 * f5_2 + f4 * f4 + f9 * f9_38;
  const h9 = f0_2 * f9 + f1_2 * f8 + f2_2 * f7 + f3_2 * f6 + f4_2 * f5;
  fe1CarryStore(o, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

/** o = f^(2^n), n >= 1 (a public constant of the addition chain). */
function fe1SqTimes(o: usize, f: usize, n: i32): void {
  fe1Sq(o, f);
  for (let i = 1; i < n; i++) fe1Sq(o, o);
}

/** Limb offsets of the 10-limb representation: 0, 26, 51, 77, 102, 128, 153, 179, 204, 230 (widths 26, 25, ...). */
const FE1_OFFSETS: usize = memory.data<u8>([0, 26, 51, 77, 102, 128, 153, 179, 204, 230, 255]);

/**
 * o = the 32-byte little-endian value at `src` with bit 255 masked (RFC 7748 §5: "implementations MUST mask the
 * most significant bit"), limbs unsigned below 2^26 / 2^25. Values in [p, 2^255) are kept as they are: the
 * arithmetic reduces them (§5).
 */
export function fe1FromBytes(o: usize, src: usize): void {
  for (let i: usize = 0; i < 10; i++) {
    const at = <u32>load<u8>(FE1_OFFSETS + i), width = <u32>load<u8>(FE1_OFFSETS + i + 1) - at;
    const byte = min<u32>(at >> 3, 24); // an 8-byte window inside the 32 bytes
    store<i64>(o + (i << 3), <i64>((load<u64>(src + byte) >> <u64>(at - (byte << 3))) & ((<u64>1 << width) - 1)));
  }
}

/**
 * dst = canonical little-endian encoding of f mod p (ref10 fe_tobytes): q = floor((f + 19) / 2^255) in {0, 1}
 * computed by carrying, then f + 19 q with bit 255 dropped. No branch on the value. f must be carried.
 */
export function fe1ToBytes(dst: usize, f: usize): void {
  let h0 = load<i64>(f, 0), h1 = load<i64>(f, 8), h2 = load<i64>(f, 16), h3 = load<i64>(f, 24), h4 = load<i64>(f, 32);
  let h5 = load<i64>(f, 40), h6 = load<i64>(f, 48), h7 = load<i64>(f, 56), h8 = load<i64>(f, 64), h9 = load<i64>(f, 72);
  let q = (19 * h9 + (1 << 24)) >> 25;
  q = (h0 + q) >> 26; q = (h1 + q) >> 25; q = (h2 + q) >> 26; q = (h3 + q) >> 25; q = (h4 + q) >> 26;
  q = (h5 + q) >> 25; q = (h6 + q) >> 26; q = (h7 + q) >> 25; q = (h8 + q) >> 26; q = (h9 + q) >> 25;
  h0 += 19 * q;
  let c: i64;
  c = h0 >> 26; h1 += c; h0 -= c << 26;
  c = h1 >> 25; h2 += c; h1 -= c << 25;
  c = h2 >> 26; h3 += c; h2 -= c << 26;
  c = h3 >> 25; h4 += c; h3 -= c << 25;
  c = h4 >> 26; h5 += c; h4 -= c << 26;
  c = h5 >> 25; h6 += c; h5 -= c << 25;
  c = h6 >> 26; h7 += c; h6 -= c << 26;
  c = h7 >> 25; h8 += c; h7 -= c << 25;
  c = h8 >> 26; h9 += c; h8 -= c << 26;
  c = h9 >> 25; h9 -= c << 25; // bit 255: dropped
  // Limbs start at bits 0, 26, 51 | 77, 102 | 128, 153, 179 | 204, 230 (u64 shifts drop what crosses a word).
  store<u64>(dst, <u64>h0 | (<u64>h1 << 26) | (<u64>h2 << 51));
  store<u64>(dst, (<u64>h2 >> 13) | (<u64>h3 << 13) | (<u64>h4 << 38), 8);
  store<u64>(dst, <u64>h5 | (<u64>h6 << 25) | (<u64>h7 << 51), 16);
  store<u64>(dst, (<u64>h7 >> 13) | (<u64>h8 << 12) | (<u64>h9 << 38), 24);
}

/**
 * o = z^(p - 2) = z^-1 (0 maps to 0), RFC 7748 §5: "computing z^(p-2)". The addition chain of ref10's fe_invert:
 * 254 squarings and 11 multiplications, the same for every z. `o` may alias `z`.
 */
export function fe1Invert(o: usize, z: usize): void {
  fe1Sq(FE1_T0, z);                                               // z^2
  fe1SqTimes(FE1_T1, FE1_T0, 2);                                  // z^8
  fe1Mul(FE1_T1, z, FE1_T1);                                      // z^9
  fe1Mul(FE1_T0, FE1_T0, FE1_T1);                                 // z^11
  fe1Sq(FE1_T2, FE1_T0);                                          // z^22
  fe1Mul(FE1_T1, FE1_T1, FE1_T2);                                 // z^(2^5 - 1)
  fe1SqTimes(FE1_T2, FE1_T1, 5); fe1Mul(FE1_T1, FE1_T2, FE1_T1);    // z^(2^10 - 1)
  fe1SqTimes(FE1_T2, FE1_T1, 10); fe1Mul(FE1_T2, FE1_T2, FE1_T1);   // z^(2^20 - 1)
  fe1SqTimes(FE1_T3, FE1_T2, 20); fe1Mul(FE1_T2, FE1_T3, FE1_T2);   // z^(2^40 - 1)
  fe1SqTimes(FE1_T2, FE1_T2, 10); fe1Mul(FE1_T1, FE1_T2, FE1_T1);   // z^(2^50 - 1)
  fe1SqTimes(FE1_T2, FE1_T1, 50); fe1Mul(FE1_T2, FE1_T2, FE1_T1);   // z^(2^100 - 1)
  fe1SqTimes(FE1_T3, FE1_T2, 100); fe1Mul(FE1_T2, FE1_T3, FE1_T2);  // z^(2^200 - 1)
  fe1SqTimes(FE1_T2, FE1_T2, 50); fe1Mul(FE1_T1, FE1_T2, FE1_T1);   // z^(2^250 - 1)
  fe1SqTimes(FE1_T1, FE1_T1, 5);                                  // z^(2^255 - 32)
  fe1Mul(o, FE1_T1, FE1_T0);                                      // z^(2^255 - 21)
}

/** Wipe this module's scratch buffers (the inversion's temporaries hold secret-derived limbs). */
export function fe1Wipe(): void {
  memory.fill(FE1_T0, 0, FE1_BYTES);
  memory.fill(FE1_T1, 0, FE1_BYTES);
  memory.fill(FE1_T2, 0, FE1_BYTES);
  memory.fill(FE1_T3, 0, FE1_BYTES);
}
