/**
 * SHA-256, FIPS 180-4 §6.2. Constant-time by construction: only additions, rotations and
 * bitwise operations on the data; every loop bound and address depends on lengths, never on contents.
 *
 * A context is 112 bytes of WASM memory (see SHA256_CONTEXT_BYTES):
 *   [0, 32)   H0..H7 as native u32 words
 *   [32, 96)  partial-block buffer
 *   [96, 100) number of buffered bytes (u32)
 *   [104,112) total message length in bytes (u64)
 * Contexts live at static addresses; callers wipe them when done (they hold message-derived state).
 */
import { IO } from './memory';
import { SHA256_CONTEXT_BYTES, SHA256_DIGEST_BYTES } from './constants';

const CTX_BUFFER: usize = 32;
const CTX_BUFFERED: usize = 96;
const CTX_TOTAL: usize = 104;

/** Round constants K0..K63, FIPS 180-4 §4.2.2. */
const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
], 64);

/** Message schedule W0..W63 (§6.2.2 step 1). Message-derived: wiped by `sha256Wipe`. */
const W: usize = memory.data(256, 64);

/** Context used by the exported streaming API (bindings save and restore it for incremental hashers). */
export const SHA256_CTX: usize = memory.data(SHA256_CONTEXT_BYTES, 16);
/** Digest output of the exported API. */
export const SHA256_OUT: usize = memory.data(SHA256_DIGEST_BYTES, 16);

// @ts-ignore: decorator
@inline function bigSigma0(x: u32): u32 { return rotr<u32>(x, 2) ^ rotr<u32>(x, 13) ^ rotr<u32>(x, 22); }
// @ts-ignore: decorator
@inline function bigSigma1(x: u32): u32 { return rotr<u32>(x, 6) ^ rotr<u32>(x, 11) ^ rotr<u32>(x, 25); }
// @ts-ignore: decorator
@inline function smallSigma0(x: u32): u32 { return rotr<u32>(x, 7) ^ rotr<u32>(x, 18) ^ (x >>> 3); }
// @ts-ignore: decorator
@inline function smallSigma1(x: u32): u32 { return rotr<u32>(x, 17) ^ rotr<u32>(x, 19) ^ (x >>> 10); }

/** Process `blocks` 64-byte blocks at `data` into the eight state words at `state` (§6.2.2). */
export function sha256Compress(state: usize, data: usize, blocks: usize): void {
  // State in locals, not memory: the hot loop then touches only W, K and the input.
  let h0 = load<u32>(state, 0), h1 = load<u32>(state, 4), h2 = load<u32>(state, 8), h3 = load<u32>(state, 12);
  let h4 = load<u32>(state, 16), h5 = load<u32>(state, 20), h6 = load<u32>(state, 24), h7 = load<u32>(state, 28);
  for (let n: usize = 0; n < blocks; n++) {
    // Step 1: W0..W15 are the block's big-endian words; W16..W63 expand them.
    for (let i: usize = 0; i < 64; i += 4) store<u32>(W + i, bswap<u32>(load<u32>(data + i)));
    for (let i: usize = 64; i < 256; i += 4) {
      store<u32>(W + i,
        smallSigma1(load<u32>(W + i - 8)) + load<u32>(W + i - 28) +
        smallSigma0(load<u32>(W + i - 60)) + load<u32>(W + i - 64));
    }
    // Steps 2-3: 64 rounds, 8 per iteration with the roles of a..h rotated instead of moving values.
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i: usize = 0; i < 256; i += 32) {
      h += bigSigma1(e) + (g ^ (e & (f ^ g))) + load<u32>(K + i) + load<u32>(W + i);
      d += h; h += bigSigma0(a) + ((a & b) | (c & (a | b)));
      g += bigSigma1(d) + (f ^ (d & (e ^ f))) + load<u32>(K + i, 4) + load<u32>(W + i, 4);
      c += g; g += bigSigma0(h) + ((h & a) | (b & (h | a)));
      f += bigSigma1(c) + (e ^ (c & (d ^ e))) + load<u32>(K + i, 8) + load<u32>(W + i, 8);
      b += f; f += bigSigma0(g) + ((g & h) | (a & (g | h)));
      e += bigSigma1(b) + (d ^ (b & (c ^ d))) + load<u32>(K + i, 12) + load<u32>(W + i, 12);
      a += e; e += bigSigma0(f) + ((f & g) | (h & (f | g)));
      d += bigSigma1(a) + (c ^ (a & (b ^ c))) + load<u32>(K + i, 16) + load<u32>(W + i, 16);
      h += d; d += bigSigma0(e) + ((e & f) | (g & (e | f)));
      c += bigSigma1(h) + (b ^ (h & (a ^ b))) + load<u32>(K + i, 20) + load<u32>(W + i, 20);
      g += c; c += bigSigma0(d) + ((d & e) | (f & (d | e)));
      b += bigSigma1(g) + (a ^ (g & (h ^ a))) + load<u32>(K + i, 24) + load<u32>(W + i, 24);
      f += b; b += bigSigma0(c) + ((c & d) | (e & (c | d)));
      a += bigSigma1(f) + (h ^ (f & (g ^ h))) + load<u32>(K + i, 28) + load<u32>(W + i, 28);
      e += a; a += bigSigma0(b) + ((b & c) | (d & (b | c)));
    }
    // Step 4: intermediate hash value.
    h0 += a; h1 += b; h2 += c; h3 += d; h4 += e; h5 += f; h6 += g; h7 += h;
    data += 64;
  }
  store<u32>(state, h0, 0); store<u32>(state, h1, 4); store<u32>(state, h2, 8); store<u32>(state, h3, 12);
  store<u32>(state, h4, 16); store<u32>(state, h5, 20); store<u32>(state, h6, 24); store<u32>(state, h7, 28);
}

/** Reset a context to the initial hash value H(0), §5.3.3. */
export function sha256CtxInit(ctx: usize): void {
  store<u32>(ctx, 0x6a09e667, 0); store<u32>(ctx, 0xbb67ae85, 4);
  store<u32>(ctx, 0x3c6ef372, 8); store<u32>(ctx, 0xa54ff53a, 12);
  store<u32>(ctx, 0x510e527f, 16); store<u32>(ctx, 0x9b05688c, 20);
  store<u32>(ctx, 0x1f83d9ab, 24); store<u32>(ctx, 0x5be0cd19, 28);
  store<u32>(ctx, 0, CTX_BUFFERED);
  store<u64>(ctx, 0, CTX_TOTAL);
}

/** Absorb `len` bytes at `data`. Branches only on lengths, which are public. */
export function sha256CtxUpdate(ctx: usize, data: usize, len: usize): void {
  store<u64>(ctx, load<u64>(ctx, CTX_TOTAL) + <u64>len, CTX_TOTAL);
  let buffered = <usize>load<u32>(ctx, CTX_BUFFERED);
  if (buffered != 0) {
    let take: usize = 64 - buffered;
    if (take > len) take = len;
    memory.copy(ctx + CTX_BUFFER + buffered, data, take);
    buffered += take; data += take; len -= take;
    if (buffered < 64) {
      store<u32>(ctx, <u32>buffered, CTX_BUFFERED);
      return;
    }
    sha256Compress(ctx, ctx + CTX_BUFFER, 1);
  }
  const blocks = len >> 6;
  if (blocks != 0) sha256Compress(ctx, data, blocks);
  const rest = len & 63;
  memory.copy(ctx + CTX_BUFFER, data + (blocks << 6), rest);
  store<u32>(ctx, <u32>rest, CTX_BUFFERED);
}

/** Pad (§5.1.1), process the last block(s) and write the 32-byte big-endian digest to `out`. */
export function sha256CtxFinal(ctx: usize, out: usize): void {
  const block = ctx + CTX_BUFFER;
  let buffered = <usize>load<u32>(ctx, CTX_BUFFERED);
  store<u8>(block + buffered, 0x80);
  buffered++;
  if (buffered > 56) {
    memory.fill(block + buffered, 0, 64 - buffered);
    sha256Compress(ctx, block, 1);
    buffered = 0;
  }
  memory.fill(block + buffered, 0, 56 - buffered);
  store<u64>(block, bswap<u64>(load<u64>(ctx, CTX_TOTAL) << 3), 56);
  sha256Compress(ctx, block, 1);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(out + i, bswap<u32>(load<u32>(ctx + i)));
}

/** Wipe the message schedule (call at the end of every exported operation). */
export function sha256WipeSchedule(): void {
  memory.fill(W, 0, 256);
}

// ---------------------------------------------------------------- exported API (one call per operation)

/** One-shot SHA-256 of IO[0, len) into SHA256_OUT; all intermediate state is wiped. */
export function sha256Digest(len: usize): void {
  sha256CtxInit(SHA256_CTX);
  sha256CtxUpdate(SHA256_CTX, IO, len);
  sha256CtxFinal(SHA256_CTX, SHA256_OUT);
  memory.fill(SHA256_CTX, 0, SHA256_CONTEXT_BYTES);
  sha256WipeSchedule();
}

/** Streaming: reset SHA256_CTX. */
export function sha256Init(): void {
  sha256CtxInit(SHA256_CTX);
}

/** Streaming: absorb IO[0, len) into SHA256_CTX. The bindings save the context and wipe it after. */
export function sha256Update(len: usize): void {
  sha256CtxUpdate(SHA256_CTX, IO, len);
  sha256WipeSchedule();
}

/** Streaming: finish SHA256_CTX into SHA256_OUT and wipe the context. */
export function sha256Final(): void {
  sha256CtxFinal(SHA256_CTX, SHA256_OUT);
  memory.fill(SHA256_CTX, 0, SHA256_CONTEXT_BYTES);
  sha256WipeSchedule();
}
