/**
 * ML-KEM sampling and byte formats, FIPS 203 §4.2: SampleNTT (Algorithm 7), SamplePolyCBD_2 (Algorithm 8),
 * ByteEncode_d / ByteDecode_d (Algorithms 5, 6) fused with Compress_d / Decompress_d (§4.2.1).
 *
 * Constant time: CBD is bit-sliced additions and masks; compression is a multiply and a shift (constants and
 * their exactness in assembly/constants.ts), never a division; encoding is shifts and masks; the message bit of
 * Decompress_1 is selected with a mask. SampleNTT is the one variable-time routine: it rejects candidates >= q and
 * its running time depends on how many it rejects, but its input is the public seed rho (the matrix A is public,
 * FIPS 203 §3.3), so nothing secret is revealed.
 */
import { MLKEM_COMPRESS10_MUL, MLKEM_COMPRESS10_SHIFT, MLKEM_COMPRESS4_MUL, MLKEM_COMPRESS4_SHIFT, MLKEM_Q, SHAKE128_RATE_BYTES, SHAKE256_RATE_BYTES, SHAKE_SUFFIX } from './constants';
import { spongeAbsorb, spongeHash, spongeInit, spongeSqueeze } from './keccak';

const HALF_Q: u32 = (MLKEM_Q - 1) >> 1; // 1664: round-half-up offset of Compress_d, and 1665 = Decompress_1(1)

/**
 * Â[i, j] = SampleNTT(rho || b32 || b33), Algorithm 7: SHAKE128 bytes three at a time, two 12-bit candidates each,
 * kept when below q. `seed` holds 34 bytes (rho and the two index bytes); `buf` holds 3 SHAKE128 blocks.
 * Variable time on public data only (see the file comment).
 */
export function sampleNtt(out: usize, ctx: usize, seed: usize, buf: usize): void {
  spongeInit(ctx, SHAKE128_RATE_BYTES, SHAKE_SUFFIX);
  spongeAbsorb(ctx, seed, 34);
  let len: usize = 3 * SHAKE128_RATE_BYTES;
  spongeSqueeze(ctx, buf, len);
  let j: usize = 0;
  while (true) {
    for (let i: usize = 0; i < len && j < 256; i += 3) {
      const b0 = <u32>load<u8>(buf + i), b1 = <u32>load<u8>(buf + i, 1), b2 = <u32>load<u8>(buf + i, 2);
      const d1 = b0 | ((b1 & 15) << 8), d2 = (b1 >> 4) | (b2 << 4);
      if (d1 < <u32>MLKEM_Q) store<i16>(out + (j++ << 1), <i16>d1);
      if (d2 < <u32>MLKEM_Q && j < 256) store<i16>(out + (j++ << 1), <i16>d2);
    }
    if (j == 256) break;
    len = SHAKE128_RATE_BYTES;
    spongeSqueeze(ctx, buf, len);
  }
}

/**
 * SamplePolyCBD_2(PRF_2(s, nonce)), Algorithms 8 and 2: 128 bytes of SHAKE256(s || nonce); each coefficient is
 * (b0 + b1) - (b2 + b3) over four consecutive bits, eight coefficients per 32-bit word, bit-sliced.
 * `seed` holds 33 bytes (s, then the nonce byte, written here); `buf` 128 bytes.
 */
export function sampleCbd2(out: usize, ctx: usize, seed: usize, nonce: u8, buf: usize): void {
  store<u8>(seed, nonce, 32);
  spongeHash(ctx, SHAKE256_RATE_BYTES, SHAKE_SUFFIX, seed, 33, buf, 128);
  for (let w: usize = 0; w < 32; w++) {
    const t = load<u32>(buf + (w << 2));
    const d = (t & 0x55555555) + ((t >> 1) & 0x55555555); // 2-bit fields: b(2i) + b(2i+1)
    for (let k: u32 = 0; k < 8; k++) {
      const x = (d >> (k << 2)) & 3, y = (d >> ((k << 2) + 2)) & 3;
      store<i16>(out + (w << 4) + (<usize>k << 1), <i16>(<i32>x - <i32>y));
    }
  }
}

/** ByteEncode_12 (Algorithm 5) of a polynomial with coefficients in [0, q): 384 bytes. */
export function encode12(out: usize, p: usize): void {
  for (let i: usize = 0; i < 128; i++) {
    const a = <u32>load<u16>(p + (i << 2)), b = <u32>load<u16>(p + (i << 2), 2);
    store<u16>(out + i * 3, <u16>(a | (b << 12)));
    store<u8>(out + i * 3, <u8>(b >> 4), 2);
  }
}

/**
 * ByteDecode_12 (Algorithm 6) of 384 bytes. Returns 1 when some 12-bit value is >= q (the §7.2 modulus check:
 * ByteEncode_12(ByteDecode_12(ek)) != ek exactly then), else 0, accumulated without a branch.
 */
export function decode12(p: usize, src: usize): u32 {
  let bad: u32 = 0;
  for (let i: usize = 0; i < 128; i++) {
    const w = <u32>load<u16>(src + i * 3) | (<u32>load<u8>(src + i * 3, 2) << 16);
    const a = w & 0xfff, b = w >> 12;
    bad |= ((<u32>MLKEM_Q - 1 - a) | (<u32>MLKEM_Q - 1 - b)) >> 31;
    store<u16>(p + (i << 2), <u16>a);
    store<u16>(p + (i << 2), <u16>b, 2);
  }
  return bad;
}

/** ByteEncode_10(Compress_10(u)) for coefficients in [0, q): 320 bytes, four coefficients per 5 bytes. */
export function compressEncode10(out: usize, p: usize): void {
  for (let i: usize = 0; i < 64; i++) {
    let w: u64 = 0;
    for (let k: usize = 0; k < 4; k++) {
      const x = <u64>load<u16>(p + (i << 3) + (k << 1));
      const c = ((((x << 10) + HALF_Q + 1) * MLKEM_COMPRESS10_MUL) >> MLKEM_COMPRESS10_SHIFT) & 0x3ff;
      w |= c << (10 * k);
    }
    store<u32>(out + i * 5, <u32>w);
    store<u8>(out + i * 5, <u8>(w >> 32), 4);
  }
}

/** Decompress_10(ByteDecode_10(c)) of 320 bytes (a ciphertext: public): round(q y / 2^10). */
export function decodeDecompress10(p: usize, src: usize): void {
  for (let i: usize = 0; i < 64; i++) {
    const w = <u64>load<u32>(src + i * 5) | (<u64>load<u8>(src + i * 5, 4) << 32);
    for (let k: usize = 0; k < 4; k++) {
      const y = <u32>(w >> (10 * k)) & 0x3ff;
      store<i16>(p + (i << 3) + (k << 1), <i16>((y * MLKEM_Q + 512) >> 10));
    }
  }
}

/** ByteEncode_4(Compress_4(v)) for coefficients in [0, q): 128 bytes, two coefficients per byte. */
export function compressEncode4(out: usize, p: usize): void {
  for (let i: usize = 0; i < 128; i++) {
    const x0 = <u32>load<u16>(p + (i << 2)), x1 = <u32>load<u16>(p + (i << 2), 2);
    const c0 = ((((x0 << 4) + HALF_Q + 1) * MLKEM_COMPRESS4_MUL) >> MLKEM_COMPRESS4_SHIFT) & 15;
    const c1 = ((((x1 << 4) + HALF_Q + 1) * MLKEM_COMPRESS4_MUL) >> MLKEM_COMPRESS4_SHIFT) & 15;
    store<u8>(out + i, <u8>(c0 | (c1 << 4)));
  }
}

/** Decompress_4(ByteDecode_4(c)) of 128 bytes (public): round(q y / 16). */
export function decodeDecompress4(p: usize, src: usize): void {
  for (let i: usize = 0; i < 128; i++) {
    const b = <u32>load<u8>(src + i);
    store<i16>(p + (i << 2), <i16>(((b & 15) * MLKEM_Q + 8) >> 4));
    store<i16>(p + (i << 2), <i16>(((b >> 4) * MLKEM_Q + 8) >> 4), 2);
  }
}

/** ByteEncode_1(Compress_1(w)) for coefficients in [0, q): the 32-byte message, bit i = round(2 w_i / q) mod 2. */
export function compressEncode1(out: usize, p: usize): void {
  for (let i: usize = 0; i < 32; i++) {
    let byte: u32 = 0;
    for (let k: usize = 0; k < 8; k++) {
      const x = <u32>load<u16>(p + (i << 4) + (k << 1));
      byte |= (((((x << 1) + HALF_Q + 1) * MLKEM_COMPRESS4_MUL) >> MLKEM_COMPRESS4_SHIFT) & 1) << <u32>k;
    }
    store<u8>(out + i, <u8>byte);
  }
}

/** Decompress_1(ByteDecode_1(m)): coefficient i = 1665 when bit i of the (secret) message is set, by a mask. */
export function decodeDecompress1(p: usize, src: usize): void {
  for (let i: usize = 0; i < 32; i++) {
    const byte = <u32>load<u8>(src + i);
    for (let k: usize = 0; k < 8; k++) {
      const bit = (byte >> <u32>k) & 1;
      store<i16>(p + (i << 4) + (k << 1), <i16>((0 - bit) & (HALF_Q + 1)));
    }
  }
}
