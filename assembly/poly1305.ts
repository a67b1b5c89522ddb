/**
 * Poly1305, RFC 8439 §2.5, in radix 2^26: the accumulator h and the key r are five 26-bit limbs,
 * products are u64. Long inputs run two blocks at a time in SIMD (one i64x2 lane per block);
 * leftovers and short inputs run one block at a time in scalar code. Both compute the same value.
 *
 * Limb arithmetic: a product h_i * r_j with i + j = 5 + k sits at 2^(130 + 26k), and 2^130 = 5 mod p,
 * so it is added to limb k as h_i * (5 * r_j). Between blocks the limbs are only partially carried
 * but stay below 2^28 (with the message limb added), multipliers r_j (of r or r^2) stay below
 * 2^26 + 2^7 and 5 * r_j below 2^28.4, so each product is < 2^57 and a sum of five < 2^60:
 * no u64 overflows.
 *
 * Two-way SIMD (Horner's rule split in two): lane A absorbs blocks 1, 3, 5, ... and lane B blocks
 * 2, 4, 6, ..., each lane multiplying by r^2 per pair; the last pair multiplies lane A by r^2 and
 * lane B by r, so A + B = sum of m_j * r^(n - j + 1), the same polynomial as block-by-block §2.5.
 *
 * Constant-time: multiplications, additions, shifts and masks only; carries are propagated
 * unconditionally and the final reduction selects with a mask (§2.5). Branches and loop bounds
 * depend only on lengths, which are public.
 *
 * A context (POLY1305_CONTEXT_BYTES) holds key material; its owner wipes it when the MAC is done:
 *   [0, 20)    r0..r4, the clamped r (u32 limbs)
 *   [20, 36)   s, the second half of the one-time key (little-endian bytes)
 *   [36, 56)   h0..h4, the accumulator (u32 limbs)
 *   [56, 60)   1 once the multiplier tables below are filled (u32)
 *   [64, 208)  multipliers for every pair but the last: per limb k an i32x4 [r2_k, r2_k, 0, 0]
 *              (r2 = r^2 mod p), then [5 r2_k, 5 r2_k, 0, 0] for k = 1..4
 *   [208, 352) multipliers for the last pair: [r2_k, r_k, 0, 0], then [5 r2_k, 5 r_k, 0, 0]
 */
import { POLY1305_TAG_BYTES } from './constants';

/** Bytes of a Poly1305 context (see above). */
export const POLY1305_CONTEXT_BYTES: usize = 352;

const R: usize = 0;
const S: usize = 20;
const H: usize = 36;
/** u32: 1 once the multiplier tables below are filled for this key. */
const HAVE_POWERS: usize = 56;
const PAIR: usize = 64;
const LAST_PAIR: usize = 208;
const M26: u32 = 0x3ffffff;
const MASK32: u64 = 0xffffffff;
/**
 * Shortest run of blocks worth the SIMD path and its r^2 tables. Measured per raw MAC call (incl.
 * tables): 4 blocks 89 ns scalar vs 103 SIMD, 8 blocks 125 vs 125, 12 blocks 163 vs 148.
 */
const SIMD_MIN_BLOCKS: usize = 8;

/** One zero-padded partial block (message-derived: wiped by `polyWipeScratch`). */
const BLOCK: usize = memory.data(POLY1305_TAG_BYTES, 16);
/** Constants of the SIMD loop, loaded from memory where used: 26-bit mask, 2^24 (the 2^128 bit of limb 4). */
const SIMD_CONSTANTS: usize = memory.data<u64>([0x3ffffff, 0x3ffffff, 1 << 24, 1 << 24], 16);

/**
 * Absorb `blocks` 16-byte blocks at `m` one at a time: h = (h + block + hibit * 2^128) * r,
 * partially reduced (§2.5). `hibit` is 1 for full blocks (the appended 0x01 byte of §2.5 sits at
 * 2^128) and 0 only for the raw-MAC tail block, which carries its 0x01 byte inside the 16 bytes.
 */
function polyBlocksScalar(ctx: usize, m: usize, blocks: usize, hibit: u32): void {
  const r0 = <u64>load<u32>(ctx, R), r1 = <u64>load<u32>(ctx, R + 4), r2 = <u64>load<u32>(ctx, R + 8);
  const r3 = <u64>load<u32>(ctx, R + 12), r4 = <u64>load<u32>(ctx, R + 16);
  const s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
  let h0 = load<u32>(ctx, H), h1 = load<u32>(ctx, H + 4), h2 = load<u32>(ctx, H + 8);
  let h3 = load<u32>(ctx, H + 12), h4 = load<u32>(ctx, H + 16);
  const top = hibit << 24;
  const end = m + (blocks << 4);
  while (m < end) {
    // h += block: limb k is bits 26k .. 26k + 25 of the little-endian block, read with a 32-bit load
    // at byte 26k / 8 shifted by 26k mod 8; the 2^128 bit is bit 24 of limb 4.
    h0 += load<u32>(m, 0) & M26;
    h1 += (load<u32>(m, 3) >> 2) & M26;
    h2 += (load<u32>(m, 6) >> 4) & M26;
    h3 += (load<u32>(m, 9) >> 6) & M26;
    h4 += (load<u32>(m, 12) >> 8) | top;
    // h *= r, limbs from 2^130 up folded back times 5.
    const g0 = <u64>h0, g1 = <u64>h1, g2 = <u64>h2, g3 = <u64>h3, g4 = <u64>h4;
    let d0 = g0 * r0 + g1 * s4 + g2 * s3 + g3 * s2 + g4 * s1;
    let d1 = g0 * r1 + g1 * r0 + g2 * s4 + g3 * s3 + g4 * s2;
    let d2 = g0 * r2 + g1 * r1 + g2 * r0 + g3 * s4 + g4 * s3;
    let d3 = g0 * r3 + g1 * r2 + g2 * r1 + g3 * r0 + g4 * s4;
    let d4 = g0 * r4 + g1 * r3 + g2 * r2 + g3 * r1 + g4 * r0;
    // Carry into 26-bit limbs; the carry out of limb 4 comes back into limb 0 times 5.
    d1 += d0 >> 26;
    d2 += d1 >> 26;
    d3 += d2 >> 26;
    d4 += d3 >> 26;
    d0 = (d0 & M26) + (d4 >> 26) * 5;
    h0 = <u32>d0 & M26;
    h1 = (<u32>d1 & M26) + <u32>(d0 >> 26);
    h2 = <u32>d2 & M26; h3 = <u32>d3 & M26; h4 = <u32>d4 & M26;
    m += 16;
  }
  store<u32>(ctx, h0, H); store<u32>(ctx, h1, H + 4); store<u32>(ctx, h2, H + 8);
  store<u32>(ctx, h3, H + 12); store<u32>(ctx, h4, H + 16);
}

/**
 * One full block (2^128 bit set) at `m` into the context's h, in memory: the same step as
 * polyBlocksScalar, with h, r and 5 r loaded from and h stored back to the context so that it
 * can be inlined into the ChaCha20 quad loop (chachaXorQuadsMac) without holding GPRs across it.
 */
// @ts-ignore: decorator
@inline
export function polyBlockInPlace(ctx: usize, m: usize): void {
  const r0 = <u64>load<u32>(ctx, R), r1 = <u64>load<u32>(ctx, R + 4), r2 = <u64>load<u32>(ctx, R + 8);
  const r3 = <u64>load<u32>(ctx, R + 12), r4 = <u64>load<u32>(ctx, R + 16);
  const s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
  const g0 = <u64>(load<u32>(ctx, H) + (load<u32>(m, 0) & M26));
  const g1 = <u64>(load<u32>(ctx, H + 4) + ((load<u32>(m, 3) >> 2) & M26));
  const g2 = <u64>(load<u32>(ctx, H + 8) + ((load<u32>(m, 6) >> 4) & M26));
  const g3 = <u64>(load<u32>(ctx, H + 12) + ((load<u32>(m, 9) >> 6) & M26));
  const g4 = <u64>(load<u32>(ctx, H + 16) + ((load<u32>(m, 12) >> 8) | (1 << 24)));
  let d0 = g0 * r0 + g1 * s4 + g2 * s3 + g3 * s2 + g4 * s1;
  let d1 = g0 * r1 + g1 * r0 + g2 * s4 + g3 * s3 + g4 * s2;
  let d2 = g0 * r2 + g1 * r1 + g2 * r0 + g3 * s4 + g4 * s3;
  let d3 = g0 * r3 + g1 * r2 + g2 * r1 + g3 * r0 + g4 * s4;
  let d4 = g0 * r4 + g1 * r3 + g2 * r2 + g3 * r1 + g4 * r0;
  d1 += d0 >> 26;
  d2 += d1 >> 26;
  d3 += d2 >> 26;
  d4 += d3 >> 26;
  d0 = (d0 & M26) + (d4 >> 26) * 5;
  store<u32>(ctx, <u32>d0 & M26, H);
  store<u32>(ctx, (<u32>d1 & M26) + <u32>(d0 >> 26), H + 4);
  store<u32>(ctx, <u32>d2 & M26, H + 8);
  store<u32>(ctx, <u32>d3 & M26, H + 12);
  store<u32>(ctx, <u32>d4 & M26, H + 16);
}

// @ts-ignore: decorator
@inline function mul(h: v128, ctx: usize, offset: usize): v128 {
  return i64x2.extmul_low_i32x4_u(h, v128.load(ctx + offset));
}
// @ts-ignore: decorator
@inline function toLanes(h: v128): v128 {
  // i64x2 [a, b] (values < 2^32) to i32x4 [a, b, a, b], the operand form of extmul_low.
  return i32x4.shuffle(h, h, 0, 2, 0, 2);
}

/**
 * Absorb `pairs` * 2 full blocks at `m` two-way in SIMD (see the header), with the 2^128 bit set.
 * Lane A starts from the context's h, lane B from 0; on return h = A + B (partially reduced).
 */
function polyPairsSimd(ctx: usize, m: usize, pairs: usize): void {
  // Multiplier offsets: r^2 for both lanes, and [r^2, r] for the last pair.
  let k: usize = ctx + PAIR;
  let h0 = v128.load32_zero(ctx, H), h1 = v128.load32_zero(ctx, H + 4), h2 = v128.load32_zero(ctx, H + 8);
  let h3 = v128.load32_zero(ctx, H + 12), h4 = v128.load32_zero(ctx, H + 16);
  const end = m + (pairs << 5);
  while (m < end) {
    if (m + 32 == end) k = ctx + LAST_PAIR;
    // Split two blocks into 26-bit limbs, one block per i64 lane (bits 26k .. 26k + 25 of each block).
    const a = v128.load(m, 0), b = v128.load(m, 16);
    const lo = i64x2.shuffle(a, b, 0, 2), hi = i64x2.shuffle(a, b, 1, 3);
    const mask = v128.load(SIMD_CONSTANTS, 0);
    h0 = i64x2.add(h0, v128.and(lo, mask));
    h1 = i64x2.add(h1, v128.and(i64x2.shr_u(lo, 26), mask));
    h2 = i64x2.add(h2, v128.and(v128.or(i64x2.shr_u(lo, 52), i64x2.shl(hi, 12)), mask));
    h3 = i64x2.add(h3, v128.and(i64x2.shr_u(hi, 14), mask));
    h4 = i64x2.add(h4, v128.or(i64x2.shr_u(hi, 40), v128.load(SIMD_CONSTANTS, 16)));
    // h *= multiplier, per lane; offsets: limb j of r at 16 j, 5 * limb j at 64 + 16 j (j >= 1).
    const g0 = toLanes(h0), g1 = toLanes(h1), g2 = toLanes(h2), g3 = toLanes(h3), g4 = toLanes(h4);
    let d0 = i64x2.add(i64x2.add(i64x2.add(i64x2.add(mul(g0, k, 0), mul(g1, k, 128)), mul(g2, k, 112)), mul(g3, k, 96)), mul(g4, k, 80));
    let d1 = i64x2.add(i64x2.add(i64x2.add(i64x2.add(mul(g0, k, 16), mul(g1, k, 0)), mul(g2, k, 128)), mul(g3, k, 112)), mul(g4, k, 96));
    let d2 = i64x2.add(i64x2.add(i64x2.add(i64x2.add(mul(g0, k, 32), mul(g1, k, 16)), mul(g2, k, 0)), mul(g3, k, 128)), mul(g4, k, 112));
    let d3 = i64x2.add(i64x2.add(i64x2.add(i64x2.add(mul(g0, k, 48), mul(g1, k, 32)), mul(g2, k, 16)), mul(g3, k, 0)), mul(g4, k, 128));
    let d4 = i64x2.add(i64x2.add(i64x2.add(i64x2.add(mul(g0, k, 64), mul(g1, k, 48)), mul(g2, k, 32)), mul(g3, k, 16)), mul(g4, k, 0));
    // Carry in two interleaved chains (0 -> 1 -> 2 -> 3 and 3 -> 4 -> 0 -> 1) for shorter latency.
    d1 = i64x2.add(d1, i64x2.shr_u(d0, 26)); d0 = v128.and(d0, mask);
    d4 = i64x2.add(d4, i64x2.shr_u(d3, 26)); d3 = v128.and(d3, mask);
    d2 = i64x2.add(d2, i64x2.shr_u(d1, 26)); d1 = v128.and(d1, mask);
    const c4 = i64x2.shr_u(d4, 26); d4 = v128.and(d4, mask);
    d0 = i64x2.add(d0, i64x2.add(c4, i64x2.shl(c4, 2)));
    d3 = i64x2.add(d3, i64x2.shr_u(d2, 26)); d2 = v128.and(d2, mask);
    d1 = i64x2.add(d1, i64x2.shr_u(d0, 26)); d0 = v128.and(d0, mask);
    d4 = i64x2.add(d4, i64x2.shr_u(d3, 26)); d3 = v128.and(d3, mask);
    h0 = d0; h1 = d1; h2 = d2; h3 = d3; h4 = d4;
    m += 32;
  }
  // h = A + B, limbs below 2^27 (the scalar code and polyFinish accept that).
  store<u32>(ctx, <u32>(i64x2.extract_lane(h0, 0) + i64x2.extract_lane(h0, 1)), H);
  store<u32>(ctx, <u32>(i64x2.extract_lane(h1, 0) + i64x2.extract_lane(h1, 1)), H + 4);
  store<u32>(ctx, <u32>(i64x2.extract_lane(h2, 0) + i64x2.extract_lane(h2, 1)), H + 8);
  store<u32>(ctx, <u32>(i64x2.extract_lane(h3, 0) + i64x2.extract_lane(h3, 1)), H + 12);
  store<u32>(ctx, <u32>(i64x2.extract_lane(h4, 0) + i64x2.extract_lane(h4, 1)), H + 16);
}

/** Key the context with the 32-byte one-time key r || s at `key` (§2.5): clamp r, keep s, h = 0. */
export function polyInit(ctx: usize, key: usize): void {
  // Clamping (§2.5): clear the top 4 bits of bytes 3, 7, 11, 15 and the low 2 bits of bytes 4, 8, 12.
  const t0 = load<u32>(key, 0) & 0x0fffffff, t1 = load<u32>(key, 4) & 0x0ffffffc;
  const t2 = load<u32>(key, 8) & 0x0ffffffc, t3 = load<u32>(key, 12) & 0x0ffffffc;
  store<u32>(ctx, t0 & M26, R);
  store<u32>(ctx, ((t0 >> 26) | (t1 << 6)) & M26, R + 4);
  store<u32>(ctx, ((t1 >> 20) | (t2 << 12)) & M26, R + 8);
  store<u32>(ctx, ((t2 >> 14) | (t3 << 18)) & M26, R + 12);
  store<u32>(ctx, t3 >> 8, R + 16);
  memory.copy(ctx + S, key + 16, 16);
  memory.fill(ctx + H, 0, 20);
  store<u32>(ctx, 0, HAVE_POWERS);
}

/** Fill the SIMD multiplier tables (r^2 and r, see the header); done once per key, on first need. */
function computePowers(ctx: usize): void {
  // r^2 = (0 + r) * r: one scalar step on a zero block with no 2^128 bit, from h = r (h saved around it).
  const h0 = load<u64>(ctx, H), h1 = load<u64>(ctx, H + 8), h2 = load<u32>(ctx, H + 16);
  memory.copy(ctx + H, ctx + R, 20);
  memory.fill(BLOCK, 0, 16);
  polyBlocksScalar(ctx, BLOCK, 1, 0);
  for (let j: usize = 0; j < 5; j++) {
    const r = load<u32>(ctx + R + (j << 2));
    const r2 = load<u32>(ctx + H + (j << 2));
    v128.store(ctx + PAIR + (j << 4), i32x4(r2, r2, 0, 0));
    v128.store(ctx + LAST_PAIR + (j << 4), i32x4(r2, r, 0, 0));
    if (j != 0) {
      v128.store(ctx + PAIR + 64 + (j << 4), i32x4(r2 * 5, r2 * 5, 0, 0));
      v128.store(ctx + LAST_PAIR + 64 + (j << 4), i32x4(r2 * 5, r * 5, 0, 0));
    }
  }
  store<u64>(ctx, h0, H); store<u64>(ctx, h1, H + 8); store<u32>(ctx, h2, H + 16);
  store<u32>(ctx, 1, HAVE_POWERS);
}

/**
 * Absorb `blocks` 16-byte blocks at `m` (see polyBlocksScalar for `hibit`). Runs of at least
 * SIMD_MIN_BLOCKS full blocks go two-way SIMD; shorter ones do not pay for the r^2 tables.
 */
export function polyBlocks(ctx: usize, m: usize, blocks: usize, hibit: u32): void {
  if (hibit != 0 && blocks >= SIMD_MIN_BLOCKS) {
    if (load<u32>(ctx, HAVE_POWERS) == 0) computePowers(ctx);
    const pairs = blocks >> 1;
    polyPairsSimd(ctx, m, pairs);
    m += pairs << 5;
    blocks &= 1;
  }
  if (blocks != 0) polyBlocksScalar(ctx, m, blocks, hibit);
}

/**
 * Absorb `len` bytes: the full blocks, then the partial last block (if any) zero-padded to 16 bytes.
 * `tailHibit` 1: the padded block counts as a full block (AEAD pad16, §2.8); 0: a 0x01 byte follows
 * the message bytes inside the block instead (raw MAC, §2.5).
 */
function polyUpdate(ctx: usize, data: usize, len: usize, tailHibit: u32): void {
  const blocks = len >> 4;
  if (blocks != 0) polyBlocks(ctx, data, blocks, 1);
  const rest = len & 15;
  if (rest != 0) {
    memory.fill(BLOCK, 0, 16);
    memory.copy(BLOCK, data + (blocks << 4), rest);
    if (tailHibit == 0) store<u8>(BLOCK + rest, 1);
    polyBlocksScalar(ctx, BLOCK, 1, tailHibit);
  }
}

/**
 * Absorb `len` bytes at `data` followed by zero padding to a multiple of 16 (the pad16 of the
 * AEAD construction, §2.8). Only the last call of a stream may have a length that is not a
 * multiple of 16.
 */
export function polyUpdatePadded(ctx: usize, data: usize, len: usize): void {
  polyUpdate(ctx, data, len, 1);
}

/** Absorb a whole raw message (§2.5): its partial last block gets the 0x01 byte appended. */
export function polyUpdateMessage(ctx: usize, data: usize, len: usize): void {
  polyUpdate(ctx, data, len, 0);
}

/** Finish (§2.5): tag = ((h mod p) + s) mod 2^128, 16 bytes little-endian to `out`. */
export function polyFinish(ctx: usize, out: usize): void {
  // Limbs (each below 2^28) to 32-bit words h0..h3 and h4 = bits 128 and up, adding (not ORing)
  // so that limbs above 26 bits carry correctly.
  let a = <u64>load<u32>(ctx, H) + (<u64>load<u32>(ctx, H + 4) << 26);
  let h0 = a & MASK32;
  a = (a >> 32) + (<u64>load<u32>(ctx, H + 8) << 20);
  let h1 = a & MASK32;
  a = (a >> 32) + (<u64>load<u32>(ctx, H + 12) << 14);
  let h2 = a & MASK32;
  a = (a >> 32) + (<u64>load<u32>(ctx, H + 16) << 8);
  let h3 = a & MASK32;
  let h4 = a >> 32;
  // Fold the bits from 2^130 up back in times 5 (2^130 = 5 mod p). Afterwards h < 2^130 + 5 < 2p
  // (h4 can exceed 3 only by a carry out of words that then hold less than 5), so h mod p is h or h - p.
  let d0 = h0 + (h4 >> 2) * 5;
  h4 &= 3;
  let d1 = h1 + (d0 >> 32);
  let d2 = h2 + (d1 >> 32);
  let d3 = h3 + (d2 >> 32);
  h4 += d3 >> 32;
  h0 = d0 & MASK32; h1 = d1 & MASK32; h2 = d2 & MASK32; h3 = d3 & MASK32;
  // g = h + 5 = h - p + 2^130. h >= p exactly when g reaches 2^130 (bit 2 of g4 or above).
  const g0 = h0 + 5;
  const g1 = h1 + (g0 >> 32);
  const g2 = h2 + (g1 >> 32);
  const g3 = h3 + (g2 >> 32);
  const g4 = h4 + (g3 >> 32);
  // Constant-time select (no branch on the secret h): mask is all ones when h >= p.
  const mask = <u64>0 - (g4 >> 2);
  h0 = (h0 & ~mask) | (g0 & MASK32 & mask);
  h1 = (h1 & ~mask) | (g1 & MASK32 & mask);
  h2 = (h2 & ~mask) | (g2 & MASK32 & mask);
  h3 = (h3 & ~mask) | (g3 & MASK32 & mask);
  // tag = (h + s) mod 2^128, the carry out of bit 128 dropped.
  d0 = h0 + <u64>load<u32>(ctx, S);
  d1 = h1 + <u64>load<u32>(ctx, S + 4) + (d0 >> 32);
  d2 = h2 + <u64>load<u32>(ctx, S + 8) + (d1 >> 32);
  d3 = h3 + <u64>load<u32>(ctx, S + 12) + (d2 >> 32);
  store<u32>(out, <u32>d0, 0); store<u32>(out, <u32>d1, 4);
  store<u32>(out, <u32>d2, 8); store<u32>(out, <u32>d3, 12);
}

/** Wipe the partial-block scratch (call at the end of every exported operation). */
export function polyWipeScratch(): void {
  memory.fill(BLOCK, 0, POLY1305_TAG_BYTES);
}
