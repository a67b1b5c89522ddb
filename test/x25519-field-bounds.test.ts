/**
 * The exactness argument of assembly/field25519.ts, re-derived: a worst-case bound model of every
 * multiplication, squaring and carry that assembly/x25519.ts performs.
 *
 * Limb i of an element is u_i * 2^off(i) with u_i an integer; the f64 arithmetic is exact as long as every
 * column of a product stays below 2^53 units of its weight. The model tracks max |u_i| per limb through the
 * operations in the order x25519.ts applies them and fails if any column could reach 2^53 or any carry
 * could leave its exact range. (This checks the design; the vectors and the differential suite check the code.)
 */
import { describe, expect, it } from 'vitest';

const LIMBS = 12;
const OFF = Array.from({ length: LIMBS + 1 }, (_, i) => Math.ceil(21.25 * i));
const WIDTH = OFF.slice(1).map((o, i) => o - OFF[i]!);
const EXACT = 2 ** 53;

type Bound = number[];

/** Column bounds of f * g with folding by 19 * 2^-255; throws if any column could be inexact. */
function columns(f: Bound, g: Bound): Bound {
  const out: Bound = [];
  for (let k = 0; k < LIMBS; k++) {
    let sum = 0;
    for (let i = 0; i < LIMBS; i++) {
      const folded = k - i < 0;
      const j = folded ? k - i + LIMBS : k - i;
      // The product's weight is 2^(off(i) + off(j)) (2^(off(i) + off(j) - 255) when folded); in units of
      // 2^off(k) it is an integer factor 2^excess, excess >= 0.
      const excess = OFF[i]! + OFF[j]! - (folded ? 255 : 0) - OFF[k]!;
      if (excess < 0 || excess > 1) throw new Error(`weight of f${i} g${j} does not fit column ${k}`);
      sum += f[i]! * g[j]! * 2 ** excess * (folded ? 19 : 1);
    }
    if (sum >= EXACT) throw new Error(`column ${k} may reach 2^${Math.log2(sum).toFixed(2)} >= 2^53`);
    out.push(sum);
  }
  return out;
}

/** Bound after fe2Carry / feMulSplit's carry: rounds (0,3,6,9) (1,4,7,10) (2,5,8,11) (3,6,9,0), k -> k + 1. */
function carry(h: Bound): Bound {
  const b = [...h];
  for (const round of [[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8, 11], [3, 6, 9, 0]]) {
    for (const k of round) {
      // (x + 3 * 2^(51 + off(k+1))) - 3 * 2^(51 + off(k+1)) rounds x exactly when |x| < 2^(51 + off(k+1)).
      if (b[k]! >= 2 ** (51 + WIDTH[k]!)) throw new Error(`carry precondition fails at limb ${k}`);
      const carried = b[k]! / 2 ** WIDTH[k]! + 0.5; // in units of limb k + 1
      b[k] = Math.min(b[k]!, 2 ** (WIDTH[k]! - 1));
      if (k === LIMBS - 1) b[0]! += 19 * carried;
      else b[k + 1]! += carried;
    }
  }
  return b;
}

/** One round of carries from every limb at once (x25519.ts, before the multiplication by (BB, AA + a24 E)). */
function carryOnce(h: Bound): Bound {
  return h.map((x, k) => {
    if (x >= 2 ** (51 + WIDTH[k]!)) throw new Error(`carry precondition fails at limb ${k}`);
    const from = k === 0 ? LIMBS - 1 : k - 1;
    const incoming = (h[from]! / 2 ** WIDTH[from]! + 0.5) * (k === 0 ? 19 : 1);
    return Math.min(x, 2 ** (WIDTH[k]! - 1)) + incoming;
  });
}

const add = (a: Bound, b: Bound): Bound => a.map((x, i) => x + b[i]!);
const scale = (a: Bound, s: number): Bound => a.map((x) => x * s);
const max = (...bounds: Bound[]): Bound => bounds[0]!.map((_, i) => Math.max(...bounds.map((b) => b[i]!)));
const log2Max = (b: Bound): number => Math.log2(Math.max(...b));

/** Every product output: the carry of the largest columns any product can produce (just under 2^53). */
const CARRIED = carry(Array<number>(LIMBS).fill(EXACT));
/** A decoded 32-byte value (u, a table coordinate, 2d): limb i below 2^width(i). */
const DECODED = WIDTH.map((w) => 2 ** w - 1);
/** Small constants stored directly into limb 0: 1 and 2. */
const SMALL: Bound = [2, ...Array<number>(LIMBS - 1).fill(0)];

/** A product whose output is carried: checks the columns, returns the carried bound. */
function mul(f: Bound, g: Bound): Bound {
  columns(f, g);
  return CARRIED;
}

describe('x25519 field arithmetic: exactness bounds', () => {
  it('a carried limb is at most 2^(width - 1) + 2^15 units, whatever product it came from', () => {
    CARRIED.forEach((b, i) => expect(b).toBeLessThanOrEqual(2 ** (WIDTH[i]! - 1) + 2 ** 15));
  });

  it('headroom: products of 2x, 3x and 4x carried operands stay below 2^53', () => {
    expect(log2Max(columns(scale(CARRIED, 2), scale(CARRIED, 2)))).toBeLessThan(51.1);
    expect(log2Max(columns(scale(CARRIED, 3), scale(CARRIED, 3)))).toBeLessThan(52.2);
    expect(log2Max(columns(scale(CARRIED, 4), scale(CARRIED, 4)))).toBeLessThan(53);
    expect(() => columns(scale(CARRIED, 5), scale(CARRIED, 5))).toThrow(/2\^53/);
  });

  it('Montgomery ladder step (x25519SharedSecret)', () => {
    // x_1 = u is carried after decoding; (x_2, x_3) and (z_2, z_3) are products, u, 1 or 0.
    const x1 = carry(DECODED);
    const x = max(CARRIED, x1, SMALL);
    const z = max(CARRIED, x1, SMALL);
    const ab = add(x, z); // (A, B) and (D, C): sums and differences of the two lanes
    const sqAB = mul(ab, ab);
    const daCb = mul(ab, ab);
    const sumDiff = add(daCb, daCb); // (DA + CB, DA - CB)
    const sqSumDiff = mul(sumDiff, sumDiff);
    const aaE = add(sqAB, sqAB); // (AA, E = AA - BB)
    const a24 = carryOnce(add(sqAB, scale(add(sqAB, sqAB), 121665))); // (BB, AA + a24 E), one carry round
    expect(log2Max(add(sqAB, scale(add(sqAB, sqAB), 121665)))).toBeLessThan(40);
    a24.forEach((b, i) => expect(b).toBeLessThan(2.2 * 2 ** (WIDTH[i]! - 1))); // limb 0 takes 19x the top carry
    mul(aaE, a24); // (x_2, z_2)
    mul(sqSumDiff, x1); // z_3 = x_1 (DA - CB)^2, split layout: the same columns
    // x_2 / z_2 is encoded from these carried products and computed in integer limbs (next suite).
  });

  it('fixed-base path (x25519PublicKey): mixed additions, doublings, final addition', () => {
    const p = max(CARRIED, SMALL); // X, Y, Z, T: products or the neutral element
    const niels = DECODED; // y + x, y - x, 2dxy from the table (negation keeps the bound)
    // addNiels
    const a = mul(add(p, p), niels);
    const b = mul(add(p, p), niels);
    const c = mul(p, niels);
    const d = add(p, p);
    const e = add(b, a);
    const f = add(d, c);
    const g = add(d, c);
    const h = add(b, a);
    mul(e, f);
    mul(g, h);
    mul(f, g);
    mul(e, h);
    // doublePoint
    const xx = mul(p, p);
    const yy = mul(p, p);
    const s = mul(add(p, p), add(p, p));
    const zz = mul(p, p);
    const dh = add(yy, xx);
    const dg = add(yy, xx);
    const de = add(s, dh);
    const df = carry(add(add(zz, zz), dg)); // carried before use
    mul(de, df);
    mul(dh, dg);
    mul(dg, df);
    mul(de, dh);
    // final addition: (Y1 -+ X1)(Y2 -+ X2), (T1, Z1)(T2, Z2), then x (2d, 2)
    mul(add(p, p), add(p, p));
    const tz = mul(p, p);
    const cd = mul(tz, max(DECODED, SMALL));
    const ab2 = mul(add(p, p), add(p, p));
    const fh = add(add(cd, cd), add(ab2, ab2)); // F -+ H with F = D - C, H = B + A
    carry(fh); // carried, then encoded for the integer inversion
  });

});

/**
 * The integer field of assembly/field25519-int.ts (ref10 limbs): 10 limbs of 26/25 bits, i64 products with g_j * 19
 * and f_odd * 2 folded in. Every column must stay below 2^63 (i64, signed: the bound is on the sum of absolute
 * values, so every partial sum also fits). Used by the inversion of both X25519 paths (feDivideLane0) and by the
 * fixed-base table builder (x25519-table.ts).
 */
describe('x25519 integer field (ref10 limbs): i64 bounds', () => {
  const OFF10 = [0, 26, 51, 77, 102, 128, 153, 179, 204, 230, 255];
  const W10 = OFF10.slice(1).map((o, i) => o - OFF10[i]!);
  const I64 = 2 ** 63;

  function columns10(f: Bound, g: Bound): Bound {
    const out: Bound = [];
    for (let k = 0; k < 10; k++) {
      let sum = 0;
      for (let i = 0; i < 10; i++) {
        const folded = k - i < 0;
        const j = folded ? k - i + 10 : k - i;
        const excess = OFF10[i]! + OFF10[j]! - (folded ? 255 : 0) - OFF10[k]!; // 0, or 1 for odd i and odd j
        if (excess < 0 || excess > 1) throw new Error(`weight of f${i} g${j} does not fit column ${k}`);
        sum += f[i]! * g[j]! * 2 ** excess * (folded ? 19 : 1);
      }
      if (sum >= I64) throw new Error(`column ${k} may overflow i64 (2^${Math.log2(sum).toFixed(2)})`);
      out.push(sum);
    }
    return out;
  }
  /** fe1CarryStore: c = (h + 2^(w-1)) >> w leaves |h| <= 2^(w-1) and moves |c| <= |h| / 2^w + 1/2 on, in this order. */
  function carry10(h: Bound): Bound {
    const b = [...h];
    for (const k of [0, 4, 1, 5, 2, 6, 3, 7, 4, 8, 9, 0]) {
      if (b[k]! + 2 ** (W10[k]! - 1) >= I64) throw new Error(`carry input of limb ${k} may overflow i64`);
      const carried = b[k]! / 2 ** W10[k]! + 0.5;
      b[k] = Math.min(b[k]!, 2 ** (W10[k]! - 1));
      if (k === 9) b[0]! += 19 * carried;
      else b[k + 1]! += carried;
    }
    return b;
  }
  const add10 = (a: Bound, b: Bound): Bound => a.map((x, i) => x + b[i]!);
  /** Every product output: the carry of the largest columns any product may have (just under 2^63). */
  const CARRIED10 = carry10(Array<number>(10).fill(I64 - 2 ** 40));
  /** fe1FromBytes: limbs unsigned below 2^26 / 2^25 (u with bit 255 masked, and the encoded FE2 lanes). */
  const DECODED10 = W10.map((w) => 2 ** w - 1);
  const ONE: Bound = [1, ...Array<number>(9).fill(0)];
  const mul10 = (f: Bound, g: Bound): Bound => {
    columns10(f, g);
    return CARRIED10;
  };

  it('a carried limb is within 2^(w - 1) + 2^17 whatever product it came from (ref10: 1.1 * 2^(w - 1))', () => {
    CARRIED10.forEach((b, i) => expect(b).toBeLessThanOrEqual(2 ** (W10[i]! - 1) + 2 ** 17));
    CARRIED10.forEach((b, i) => expect(b).toBeLessThan(1.01 * 2 ** (W10[i]! - 1)));
  });

  it('headroom: products of 2x, 4x and 8x carried operands and of decoded operands stay below 2^63, 16x does not', () => {
    const x2 = add10(CARRIED10, CARRIED10), x4 = add10(x2, x2), x8 = add10(x4, x4), x16 = add10(x8, x8);
    expect(log2Max(columns10(x2, x2))).toBeLessThan(59);
    expect(log2Max(columns10(x4, x4))).toBeLessThan(61);
    expect(log2Max(columns10(DECODED10, DECODED10))).toBeLessThan(59);
    expect(log2Max(columns10(x8, x8))).toBeLessThan(63);
    expect(() => columns10(x16, x16)).toThrow(/overflow i64/);
  });

  it('inversion (feDivideLane0): decoded or carried inputs, chains of products', () => {
    let carried = carry10(columns10(DECODED10, DECODED10));
    for (let i = 0; i < 4; i++) carried = carry10(columns10(carried, carried));
    expect(log2Max(columns10(carried, DECODED10))).toBeLessThan(60);
    carried.forEach((b, i) => expect(b).toBeLessThan(1.1 * 2 ** W10[i]!));
    mul10(CARRIED10, CARRIED10); // every multiplication of the chain after the first
  });
});
