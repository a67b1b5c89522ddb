/**
 * Sizes shared by the AssemblyScript core (assembly/) and the TypeScript bindings (bindings/).
 * Both compilers read this one file, so it must stay free of AssemblyScript-only types:
 * plain integer literals only (AssemblyScript infers i32, TypeScript infers number).
 * Units are bytes unless a name says otherwise.
 */

/** WASM scratch buffer that inputs of any size are streamed through, one chunk per call. */
export const IO_BUFFER_BYTES = 65536;

/** SHA-256 block and digest sizes, FIPS 180-4 §1 and §5.3.3. */
export const SHA256_BLOCK_BYTES = 64;
export const SHA256_DIGEST_BYTES = 32;

/** Saved incremental SHA-256 context: 8 state words, 64-byte block buffer, buffered count (u32), total length (u64). */
export const SHA256_CONTEXT_BYTES = 112;

/** HKDF-Expand output limit L <= 255 * HashLen, RFC 5869 §2.3. */
export const HKDF_MAX_OUTPUT_BYTES = 8160;

/** ChaCha20 key, nonce and block sizes, RFC 8439 §2.3. */
export const CHACHA20_KEY_BYTES = 32;
export const CHACHA20_NONCE_BYTES = 12;
export const CHACHA20_BLOCK_BYTES = 64;

/** Poly1305 one-time key and tag sizes, RFC 8439 §2.5. */
export const POLY1305_KEY_BYTES = 32;
export const POLY1305_TAG_BYTES = 16;

/** X25519 scalar, u-coordinate and shared-secret size, RFC 7748 §5. */
export const X25519_KEY_BYTES = 32;

/** Keccak-f[1600] state (FIPS 202 §3.1: b = 1600 bits) and the SHA-3 / SHAKE rates r = 1600 - 2 * capacity (§6). */
export const KECCAK_STATE_BYTES = 200;
export const SHA3_256_RATE_BYTES = 136;
export const SHA3_512_RATE_BYTES = 72;
export const SHAKE128_RATE_BYTES = 168;
export const SHAKE256_RATE_BYTES = 136;
/** Domain-separation bits plus the first padding bit, as one byte (FIPS 202 §6.1: M || 01, §6.2: M || 1111). */
export const SHA3_SUFFIX = 0x06;
export const SHAKE_SUFFIX = 0x1f;
/** Saved sponge context: 200-byte state, then u32 position, rate, suffix and squeezing flag. */
export const KECCAK_CONTEXT_BYTES = 216;

/** ML-KEM-768 sizes, FIPS 203 §8 Table 3 (k = 3, du = 10, dv = 4). */
export const MLKEM768_PUBLIC_KEY_BYTES = 1184;
export const MLKEM768_SECRET_KEY_BYTES = 2400;
export const MLKEM768_CIPHERTEXT_BYTES = 1088;
/** ByteEncode_12(s^) = dk_PKE, the first part of dk = dk_PKE || ek || H(ek) || z (384 k bytes, FIPS 203 Algorithm 16). */
export const MLKEM768_DK_PKE_BYTES = 1152;
/** KeyGen seed d || z (FIPS 203 Algorithm 16), encapsulation randomness m (Algorithm 17), shared secret K. */
export const MLKEM_SEED_BYTES = 64;
export const MLKEM_MSG_BYTES = 32;
export const MLKEM_SHARED_SECRET_BYTES = 32;
/** The ML-KEM modulus q and ring degree n, FIPS 203 §2.4. */
export const MLKEM_Q = 3329;
export const MLKEM_N = 256;
/**
 * Compress_d(x) = round(2^d x / q) mod 2^d (FIPS 203 §4.2.1) as a multiply and a shift, no division:
 * ((x << d) + (q - 1) / 2) * MUL >> SHIFT, then mod 2^d. MUL = round(2^SHIFT / q); exact for every x in [0, q)
 * (test/mlkem-arith.test.ts checks all of them). d = 10 needs a 64-bit product; d = 4 and d = 1 wrap in 32 bits,
 * which keeps the low d bits of the quotient, all that mod 2^d needs.
 */
export const MLKEM_COMPRESS10_MUL = 1290167;
export const MLKEM_COMPRESS10_SHIFT = 32;
export const MLKEM_COMPRESS4_MUL = 80635;
export const MLKEM_COMPRESS4_SHIFT = 28;
/** Barrett reduction constant round(2^26 / q), applied as q15mulr(x, 20159) then a rounding shift by 11 (mlkem-ntt.ts). */
export const MLKEM_BARRETT_MUL = 20159;
