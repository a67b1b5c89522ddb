/**
 * Keccak-f[1600] and the sponge, FIPS 202 §3 and §4; SHA3-256, SHA3-512, SHAKE128 and SHAKE256 (§6) are
 * sponges with the rates and suffixes of assembly/constants.ts. Used by the exported SHA-3 API below and by
 * ML-KEM (assembly/mlkem.ts).
 *
 * Constant-time by construction: the permutation is XORs, ANDs, NOTs and fixed rotations of 64-bit lanes;
 * every loop bound, branch and address depends on lengths and positions, never on the data.
 *
 * A context is KECCAK_CONTEXT_BYTES of WASM memory:
 *   [0, 200)   the state, lane x + 5y as a little-endian u64 at 8 (x + 5y) (§3.1.2 byte order, WASM's own)
 *   [200, 204) position: bytes absorbed into, or squeezed from, the current block (u32)
 *   [204, 208) rate in bytes; [208, 212) suffix byte (§6.1, §6.2); [212, 216) 1 once squeezing has begun
 * Contexts hold message-derived state: their owners wipe them when done.
 */
import { IO, wipe } from './memory';
import { KECCAK_CONTEXT_BYTES, KECCAK_STATE_BYTES } from './constants';

const POS: usize = 200;
const RATE: usize = 204;
const SUFFIX: usize = 208;
const SQUEEZING: usize = 212;

/** Context of the exported streaming API (bindings save and restore it for incremental hashers). */
export const KECCAK_CTX: usize = memory.data(KECCAK_CONTEXT_BYTES, 16);

/** ι round constants RC[i_r], FIPS 202 §3.2.5 (Algorithm 5 evaluated for i_r = 0..23). */
const ROUND_CONSTANTS: usize = memory.data<u64>([
  0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000,
  0x000000000000808b, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
  0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
  0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003,
  0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
  0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]);

/**
 * Keccak-p[1600, 24] = Keccak-f[1600] on the 25 lanes at `state` (§3.3, §3.4). The lanes live in locals for
 * all 24 rounds; each round is θ, ρ, π, χ, ι written out on named lanes, so nothing is indexed.
 */
export function keccakF1600(state: usize): void {
  let a0 = load<u64>(state, 0), a1 = load<u64>(state, 8), a2 = load<u64>(state, 16), a3 = load<u64>(state, 24), a4 = load<u64>(state, 32);
  let a5 = load<u64>(state, 40), a6 = load<u64>(state, 48), a7 = load<u64>(state, 56), a8 = load<u64>(state, 64), a9 = load<u64>(state, 72);
  let a10 = load<u64>(state, 80), a11 = load<u64>(state, 88), a12 = load<u64>(state, 96), a13 = load<u64>(state, 104), a14 = load<u64>(state, 112);
  let a15 = load<u64>(state, 120), a16 = load<u64>(state, 128), a17 = load<u64>(state, 136), a18 = load<u64>(state, 144), a19 = load<u64>(state, 152);
  let a20 = load<u64>(state, 160), a21 = load<u64>(state, 168), a22 = load<u64>(state, 176), a23 = load<u64>(state, 184), a24 = load<u64>(state, 192);
  for (let round: usize = 0; round < 24; round++) {
    // θ (FIPS 202 §3.2.1): column parities C[x] and D[x] = C[x-1] ^ rot(C[x+1], 1).
    const c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
    const c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
    const c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
    const c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
    const c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
    const d0 = c4 ^ rotl<u64>(c1, 1);
    const d1 = c0 ^ rotl<u64>(c2, 1);
    const d2 = c1 ^ rotl<u64>(c3, 1);
    const d3 = c2 ^ rotl<u64>(c4, 1);
    const d4 = c3 ^ rotl<u64>(c0, 1);
    // ρ and π (§3.2.2, §3.2.3): B[y, 2x + 3y] = rot(A[x, y] ^ D[x], r[x, y]).
    const b0 = a0 ^ d0;
    const b1 = rotl<u64>(a6 ^ d1, 44);
    const b2 = rotl<u64>(a12 ^ d2, 43);
    const b3 = rotl<u64>(a18 ^ d3, 21);
    const b4 = rotl<u64>(a24 ^ d4, 14);
    const b5 = rotl<u64>(a3 ^ d3, 28);
    const b6 = rotl<u64>(a9 ^ d4, 20);
    const b7 = rotl<u64>(a10 ^ d0, 3);
    const b8 = rotl<u64>(a16 ^ d1, 45);
    const b9 = rotl<u64>(a22 ^ d2, 61);
    const b10 = rotl<u64>(a1 ^ d1, 1);
    const b11 = rotl<u64>(a7 ^ d2, 6);
    const b12 = rotl<u64>(a13 ^ d3, 25);
    const b13 = rotl<u64>(a19 ^ d4, 8);
    const b14 = rotl<u64>(a20 ^ d0, 18);
    const b15 = rotl<u64>(a4 ^ d4, 27);
    const b16 = rotl<u64>(a5 ^ d0, 36);
    const b17 = rotl<u64>(a11 ^ d1, 10);
    const b18 = rotl<u64>(a17 ^ d2, 15);
    const b19 = rotl<u64>(a23 ^ d3, 56);
    const b20 = rotl<u64>(a2 ^ d2, 62);
    const b21 = rotl<u64>(a8 ^ d3, 55);
    const b22 = rotl<u64>(a14 ^ d4, 39);
    const b23 = rotl<u64>(a15 ^ d0, 41);
    const b24 = rotl<u64>(a21 ^ d1, 2);
    // χ (§3.2.4): A[x, y] = B[x, y] ^ (~B[x+1, y] & B[x+2, y]); ι (§3.2.5) on lane 0.
    a0 = b0 ^ (~b1 & b2);
    a1 = b1 ^ (~b2 & b3);
    a2 = b2 ^ (~b3 & b4);
    a3 = b3 ^ (~b4 & b0);
    a4 = b4 ^ (~b0 & b1);
    a5 = b5 ^ (~b6 & b7);
    a6 = b6 ^ (~b7 & b8);
    a7 = b7 ^ (~b8 & b9);
    a8 = b8 ^ (~b9 & b5);
    a9 = b9 ^ (~b5 & b6);
    a10 = b10 ^ (~b11 & b12);
    a11 = b11 ^ (~b12 & b13);
    a12 = b12 ^ (~b13 & b14);
    a13 = b13 ^ (~b14 & b10);
    a14 = b14 ^ (~b10 & b11);
    a15 = b15 ^ (~b16 & b17);
    a16 = b16 ^ (~b17 & b18);
    a17 = b17 ^ (~b18 & b19);
    a18 = b18 ^ (~b19 & b15);
    a19 = b19 ^ (~b15 & b16);
    a20 = b20 ^ (~b21 & b22);
    a21 = b21 ^ (~b22 & b23);
    a22 = b22 ^ (~b23 & b24);
    a23 = b23 ^ (~b24 & b20);
    a24 = b24 ^ (~b20 & b21);
    a0 ^= load<u64>(ROUND_CONSTANTS + (round << 3));
  }
  store<u64>(state, a0, 0); store<u64>(state, a1, 8); store<u64>(state, a2, 16); store<u64>(state, a3, 24); store<u64>(state, a4, 32);
  store<u64>(state, a5, 40); store<u64>(state, a6, 48); store<u64>(state, a7, 56); store<u64>(state, a8, 64); store<u64>(state, a9, 72);
  store<u64>(state, a10, 80); store<u64>(state, a11, 88); store<u64>(state, a12, 96); store<u64>(state, a13, 104); store<u64>(state, a14, 112);
  store<u64>(state, a15, 120); store<u64>(state, a16, 128); store<u64>(state, a17, 136); store<u64>(state, a18, 144); store<u64>(state, a19, 152);
  store<u64>(state, a20, 160); store<u64>(state, a21, 168); store<u64>(state, a22, 176); store<u64>(state, a23, 184); store<u64>(state, a24, 192);
}

/** Start a sponge (§4) with `rate` bytes and the suffix byte of §6.1 / §6.2: zero state, absorbing. */
export function spongeInit(ctx: usize, rate: u32, suffix: u32): void {
  memory.fill(ctx, 0, KECCAK_STATE_BYTES);
  store<u32>(ctx + POS, 0);
  store<u32>(ctx + RATE, rate);
  store<u32>(ctx + SUFFIX, suffix);
  store<u32>(ctx + SQUEEZING, 0);
}

/** Absorb `len` bytes at `data` (§4 step 6): XOR into the state, permuting after each full block. */
export function spongeAbsorb(ctx: usize, data: usize, len: usize): void {
  const rate = <usize>load<u32>(ctx + RATE);
  let pos = <usize>load<u32>(ctx + POS);
  let i: usize = 0;
  // Finish a partly filled block first.
  if (pos != 0) {
    for (; i < len && pos < rate; i++, pos++) store<u8>(ctx + pos, load<u8>(ctx + pos) ^ load<u8>(data + i));
    if (pos == rate) {
      keccakF1600(ctx);
      pos = 0;
    }
  }
  // Whole blocks, a lane at a time (rates are multiples of 8).
  if (pos == 0) {
    for (; i + rate <= len; i += rate) {
      for (let j: usize = 0; j < rate; j += 8) store<u64>(ctx + j, load<u64>(ctx + j) ^ load<u64>(data + i + j));
      keccakF1600(ctx);
    }
  }
  // The tail (less than a block) into the empty or partly filled block.
  for (; i < len; i++, pos++) store<u8>(ctx + pos, load<u8>(ctx + pos) ^ load<u8>(data + i));
  store<u32>(ctx + POS, <u32>pos);
}

/** Pad (suffix, then pad10*1, §5.1 and §6) and permute: the sponge switches to squeezing. */
function spongePad(ctx: usize): void {
  const rate = <usize>load<u32>(ctx + RATE);
  const pos = <usize>load<u32>(ctx + POS);
  store<u8>(ctx + pos, load<u8>(ctx + pos) ^ <u8>load<u32>(ctx + SUFFIX));
  store<u8>(ctx + rate - 1, load<u8>(ctx + rate - 1) ^ 0x80);
  keccakF1600(ctx);
  store<u32>(ctx + POS, 0);
  store<u32>(ctx + SQUEEZING, 1);
}

/** Squeeze `len` bytes to `out` (§4 steps 7-10), padding first if still absorbing; may be called repeatedly. */
export function spongeSqueeze(ctx: usize, out: usize, len: usize): void {
  if (load<u32>(ctx + SQUEEZING) == 0) spongePad(ctx);
  const rate = <usize>load<u32>(ctx + RATE);
  let pos = <usize>load<u32>(ctx + POS);
  let i: usize = 0;
  while (i < len) {
    if (pos == rate) {
      keccakF1600(ctx);
      pos = 0;
    }
    let n = rate - pos;
    if (n > len - i) n = len - i;
    memory.copy(out + i, ctx + pos, n);
    pos += n;
    i += n;
  }
  store<u32>(ctx + POS, <u32>pos);
}

/** One-shot: hash IO[0, inLen) with (rate, suffix) and write `outLen` (<= IO size) bytes to IO; the input and the context are wiped. */
export function keccakDigest(rate: u32, suffix: u32, inLen: usize, outLen: usize): void {
  spongeInit(KECCAK_CTX, rate, suffix);
  spongeAbsorb(KECCAK_CTX, IO, inLen);
  wipe(IO, inLen);
  spongeSqueeze(KECCAK_CTX, IO, outLen);
  wipe(KECCAK_CTX, KECCAK_CONTEXT_BYTES);
}

/** Streaming: reset KECCAK_CTX for (rate, suffix). */
export function keccakInit(rate: u32, suffix: u32): void {
  spongeInit(KECCAK_CTX, rate, suffix);
}

/** Streaming: absorb IO[0, len) into KECCAK_CTX and wipe IO. The bindings save the context and wipe it after. */
export function keccakUpdate(len: usize): void {
  spongeAbsorb(KECCAK_CTX, IO, len);
  wipe(IO, len);
}

/** Streaming: squeeze `len` (<= IO size) bytes of KECCAK_CTX into IO (the bindings copy them out and wipe IO). */
export function keccakSqueeze(len: usize): void {
  spongeSqueeze(KECCAK_CTX, IO, len);
}

/** `outLen` bytes of the sponge (rate, suffix) over `len` bytes at `data`, into `out`, using `ctx` (which the caller wipes). */
export function spongeHash(ctx: usize, rate: u32, suffix: u32, data: usize, len: usize, out: usize, outLen: usize): void {
  spongeInit(ctx, rate, suffix);
  spongeAbsorb(ctx, data, len);
  spongeSqueeze(ctx, out, outLen);
}
