/**
 * ChaCha20, RFC 8439 §2.1-2.4: a scalar block function (§2.3) and a 4-way SIMD core that computes
 * four consecutive blocks at once for the stream cipher (§2.4).
 *
 * The AEAD (§2.8) uses two stitched forms of the SIMD core that also run the scalar Poly1305 block
 * step (§2.5) on the integer units during the vector rounds: chachaXorQuadsMac (seal: MAC of the
 * output) and chachaKeystreamQuadsMac (open: MAC of the ciphertext while its keystream is computed).
 *
 * Constant-time: the quarter round (§2.1) is additions, XORs and fixed rotations of 32-bit words;
 * the stitched Poly1305 step is multiplications, additions, shifts and masks (§2.5); every loop
 * bound, branch and address depends on lengths and counters, never on key or data bytes.
 *
 * A ChaCha20 state is 64 bytes of WASM memory, the RFC 8439 §2.3 initial state as native u32 words:
 *   words 0-3 constants, 4-11 key, 12 block counter, 13-15 nonce.
 * The stream functions read the counter from word 12 and store the advanced counter back there,
 * so a message may be processed in several calls (every call but the last a multiple of 64 bytes).
 * States hold the key: their owners wipe them when the operation ends.
 */
import { CHACHA20_BLOCK_BYTES } from './constants';
import { polyBlockInPlace, polyBlocks } from './poly1305';

/** Byte offset of the block counter (word 12) in a state. */
const COUNTER: usize = 48;

/** Bytes of keystream produced by one call of the SIMD core (four blocks). */
export const CHACHA20_QUAD_BYTES: usize = 4 * CHACHA20_BLOCK_BYTES;

/** Keystream of a message's tail, §2.4 (secret: wiped by `chachaWipeScratch`). */
const KEYSTREAM: usize = memory.data(4 * CHACHA20_BLOCK_BYTES, 16);

/** Set `state` to the §2.3 initial state for `key` (32 bytes), `nonce` (12 bytes) and block `counter`. */
export function chachaInit(state: usize, key: usize, nonce: usize, counter: u32): void {
  // "expand 32-byte k", §2.3.
  store<u32>(state, 0x61707865, 0);
  store<u32>(state, 0x3320646e, 4);
  store<u32>(state, 0x79622d32, 8);
  store<u32>(state, 0x6b206574, 12);
  // Key and nonce words are little-endian (§2.3), which is WASM's native byte order.
  memory.copy(state + 16, key, 32);
  store<u32>(state, counter, COUNTER);
  memory.copy(state + 52, nonce, 12);
}

/** Set the block counter (word 12) of `state`. */
// @ts-ignore: decorator
@inline
export function chachaSetCounter(state: usize, counter: u32): void {
  store<u32>(state, counter, COUNTER);
}

/**
 * The ChaCha20 block function, §2.3: write the 64-byte keystream block for the state's current
 * counter to `out`. Does not advance the counter.
 */
export function chachaBlock(state: usize, out: usize): void {
  let x0 = load<u32>(state, 0), x1 = load<u32>(state, 4), x2 = load<u32>(state, 8), x3 = load<u32>(state, 12);
  let x4 = load<u32>(state, 16), x5 = load<u32>(state, 20), x6 = load<u32>(state, 24), x7 = load<u32>(state, 28);
  let x8 = load<u32>(state, 32), x9 = load<u32>(state, 36), x10 = load<u32>(state, 40), x11 = load<u32>(state, 44);
  let x12 = load<u32>(state, 48), x13 = load<u32>(state, 52), x14 = load<u32>(state, 56), x15 = load<u32>(state, 60);
  // 20 rounds = 10 double rounds: four column then four diagonal quarter rounds (§2.1, §2.3).
  for (let i = 0; i < 10; i++) {
    // Column rounds: QR(0,4,8,12) QR(1,5,9,13) QR(2,6,10,14) QR(3,7,11,15).
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 16); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 12);
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 8); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 7);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 16); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 12);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 8); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 7);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 16); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 12);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 8); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 7);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 16); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 12);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 8); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 7);
    // Diagonal rounds: QR(0,5,10,15) QR(1,6,11,12) QR(2,7,8,13) QR(3,4,9,14).
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 16); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 12);
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 8); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 7);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 16); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 12);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 8); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 7);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 16); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 12);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 8); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 7);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 16); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 12);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 8); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 7);
  }
  // Add the initial state (§2.3) and serialize little-endian.
  store<u32>(out, x0 + load<u32>(state, 0), 0); store<u32>(out, x1 + load<u32>(state, 4), 4);
  store<u32>(out, x2 + load<u32>(state, 8), 8); store<u32>(out, x3 + load<u32>(state, 12), 12);
  store<u32>(out, x4 + load<u32>(state, 16), 16); store<u32>(out, x5 + load<u32>(state, 20), 20);
  store<u32>(out, x6 + load<u32>(state, 24), 24); store<u32>(out, x7 + load<u32>(state, 28), 28);
  store<u32>(out, x8 + load<u32>(state, 32), 32); store<u32>(out, x9 + load<u32>(state, 36), 36);
  store<u32>(out, x10 + load<u32>(state, 40), 40); store<u32>(out, x11 + load<u32>(state, 44), 44);
  store<u32>(out, x12 + load<u32>(state, 48), 48); store<u32>(out, x13 + load<u32>(state, 52), 52);
  store<u32>(out, x14 + load<u32>(state, 56), 56); store<u32>(out, x15 + load<u32>(state, 60), 60);
}

// ---------------------------------------------------------------- 4-way SIMD core

// Rotations of each 32-bit lane. By 16, a byte shuffle (V8 emits pshuflw + pshufhw, no constant).
// By 8, a byte swizzle with constant in-range indices: V8 emits one pshufb with the mask hoisted
// out of the loop (an i8x16.shuffle instead rebuilds its mask on every use, four instructions).
// The double-round loop went from 185 to 176 x64 instructions. By 12 and 7: shl, shr_u and or.
// @ts-ignore: decorator
@inline function rotl16(x: v128): v128 { return i8x16.shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13); }
// @ts-ignore: decorator
@inline function rotl8(x: v128): v128 { return i8x16.swizzle(x, i8x16(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14)); }
// @ts-ignore: decorator
@inline function rotl12(x: v128): v128 { return v128.or(i32x4.shl(x, 12), i32x4.shr_u(x, 20)); }
// @ts-ignore: decorator
@inline function rotl7(x: v128): v128 { return v128.or(i32x4.shl(x, 7), i32x4.shr_u(x, 25)); }

/**
 * Transpose four state words (a, b, c, d: lane j = block j) into four 16-byte rows (row j = words
 * of block j) and XOR row j into the 16 bytes at `off` of block j of `src`, writing to `dst`
 * (`xor` false, a compile-time constant: store the rows themselves, the keystream).
 */
// @ts-ignore: decorator
@inline
function xorTransposed(a: v128, b: v128, c: v128, d: v128, src: usize, dst: usize, off: usize, xor: bool): void {
  const ab01 = i32x4.shuffle(a, b, 0, 4, 1, 5); // a0 b0 a1 b1
  const cd01 = i32x4.shuffle(c, d, 0, 4, 1, 5); // c0 d0 c1 d1
  const ab23 = i32x4.shuffle(a, b, 2, 6, 3, 7); // a2 b2 a3 b3
  const cd23 = i32x4.shuffle(c, d, 2, 6, 3, 7); // c2 d2 c3 d3
  const r0 = i64x2.shuffle(ab01, cd01, 0, 2), r1 = i64x2.shuffle(ab01, cd01, 1, 3);
  const r2 = i64x2.shuffle(ab23, cd23, 0, 2), r3 = i64x2.shuffle(ab23, cd23, 1, 3);
  if (xor) {
    v128.store(dst + off, v128.xor(v128.load(src + off), r0));
    v128.store(dst + off + 64, v128.xor(v128.load(src + off + 64), r1));
    v128.store(dst + off + 128, v128.xor(v128.load(src + off + 128), r2));
    v128.store(dst + off + 192, v128.xor(v128.load(src + off + 192), r3));
  } else {
    v128.store(dst + off, r0); v128.store(dst + off + 64, r1);
    v128.store(dst + off + 128, r2); v128.store(dst + off + 192, r3);
  }
}

/**
 * XOR `quads` * 256 bytes of `src` with the keystream of blocks counter .. counter + 4*quads - 1
 * into `dst` (§2.4), four blocks per iteration, and advance the state's counter.
 *
 * Vertical layout: v128 number i holds state word i of four consecutive blocks (lane j = block j),
 * so every quarter round of §2.1 runs on four blocks with the same instructions; only word 12
 * differs between lanes (counter + 0, 1, 2, 3). `src` may equal `dst`.
 */
export function chachaXorQuads(state: usize, src: usize, dst: usize, quads: usize): void {
  xorQuads(state, src, dst, quads, 0, 0, false, true);
}

/**
 * chachaXorQuads stitched with Poly1305 (§2.5) over the output, for sealing (§2.8): while the SIMD
 * rounds of quad q run, the scalar integer Poly1305 of the `poly` context absorbs the 16 blocks of
 * quad q - 1's output (two blocks in each of the first 8 double rounds), so integer multiplies and
 * vector rounds execute side by side; the last quad is absorbed after the loop. Every block is a
 * full block (2^128 bit set). Absorption order is output order, as §2.8 requires.
 */
export function chachaXorQuadsMac(state: usize, src: usize, dst: usize, quads: usize, poly: usize): void {
  xorQuads(state, src, dst, quads, poly, dst, true, true);
  polyBlocks(poly, dst + ((quads - 1) << 8), 16, 1);
}

/**
 * The keystream of `quads` * 4 blocks (counter on, §2.4) to `out`, with Poly1305 (§2.5, full
 * blocks) of the `poly` context stitched in over the `quads` * 256 bytes at `mac`, for opening
 * (§2.8): the ciphertext is authenticated while the keystream that will decrypt it is computed,
 * and no plaintext exists until the caller has verified the tag. Advances the counter.
 */
export function chachaKeystreamQuadsMac(state: usize, out: usize, quads: usize, poly: usize, mac: usize): void {
  xorQuads(state, 0, out, quads, poly, mac, true, false);
  polyBlocks(poly, mac + ((quads - 1) << 8), 16, 1);
}

/**
 * The quad loop. `mac` (stitch Poly1305 over the quads at `macSrc`, one quad behind) and `xor`
 * (XOR into src, else store the keystream) are compile-time constants at every call site, so the
 * inlined branches fold away.
 */
// @ts-ignore: decorator
@inline
function xorQuads(state: usize, src: usize, dst: usize, quads: usize, poly: usize, macSrc: usize, mac: bool, xor: bool): void {
  let counter = load<u32>(state, COUNTER);
  const lanes = i32x4(0, 1, 2, 3);
  // The previous quad of macSrc, MACed during this quad's rounds (from the second quad on).
  let macked = macSrc;
  for (let q: usize = 0; q < quads; q++) {
    let x0 = v128.load32_splat(state, 0), x1 = v128.load32_splat(state, 4);
    let x2 = v128.load32_splat(state, 8), x3 = v128.load32_splat(state, 12);
    let x4 = v128.load32_splat(state, 16), x5 = v128.load32_splat(state, 20);
    let x6 = v128.load32_splat(state, 24), x7 = v128.load32_splat(state, 28);
    let x8 = v128.load32_splat(state, 32), x9 = v128.load32_splat(state, 36);
    let x10 = v128.load32_splat(state, 40), x11 = v128.load32_splat(state, 44);
    const counters = i32x4.add(i32x4.splat(counter), lanes);
    let x12 = counters, x13 = v128.load32_splat(state, 52);
    let x14 = v128.load32_splat(state, 56), x15 = v128.load32_splat(state, 60);
    for (let i = 0; i < 10; i++) {
      // Column rounds, the four quarter rounds interleaved step by step for instruction-level parallelism.
      x0 = i32x4.add(x0, x4); x1 = i32x4.add(x1, x5); x2 = i32x4.add(x2, x6); x3 = i32x4.add(x3, x7);
      x12 = rotl16(v128.xor(x12, x0)); x13 = rotl16(v128.xor(x13, x1)); x14 = rotl16(v128.xor(x14, x2)); x15 = rotl16(v128.xor(x15, x3));
      x8 = i32x4.add(x8, x12); x9 = i32x4.add(x9, x13); x10 = i32x4.add(x10, x14); x11 = i32x4.add(x11, x15);
      x4 = rotl12(v128.xor(x4, x8)); x5 = rotl12(v128.xor(x5, x9)); x6 = rotl12(v128.xor(x6, x10)); x7 = rotl12(v128.xor(x7, x11));
      x0 = i32x4.add(x0, x4); x1 = i32x4.add(x1, x5); x2 = i32x4.add(x2, x6); x3 = i32x4.add(x3, x7);
      x12 = rotl8(v128.xor(x12, x0)); x13 = rotl8(v128.xor(x13, x1)); x14 = rotl8(v128.xor(x14, x2)); x15 = rotl8(v128.xor(x15, x3));
      x8 = i32x4.add(x8, x12); x9 = i32x4.add(x9, x13); x10 = i32x4.add(x10, x14); x11 = i32x4.add(x11, x15);
      x4 = rotl7(v128.xor(x4, x8)); x5 = rotl7(v128.xor(x5, x9)); x6 = rotl7(v128.xor(x6, x10)); x7 = rotl7(v128.xor(x7, x11));
      // Diagonal rounds: QR(0,5,10,15) QR(1,6,11,12) QR(2,7,8,13) QR(3,4,9,14).
      x0 = i32x4.add(x0, x5); x1 = i32x4.add(x1, x6); x2 = i32x4.add(x2, x7); x3 = i32x4.add(x3, x4);
      x15 = rotl16(v128.xor(x15, x0)); x12 = rotl16(v128.xor(x12, x1)); x13 = rotl16(v128.xor(x13, x2)); x14 = rotl16(v128.xor(x14, x3));
      x10 = i32x4.add(x10, x15); x11 = i32x4.add(x11, x12); x8 = i32x4.add(x8, x13); x9 = i32x4.add(x9, x14);
      x5 = rotl12(v128.xor(x5, x10)); x6 = rotl12(v128.xor(x6, x11)); x7 = rotl12(v128.xor(x7, x8)); x4 = rotl12(v128.xor(x4, x9));
      x0 = i32x4.add(x0, x5); x1 = i32x4.add(x1, x6); x2 = i32x4.add(x2, x7); x3 = i32x4.add(x3, x4);
      x15 = rotl8(v128.xor(x15, x0)); x12 = rotl8(v128.xor(x12, x1)); x13 = rotl8(v128.xor(x13, x2)); x14 = rotl8(v128.xor(x14, x3));
      x10 = i32x4.add(x10, x15); x11 = i32x4.add(x11, x12); x8 = i32x4.add(x8, x13); x9 = i32x4.add(x9, x14);
      x5 = rotl7(v128.xor(x5, x10)); x6 = rotl7(v128.xor(x6, x11)); x7 = rotl7(v128.xor(x7, x8)); x4 = rotl7(v128.xor(x4, x9));
      // Stitched Poly1305: q and i are public counters, so this branch depends on lengths only.
      if (mac && q != 0 && i < 8) {
        polyBlockInPlace(poly, macked);
        polyBlockInPlace(poly, macked + 16);
        macked += 32;
      }
    }
    // Add the initial state (§2.3), reloading it instead of keeping 16 more v128 values live.
    x0 = i32x4.add(x0, v128.load32_splat(state, 0)); x1 = i32x4.add(x1, v128.load32_splat(state, 4));
    x2 = i32x4.add(x2, v128.load32_splat(state, 8)); x3 = i32x4.add(x3, v128.load32_splat(state, 12));
    xorTransposed(x0, x1, x2, x3, src, dst, 0, xor);
    x4 = i32x4.add(x4, v128.load32_splat(state, 16)); x5 = i32x4.add(x5, v128.load32_splat(state, 20));
    x6 = i32x4.add(x6, v128.load32_splat(state, 24)); x7 = i32x4.add(x7, v128.load32_splat(state, 28));
    xorTransposed(x4, x5, x6, x7, src, dst, 16, xor);
    x8 = i32x4.add(x8, v128.load32_splat(state, 32)); x9 = i32x4.add(x9, v128.load32_splat(state, 36));
    x10 = i32x4.add(x10, v128.load32_splat(state, 40)); x11 = i32x4.add(x11, v128.load32_splat(state, 44));
    xorTransposed(x8, x9, x10, x11, src, dst, 32, xor);
    x12 = i32x4.add(x12, counters); x13 = i32x4.add(x13, v128.load32_splat(state, 52));
    x14 = i32x4.add(x14, v128.load32_splat(state, 56)); x15 = i32x4.add(x15, v128.load32_splat(state, 60));
    xorTransposed(x12, x13, x14, x15, src, dst, 48, xor);
    // The 32-bit block counter wraps like the scalar one (§2.3); the bindings bound message
    // lengths far below 2^32 blocks, so it never does in practice.
    counter += 4;
    src += CHACHA20_QUAD_BYTES;
    dst += CHACHA20_QUAD_BYTES;
  }
  store<u32>(state, counter, COUNTER);
}

/** Write the keystream of the four blocks counter .. counter + 3 to `out` (256 bytes) and advance the counter by 4. */
export function chachaKeystreamQuad(state: usize, out: usize): void {
  // The SIMD core XORs; over zeros that is the keystream itself.
  for (let i: usize = 0; i < CHACHA20_QUAD_BYTES; i += 16) v128.store(out + i, i64x2.splat(0));
  chachaXorQuads(state, out, out, 1);
}

/** XOR `len` bytes of `src` with the keystream at `keystream` into `dst`. */
export function xorBytes(dst: usize, src: usize, keystream: usize, len: usize): void {
  let i: usize = 0;
  for (; i + 16 <= len; i += 16) v128.store(dst + i, v128.xor(v128.load(src + i), v128.load(keystream + i)));
  for (; i < len; i++) store<u8>(dst + i, load<u8>(src + i) ^ load<u8>(keystream + i));
}

/**
 * ChaCha20 encryption, §2.4: XOR `len` bytes of `src` with the keystream starting at the state's
 * counter into `dst` (`src` may equal `dst`) and advance the counter by the blocks used.
 * Whole 256-byte runs go through the SIMD core. Of the tail (< 256 bytes), one block or less goes
 * through the scalar block function, more through one more SIMD call (computing four blocks costs
 * less than two scalar ones). A partial last block consumes a whole counter value, so only the
 * last call of a message may have a length that is not a multiple of 64.
 */
export function chachaXor(state: usize, src: usize, dst: usize, len: usize): void {
  const quads = len >> 8;
  if (quads != 0) chachaXorQuads(state, src, dst, quads);
  const done = quads << 8;
  const rest = len - done;
  if (rest == 0) return;
  const counter = load<u32>(state, COUNTER);
  if (rest > <usize>CHACHA20_BLOCK_BYTES) chachaKeystreamQuad(state, KEYSTREAM);
  else chachaBlock(state, KEYSTREAM);
  store<u32>(state, counter + <u32>((rest + CHACHA20_BLOCK_BYTES - 1) >> 6), COUNTER);
  xorBytes(dst + done, src + done, KEYSTREAM, rest);
}

/** Wipe the keystream scratch (call at the end of every exported operation). */
export function chachaWipeScratch(): void {
  memory.fill(KEYSTREAM, 0, CHACHA20_QUAD_BYTES);
}
