/**
 * X25519, RFC 7748 §5: the Montgomery ladder for shared secrets, and a fixed-base Edwards25519 path for
 * public keys (X25519(k, 9)), both on the two-lane field arithmetic of field25519.ts; the one division at the
 * end of each (x / z) runs on one element in integer limbs (feDivideLane0).
 *
 * Exported API (one call per operation; inputs and outputs in static buffers):
 *   x25519SharedSecret(): X25519_OUT = X25519(X25519_SCALAR, X25519_POINT); returns 1 when the result is all zero.
 *   x25519PublicKey():    X25519_OUT = X25519(X25519_SCALAR, 9).
 * Both wipe the scalar buffer, the clamped scalar and every intermediate before returning.
 *
 * Constant time (RFC 7748 §5, §7): the ladder runs 255 steps whatever the scalar, swaps with masks (cswap with
 * mask = 0 - bit), and reads the scalar at addresses that depend only on the step number. The fixed-base path
 * reads all 8 entries of a table row for every digit and keeps one with masks. No branch, loop bound or memory
 * address depends on the scalar or on an intermediate value.
 */
import { X25519_KEY_BYTES } from './constants';
import {
  FE2_BYTES, LIMB_OFFSETS, fe2Carry, fe2DecodeLane, fe2Mul, fe2MulSumDiff, fe2Sq, fe2SqA24, feDivideLane0, feMulSplit,
  feSplitPrepare, fieldWipe,
} from './field25519';
import { BASE_TABLE, ENTRY_BYTES, ROW_BYTES, ensureBaseTable } from './x25519-table';
import { EDWARDS_2D } from './x25519-table.generated';

/** Scalar input (secret; wiped by every call). */
export const X25519_SCALAR: usize = memory.data(X25519_KEY_BYTES, 16);
/** u-coordinate input of x25519SharedSecret. */
export const X25519_POINT: usize = memory.data(X25519_KEY_BYTES, 16);
/** Result (the bindings copy it out and wipe it). */
export const X25519_OUT: usize = memory.data(X25519_KEY_BYTES, 16);

const FE2: usize = <usize>FE2_BYTES;

/** Clamped scalar, RFC 7748 §5 decodeScalar25519 (secret). */
const SCALAR: usize = memory.data(X25519_KEY_BYTES, 16);

// ---------------------------------------------------------------- ladder state (secret-derived), one region

const LADDER_BYTES: i32 = 9 * FE2_BYTES + 96 + 17 * 16;
const LADDER: usize = memory.data(LADDER_BYTES, 16);
/** (x_2, x_3) and (z_2, z_3) of RFC 7748 §5 after the final cswap (X holds x_1 in lane 1 during setup). */
const X: usize = LADDER;
const Z: usize = LADDER + FE2;
/** (A, B) = (x_2 + z_2, x_2 - z_2) and (D, C) = (x_3 - z_3, x_3 + z_3). */
const AB: usize = LADDER + 2 * FE2;
const DC: usize = LADDER + 3 * FE2;
/** (DA + CB, DA - CB), ((DA + CB)^2, (DA - CB)^2). */
const SUM_DIFF: usize = LADDER + 4 * FE2;
const SQ_SUM_DIFF: usize = LADDER + 5 * FE2;
/** (AA, E) and (BB, AA + a24 E), their product (x_2, z_2) for the next step. */
const AA_E: usize = LADDER + 6 * FE2;
const BB_AA_A24E: usize = LADDER + 7 * FE2;
const X2_Z2: usize = LADDER + 8 * FE2;
/** z_3 = x_1 (DA - CB)^2 in the split layout (6 v128), and x_1 prepared for it (17 v128). */
const Z3_SPLIT: usize = LADDER + 9 * FE2;
const X1_SPLIT: usize = Z3_SPLIT + 96;


/** Lanes swapped. */
// @ts-ignore: decorator
@inline function swapLanes(a: v128): v128 { return i64x2.shuffle(a, a, 1, 0); }

/**
 * One ladder step for bit k_t, RFC 7748 §5:
 *   (x_2, x_3) = cswap(swap, x_2, x_3); (z_2, z_3) = cswap(swap, z_2, z_3);
 *   A = x_2 + z_2, AA = A^2, B = x_2 - z_2, BB = B^2, E = AA - BB, C = x_3 + z_3, D = x_3 - z_3,
 *   DA = D * A, CB = C * B, x_3 = (DA + CB)^2, z_3 = x_1 * (DA - CB)^2, x_2 = AA * BB, z_2 = E * (AA + a24 * E).
 * Lanes pair the independent operations: (AA, BB) one squaring, (DA, CB) one multiplication, the two squares of
 * DA +- CB one squaring, (x_2, z_2) one multiplication, and z_3 (no partner) a split-layout multiplication. The
 * linear steps (E, AA + a24 E, DA +- CB) run on the carried limbs before they are stored (fe2SqA24, fe2MulSumDiff).
 * The step reads the previous step's results where they were computed: x_2, z_2 in X2_Z2, x_3 in lane 0 of
 * SQ_SUM_DIFF, z_3 in Z3_SPLIT (limb i in Z3_SPLIT[i mod 6], lane i / 6). `mask` is all ones when the pairs must be
 * swapped: lane swaps selected with v128.bitselect, no branch.
 */
function ladderStep(mask: v128): void {
  for (let i: usize = 0; i < FE2; i += 16) {
    const m = v128.load(X2_Z2 + i), h = v128.load(Z3_SPLIT + (i < 96 ? i : i - 96));
    let x = i64x2.shuffle(m, v128.load(SQ_SUM_DIFF + i), 0, 2);           // (x_2, x_3)
    let z = i < 96 ? i64x2.shuffle(m, h, 1, 2) : i64x2.shuffle(m, h, 1, 3); // (z_2, z_3); i is public
    x = v128.bitselect(swapLanes(x), x, mask); // cswap(swap, x_2, x_3)
    z = v128.bitselect(swapLanes(z), z, mask); // cswap(swap, z_2, z_3)
    const sum = f64x2.add(x, z), diff = f64x2.sub(x, z); // (A, C), (B, D)
    v128.store(AB + i, i64x2.shuffle(sum, diff, 0, 2));
    v128.store(DC + i, i64x2.shuffle(diff, sum, 1, 3));
  }
  // (AA, BB) = (A, B)^2, stored as (AA, E) and (BB, AA + a24 E); (DA, CB) = (D, C) (A, B), stored as (DA + CB, DA - CB).
  fe2SqA24(AA_E, BB_AA_A24E, AB);
  fe2MulSumDiff(SUM_DIFF, DC, AB);
  fe2Sq(SQ_SUM_DIFF, SUM_DIFF); // (x_3, (DA - CB)^2)
  fe2Mul(X2_Z2, AA_E, BB_AA_A24E);  // (x_2, z_2)
  feMulSplit(Z3_SPLIT, SQ_SUM_DIFF, X1_SPLIT); // z_3 = x_1 (DA - CB)^2
}

/** RFC 7748 §5 decodeScalar25519: clear bits 0, 1, 2 and 255, set bit 254. */
function clampScalar(): void {
  memory.copy(SCALAR, X25519_SCALAR, X25519_KEY_BYTES);
  memory.fill(X25519_SCALAR, 0, X25519_KEY_BYTES);
  store<u8>(SCALAR, load<u8>(SCALAR) & 248);
  store<u8>(SCALAR, (load<u8>(SCALAR, 31) & 127) | 64, 31);
}

/** 1 when the 32 bytes at `p` are all zero, else 0, without a data-dependent branch (OR-accumulate). */
function isZero32(p: usize): i32 {
  const acc = load<u64>(p) | load<u64>(p, 8) | load<u64>(p, 16) | load<u64>(p, 24);
  return <i32>(((acc | (0 - acc)) >> 63) ^ 1);
}

/**
 * X25519_OUT = X25519(X25519_SCALAR, X25519_POINT), RFC 7748 §5. The point may be any 32 bytes: its top bit
 * is masked, values >= p are reduced by the arithmetic. Returns 1 when the output is all zero (RFC 7748 §6.1:
 * the peer sent a small-order point, which callers must reject), else 0; the output is written either way.
 */
export function x25519SharedSecret(): i32 {
  clampScalar();
  // Initial state (RFC 7748 §5): x_1 = u, x_2 = 1, z_2 = 0, x_3 = u, z_3 = 1, where ladderStep reads it.
  memory.fill(LADDER, 0, LADDER_BYTES);
  fe2DecodeLane(SQ_SUM_DIFF, X25519_POINT, 0);
  fe2Carry(SQ_SUM_DIFF, SQ_SUM_DIFF); // u balanced like a product's output (limbs were < 2^w, now < 2^(w-1))
  store<f64>(X2_Z2, 1.0);             // x_2 = 1, z_2 = 0
  store<f64>(Z3_SPLIT, 1.0);          // z_3 = 1 (limb 0)
  for (let i: usize = 0; i < FE2; i += 16) v128.store(X + i, swapLanes(v128.load(SQ_SUM_DIFF + i)));
  feSplitPrepare(X1_SPLIT, X);        // x_1 = u (read from lane 1)
  let swap: i64 = 0;
  for (let t = 254; t >= 0; t--) {
    // k_t; the address depends on t only.
    const bit = <i64>((load<u8>(SCALAR + <usize>(t >> 3)) >> <u8>(t & 7)) & 1);
    swap ^= bit;
    ladderStep(i64x2.splat(0 - swap));
    swap = bit;
  }
  // Final cswap(swap, ...) and x_2, z_2 into lane 0 of X and Z.
  const mask = i64x2.splat(0 - swap);
  for (let i: usize = 0; i < FE2; i += 16) {
    const m = v128.load(X2_Z2 + i), h = v128.load(Z3_SPLIT + (i < 96 ? i : i - 96));
    const x = i64x2.shuffle(m, v128.load(SQ_SUM_DIFF + i), 0, 2);
    const z = i < 96 ? i64x2.shuffle(m, h, 1, 2) : i64x2.shuffle(m, h, 1, 3);
    v128.store(X + i, v128.bitselect(swapLanes(x), x, mask));
    v128.store(Z + i, v128.bitselect(swapLanes(z), z, mask));
  }
  feDivideLane0(X25519_OUT, X, Z); // x_2 * z_2^(p - 2), encoded
  memory.fill(LADDER, 0, LADDER_BYTES);
  memory.fill(SCALAR, 0, X25519_KEY_BYTES);
  fieldWipe();
  return isZero32(X25519_OUT);
}

// ---------------------------------------------------------------- fixed base: Edwards25519 (public keys)
//
// X25519(k, 9) is the u-coordinate of [k]B for the Ed25519 base point B, via u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y)
// (RFC 7748 §4.1). [k]B = sum_i e_i 16^i B with signed radix-16 digits e_i in [-8, 8), from a table of
// (k + 1) 256^j B (ref10's ge25519_scalarmult_base), built on first use by x25519-table.ts. Lane 0 accumulates the odd digits, lane 1 the even ones, at the
// same time: step j adds e_(2j+1) 256^j B to lane 0 and e_(2j) 256^j B to lane 1, from the same table row. Then
// [k]B = 16 (lane 0) + (lane 1). Points are extended coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, xy = T/Z
// (Hisil, Wong, Carter, Dawson 2008); the formulas are complete on edwards25519.

const EDWARDS_BYTES: i32 = 19 * FE2_BYTES + FE2_BYTES + 64;
const EDWARDS: usize = memory.data(EDWARDS_BYTES, 16);
/** Accumulator P (lane 0: odd digits, lane 1: even digits). */
const PX: usize = EDWARDS;
const PY: usize = EDWARDS + FE2;
const PZ: usize = EDWARDS + 2 * FE2;
const PT: usize = EDWARDS + 3 * FE2;
/** Copy of P before the doublings (its lane 1 is the even-digit sum). */
const QX: usize = EDWARDS + 4 * FE2;
const QY: usize = EDWARDS + 5 * FE2;
const QZ: usize = EDWARDS + 6 * FE2;
const QT: usize = EDWARDS + 7 * FE2;
/** Selected table entries (y + x, y - x, 2dxy), one per lane. */
const NYPX: usize = EDWARDS + 8 * FE2;
const NYMX: usize = EDWARDS + 9 * FE2;
const NXY2D: usize = EDWARDS + 10 * FE2;
/** Temporaries of the addition and doubling formulas. */
const TA: usize = EDWARDS + 11 * FE2;
const TB: usize = EDWARDS + 12 * FE2;
const TC: usize = EDWARDS + 13 * FE2;
const TE: usize = EDWARDS + 14 * FE2;
const TF: usize = EDWARDS + 15 * FE2;
const TG: usize = EDWARDS + 16 * FE2;
const TH: usize = EDWARDS + 17 * FE2;
/** (2d, 2) for the final addition. */
const K2D_2: usize = EDWARDS + 18 * FE2;
/** The two selected entries as 64-bit words, interleaved by lane (12 v128), and the 64 signed digits. */
const SELECTED: usize = EDWARDS + 19 * FE2;
const DIGITS: usize = SELECTED + FE2;

const SIGN_BITS: v128 = i64x2(0x8000000000000000, 0x8000000000000000);

/** Signed radix-16 digits e_0..e_63 of the clamped scalar: e_i in [-8, 8), e_63 in [0, 8] (ref10). */
function recodeScalar(): void {
  for (let i: usize = 0; i < 32; i++) {
    const b = <i32>load<u8>(SCALAR + i);
    store<i8>(DIGITS + 2 * i, <i8>(b & 15));
    store<i8>(DIGITS + 2 * i + 1, <i8>(b >> 4));
  }
  let carry: i32 = 0;
  for (let i: usize = 0; i < 63; i++) {
    const e = <i32>load<i8>(DIGITS + i) + carry;
    carry = (e + 8) >> 4; // arithmetic shift, no branch
    store<i8>(DIGITS + i, <i8>(e - (carry << 4)));
  }
  store<i8>(DIGITS + 63, <i8>(<i32>load<i8>(DIGITS + 63) + carry));
}

/** All ones (as i64) when a == b, for a, b in [0, 255], else 0. */
// @ts-ignore: decorator
@inline function eqMask(a: i32, b: i32): i64 {
  return 0 - <i64>(<u32>((a ^ b) - 1) >> 31);
}

/**
 * NYPX, NYMX, NXY2D = e0 256^j B in lane 0 and e1 256^j B in lane 1, from row j at `row`, e in [-8, 8]:
 * the entry |e| (or the neutral element (1, 1, 0) for e = 0), negated where e < 0 (y + x and y - x swap,
 * 2dxy changes sign). Constant-time: all 8 entries are read for both lanes and masks keep one.
 */
function selectEntries(row: usize, e0: i32, e1: i32): void {
  const neg0 = <u32>e0 >> 31, neg1 = <u32>e1 >> 31;
  const abs0 = e0 - ((<i32>(0 - neg0) & e0) << 1), abs1 = e1 - ((<i32>(0 - neg1) & e1) << 1);
  // Neutral element (y + x = 1, y - x = 1, 2dxy = 0) when |e| = 0.
  const one = v128.and(i64x2(1, 0), i64x2.splat(eqMask(abs0, 0))), oneB = v128.and(i64x2(1, 0), i64x2.splat(eqMask(abs1, 0)));
  let a0 = one, a1 = i64x2.splat(0), a2 = one, a3 = i64x2.splat(0), a4 = i64x2.splat(0), a5 = i64x2.splat(0);
  let b0 = oneB, b1 = i64x2.splat(0), b2 = oneB, b3 = i64x2.splat(0), b4 = i64x2.splat(0), b5 = i64x2.splat(0);
  for (let k = 0; k < 8; k++) {
    const entry = row + <usize>k * ENTRY_BYTES;
    const m0 = i64x2.splat(eqMask(abs0, k + 1)), m1 = i64x2.splat(eqMask(abs1, k + 1));
    const v0 = v128.load(entry, 0), v1 = v128.load(entry, 16), v2 = v128.load(entry, 32);
    const v3 = v128.load(entry, 48), v4 = v128.load(entry, 64), v5 = v128.load(entry, 80);
    a0 = v128.or(a0, v128.and(v0, m0)); a1 = v128.or(a1, v128.and(v1, m0)); a2 = v128.or(a2, v128.and(v2, m0));
    a3 = v128.or(a3, v128.and(v3, m0)); a4 = v128.or(a4, v128.and(v4, m0)); a5 = v128.or(a5, v128.and(v5, m0));
    b0 = v128.or(b0, v128.and(v0, m1)); b1 = v128.or(b1, v128.and(v1, m1)); b2 = v128.or(b2, v128.and(v2, m1));
    b3 = v128.or(b3, v128.and(v3, m1)); b4 = v128.or(b4, v128.and(v4, m1)); b5 = v128.or(b5, v128.and(v5, m1));
  }
  // Interleave the two lanes word by word: SELECTED + 16 (4 c + w) = (word w of coordinate c in lane 0, in lane 1).
  v128.store(SELECTED, i64x2.shuffle(a0, b0, 0, 2), 0); v128.store(SELECTED, i64x2.shuffle(a0, b0, 1, 3), 16);
  v128.store(SELECTED, i64x2.shuffle(a1, b1, 0, 2), 32); v128.store(SELECTED, i64x2.shuffle(a1, b1, 1, 3), 48);
  v128.store(SELECTED, i64x2.shuffle(a2, b2, 0, 2), 64); v128.store(SELECTED, i64x2.shuffle(a2, b2, 1, 3), 80);
  v128.store(SELECTED, i64x2.shuffle(a3, b3, 0, 2), 96); v128.store(SELECTED, i64x2.shuffle(a3, b3, 1, 3), 112);
  v128.store(SELECTED, i64x2.shuffle(a4, b4, 0, 2), 128); v128.store(SELECTED, i64x2.shuffle(a4, b4, 1, 3), 144);
  v128.store(SELECTED, i64x2.shuffle(a5, b5, 0, 2), 160); v128.store(SELECTED, i64x2.shuffle(a5, b5, 1, 3), 176);
  // Decode both lanes at once. Every limb lies inside one 64-bit word (limbs 0-2 in word 0, 3-5 in 1, 6-8 in 2,
  // 9-11 in 3); an integer v < 2^52 becomes a double exactly as (bits(2^52) | v) - 2^52.
  const neg = i64x2.replace_lane(i64x2.splat(0 - <i64>neg0), 1, 0 - <i64>neg1);
  const magic = i64x2.splat(0x4330000000000000);
  for (let i: usize = 0; i < 12; i++) {
    const at = <u32>load<u8>(LIMB_OFFSETS + i), width = <u32>load<u8>(LIMB_OFFSETS + i + 1) - at;
    const word = SELECTED + ((<usize>at >> 6) << 4), shift = at & 63;
    const mask = i64x2.splat((<i64>1 << width) - 1), weight = f64x2.splat(reinterpret<f64>(<u64>(1023 + at) << 52));
    const ypx = f64x2.mul(f64x2.sub(v128.or(v128.and(i64x2.shr_u(v128.load(word, 0), shift), mask), magic), magic), weight);
    const ymx = f64x2.mul(f64x2.sub(v128.or(v128.and(i64x2.shr_u(v128.load(word, 64), shift), mask), magic), magic), weight);
    const xy2d = f64x2.mul(f64x2.sub(v128.or(v128.and(i64x2.shr_u(v128.load(word, 128), shift), mask), magic), magic), weight);
    // -(x, y) = (-x, y): swap y + x and y - x, negate 2dxy (flip the sign bit: exact).
    v128.store(NYPX + (i << 4), v128.bitselect(ymx, ypx, neg));
    v128.store(NYMX + (i << 4), v128.bitselect(ypx, ymx, neg));
    v128.store(NXY2D + (i << 4), v128.xor(xy2d, v128.and(neg, SIGN_BITS)));
  }
}

/**
 * P = P + N (both lanes), N = (y + x, y - x, 2dxy) affine: "madd-2008-hwcd-3" (ref10 ge_madd + ge_p1p1_to_p3).
 * A = (Y - X)(y - x), B = (Y + X)(y + x), C = T 2dxy, D = 2Z, E = B - A, F = D - C, G = D + C, H = B + A,
 * X = E F, Y = G H, Z = F G, T = E H.
 */
function addNiels(): void {
  for (let i: usize = 0; i < FE2; i += 16) {
    const x = v128.load(PX + i), y = v128.load(PY + i);
    v128.store(TA + i, f64x2.sub(y, x));
    v128.store(TB + i, f64x2.add(y, x));
  }
  fe2Mul(TA, TA, NYMX);
  fe2Mul(TB, TB, NYPX);
  fe2Mul(TC, PT, NXY2D);
  for (let i: usize = 0; i < FE2; i += 16) {
    const a = v128.load(TA + i), b = v128.load(TB + i), c = v128.load(TC + i), z = v128.load(PZ + i);
    const d = f64x2.add(z, z);
    v128.store(TE + i, f64x2.sub(b, a));
    v128.store(TF + i, f64x2.sub(d, c));
    v128.store(TG + i, f64x2.add(d, c));
    v128.store(TH + i, f64x2.add(b, a));
  }
  fe2Mul(PX, TE, TF);
  fe2Mul(PY, TG, TH);
  fe2Mul(PZ, TF, TG);
  fe2Mul(PT, TE, TH);
}

/**
 * P = 2P (both lanes), a = -1: "dbl-2008-hwcd" (ref10 ge_p2_dbl + ge_p1p1_to_p3).
 * XX = X^2, YY = Y^2, S = (X + Y)^2; E = S - (YY + XX), G = YY - XX, H = YY + XX, F = 2Z^2 - G;
 * X = E F, Y = H G, Z = G F, T = E H.
 */
function doublePoint(): void {
  for (let i: usize = 0; i < FE2; i += 16) v128.store(TC + i, f64x2.add(v128.load(PX + i), v128.load(PY + i)));
  fe2Sq(TA, PX);
  fe2Sq(TB, PY);
  fe2Sq(TC, TC);
  fe2Sq(TF, PZ);
  for (let i: usize = 0; i < FE2; i += 16) {
    const xx = v128.load(TA + i), yy = v128.load(TB + i), s = v128.load(TC + i), zz = v128.load(TF + i);
    const h = f64x2.add(yy, xx), g = f64x2.sub(yy, xx);
    v128.store(TE + i, f64x2.sub(s, h));
    v128.store(TG + i, g);
    v128.store(TH + i, h);
    v128.store(TF + i, f64x2.sub(f64x2.add(zz, zz), g));
  }
  fe2Carry(TF, TF); // 4x carried otherwise; keeps E F well inside the 2^53 bound
  fe2Mul(PX, TE, TF);
  fe2Mul(PY, TH, TG);
  fe2Mul(PZ, TG, TF);
  fe2Mul(PT, TE, TH);
}

/** X25519_OUT = X25519(X25519_SCALAR, 9) = u([k]B), RFC 7748 §5 and §6.1 (public key). */
export function x25519PublicKey(): void {
  ensureBaseTable(); // the first call builds the table from public data (x25519-table.ts)
  clampScalar();
  recodeScalar();
  // P = neutral element (0 : 1 : 1 : 0) in both lanes.
  memory.fill(PX, 0, 4 * FE2);
  store<f64>(PY, 1.0); store<f64>(PY, 1.0, 8);
  store<f64>(PZ, 1.0); store<f64>(PZ, 1.0, 8);
  for (let j: usize = 0; j < 32; j++) {
    selectEntries(BASE_TABLE + j * ROW_BYTES, <i32>load<i8>(DIGITS + 2 * j + 1), <i32>load<i8>(DIGITS + 2 * j));
    addNiels();
  }
  memory.copy(QX, PX, 4 * FE2);
  doublePoint(); doublePoint(); doublePoint(); doublePoint(); // lane 0: 16 * (odd-digit sum)
  // R = P (lane 0) + Q (lane 1), "add-2008-hwcd-3": A = (Y1 - X1)(Y2 - X2), B = (Y1 + X1)(Y2 + X2),
  // C = T1 2d T2, D = 2 Z1 Z2, F = D - C, H = B + A; then Y = G H, Z = F G, so u = (Z + Y) / (Z - Y) = (F + H) / (F - H).
  for (let i: usize = 0; i < FE2; i += 16) {
    const px = v128.load(PX + i), py = v128.load(PY + i), qx = v128.load(QX + i), qy = v128.load(QY + i);
    v128.store(TA + i, i64x2.shuffle(f64x2.sub(py, px), f64x2.add(py, px), 0, 2)); // (Y1 - X1, Y1 + X1)
    v128.store(TB + i, i64x2.shuffle(f64x2.sub(qy, qx), f64x2.add(qy, qx), 1, 3)); // (Y2 - X2, Y2 + X2)
    v128.store(TC + i, i64x2.shuffle(v128.load(PT + i), v128.load(PZ + i), 0, 2));  // (T1, Z1)
    v128.store(TE + i, i64x2.shuffle(v128.load(QT + i), v128.load(QZ + i), 1, 3));  // (T2, Z2)
  }
  memory.fill(K2D_2, 0, FE2);
  fe2DecodeLane(K2D_2, EDWARDS_2D, 0);
  store<f64>(K2D_2, 2.0, 8);
  fe2Mul(TA, TA, TB);    // (A, B)
  fe2Mul(TC, TC, TE);    // (T1 T2, Z1 Z2)
  fe2Mul(TC, TC, K2D_2); // (C, D)
  for (let i: usize = 0; i < FE2; i += 16) {
    const ab = v128.load(TA + i), cd = v128.load(TC + i);
    const f = f64x2.sub(swapLanes(cd), cd); // lane 0: D - C = F
    const h = f64x2.add(swapLanes(ab), ab); // lane 0: B + A = H
    const den = f64x2.sub(f, h), num = f64x2.add(f, h);
    v128.store(TF + i, i64x2.shuffle(den, num, 0, 2)); // (F - H, F + H)
  }
  fe2Carry(TF, TF);
  for (let i: usize = 0; i < FE2; i += 16) v128.store(TH + i, swapLanes(v128.load(TF + i))); // (F + H, F - H)
  feDivideLane0(X25519_OUT, TH, TF); // (F + H) / (F - H), encoded
  memory.fill(EDWARDS, 0, EDWARDS_BYTES);
  memory.fill(SCALAR, 0, X25519_KEY_BYTES);
  fieldWipe();
}
