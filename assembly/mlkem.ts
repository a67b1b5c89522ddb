/**
 * ML-KEM-768, FIPS 203: K-PKE (Algorithms 13-15) and ML-KEM KeyGen_internal, Encaps_internal and Decaps_internal
 * (Algorithms 16-18), with the input checks of §7.2 (encapsulation key modulus) and §7.3 (decapsulation key hash).
 *
 * Exported API (one call per operation; inputs and outputs in static buffers):
 *   mlkemKeygen(): MLKEM_SEED = d || z  ->  MLKEM_EK, MLKEM_DK.
 *   mlkemEncaps(): MLKEM_EK, MLKEM_MSG = m  ->  MLKEM_CT, MLKEM_SS; returns 1 (and writes nothing) when ek fails §7.2.
 *   mlkemDecaps(): MLKEM_CT, MLKEM_DK  ->  MLKEM_SS; returns 1 (and writes nothing) when dk fails §7.3.
 * Every call wipes its input buffers and all of SCRATCH (s, e, y, m', K, K-bar, r, the re-encryption, the sponge)
 * before returning; only the outputs remain, for the bindings to copy out and wipe.
 *
 * Constant time: the arithmetic is branch-free (mlkem-ntt.ts, mlkem-poly.ts); the only variable-time step,
 * SampleNTT, reads the public rho. Decapsulation always computes both K' and K-bar, compares c with the
 * re-encryption c' over all 1088 bytes by OR-accumulating XORs, and selects the key with a mask (Algorithm 18
 * steps 9-10, implicit rejection): whether c was valid changes no branch, address or timing. The results of the
 * §7.2 and §7.3 checks are returned: they concern the keys' well-formedness, which the caller learns anyway.
 */
import {
  MLKEM768_CIPHERTEXT_BYTES, MLKEM768_DK_PKE_BYTES, MLKEM768_PUBLIC_KEY_BYTES, MLKEM768_SECRET_KEY_BYTES, MLKEM_MSG_BYTES, MLKEM_SEED_BYTES,
  MLKEM_SHARED_SECRET_BYTES, SHA3_256_RATE_BYTES, SHA3_512_RATE_BYTES, SHA3_SUFFIX, SHAKE128_RATE_BYTES, SHAKE256_RATE_BYTES,
  SHAKE_SUFFIX, KECCAK_CONTEXT_BYTES,
} from './constants';
import { spongeAbsorb, spongeHash, spongeInit, spongeSqueeze } from './keccak';
import { wipe } from './memory';
import { POLY_BYTES, invNtt, ntt, polyAdd, polyFreeze, polyMulAcc3, polyPrepare, polySub } from './mlkem-ntt';
import {
  compressEncode1, compressEncode10, compressEncode4, decode12, decodeDecompress1, decodeDecompress10, decodeDecompress4,
  encode12, sampleCbd2, sampleNtt,
} from './mlkem-poly';

const K: usize = 3; // module rank of ML-KEM-768 (FIPS 203 §8 Table 2); η1 = η2 = 2, du = 10, dv = 4
const VEC_BYTES: usize = K * POLY_BYTES;
const POLY_ENCODED: usize = 384; // ByteEncode_12 of one polynomial
const T_BYTES: usize = MLKEM768_DK_PKE_BYTES; // 384 k: ByteEncode_12(t^) in ek, ByteEncode_12(s^) in dk
const C1_BYTES: usize = K * 320; // 960

/** Inputs and outputs (the bindings write inputs, copy outputs out and wipe them). */
export const MLKEM_SEED: usize = memory.data(MLKEM_SEED_BYTES, 16);
export const MLKEM_MSG: usize = memory.data(MLKEM_MSG_BYTES, 16);
export const MLKEM_EK: usize = memory.data(MLKEM768_PUBLIC_KEY_BYTES, 16);
export const MLKEM_DK: usize = memory.data(MLKEM768_SECRET_KEY_BYTES, 16);
export const MLKEM_CT: usize = memory.data(MLKEM768_CIPHERTEXT_BYTES, 16);
export const MLKEM_SS: usize = memory.data(MLKEM_SHARED_SECRET_BYTES, 16);

// ---------------------------------------------------------------- scratch (secret-derived), one region, wiped by every call

const SPONGE_BYTES: usize = (<usize>KECCAK_CONTEXT_BYTES + 15) & ~15;
const SCRATCH_BYTES: usize = SPONGE_BYTES + 64 + 64 + 48 + 3 * 168 + 128 + MLKEM768_CIPHERTEXT_BYTES + 7 * VEC_BYTES + 2 * POLY_BYTES;
const SCRATCH: usize = memory.data(<i32>SCRATCH_BYTES, 16);
/** The scratch region's bounds, exported for the tests that check it is all zero after every call. */
export const MLKEM_SCRATCH: usize = SCRATCH;
export const MLKEM_SCRATCH_END: usize = SCRATCH + SCRATCH_BYTES;
const SPONGE: usize = SCRATCH;
/** G output: (rho, sigma) in KeyGen, (K, r) in Encaps and Decaps. */
const GOUT: usize = SPONGE + SPONGE_BYTES;
/** Hash inputs: d || k, m || H(ek), and the 33/34-byte PRF and XOF seeds. */
const HIN: usize = GOUT + 64;
const SEED: usize = HIN + 64;
const XOF_BUF: usize = SEED + 48;
const PRF_BUF: usize = XOF_BUF + 3 * 168;
/** The re-encryption c' of Decaps. */
const CT2: usize = PRF_BUF + 128;
/** Polynomial vectors: s^ or y^; e^ or e1; prepared operands p0, p1; a row of A; t^ (decoded); u. Then v and w. */
const VEC_S: usize = CT2 + MLKEM768_CIPHERTEXT_BYTES;
const VEC_E: usize = VEC_S + VEC_BYTES;
const PREP0: usize = VEC_E + VEC_BYTES;
const PREP1: usize = PREP0 + VEC_BYTES;
const ROW: usize = PREP1 + VEC_BYTES;
const VEC_T: usize = ROW + VEC_BYTES;
const VEC_U: usize = VEC_T + VEC_BYTES;
const POLY_V: usize = VEC_U + VEC_BYTES;
const POLY_W: usize = POLY_V + POLY_BYTES;

/** SHA3-256 (H), SHA3-512 (G), SHAKE256 to 32 bytes (J): FIPS 203 §4.1. */
function hashH(out: usize, data: usize, len: usize): void {
  spongeHash(SPONGE, SHA3_256_RATE_BYTES, SHA3_SUFFIX, data, len, out, 32);
}
function hashG(out: usize, data: usize, len: usize): void {
  spongeHash(SPONGE, SHA3_512_RATE_BYTES, SHA3_SUFFIX, data, len, out, 64);
}

/** The three polynomials of row `i` of A (or of A^T when `transpose`), sampled from rho (32 bytes at `rho`). */
function sampleRow(rho: usize, i: usize, transpose: bool): void {
  memory.copy(SEED, rho, 32);
  for (let j: usize = 0; j < K; j++) {
    // A[i, j] = SampleNTT(rho || j || i) (Algorithm 13 step 6, Algorithm 14 step 6); A^T[i, j] = A[j, i].
    store<u8>(SEED, <u8>(transpose ? i : j), 32);
    store<u8>(SEED, <u8>(transpose ? j : i), 33);
    sampleNtt(ROW + j * POLY_BYTES, SPONGE, SEED, XOF_BUF);
  }
}

/** `count` polynomials from CBD_2 with PRF(seed32, nonce0 + i) (Algorithm 13 steps 9-16, Algorithm 14 steps 9-17). */
function sampleNoise(out: usize, seed32: usize, nonce0: u8, count: usize): void {
  memory.copy(SEED, seed32, 32);
  for (let i: usize = 0; i < count; i++) sampleCbd2(out + i * POLY_BYTES, SPONGE, SEED, nonce0 + <u8>i, PRF_BUF);
}

/** K-PKE.KeyGen(d), Algorithm 13: ek = ByteEncode_12(t^) || rho at `ek`, dk_PKE = ByteEncode_12(s^) at `dk`. */
function kpkeKeygen(ek: usize, dk: usize, d: usize): void {
  memory.copy(HIN, d, 32);
  store<u8>(HIN, <u8>K, 32); // G(d || k), the domain separation of FIPS 203 (Algorithm 13 step 1)
  hashG(GOUT, HIN, 33);
  const rho = GOUT, sigma = GOUT + 32;
  sampleNoise(VEC_S, sigma, 0, K); // s
  sampleNoise(VEC_E, sigma, <u8>K, K); // e
  for (let i: usize = 0; i < K; i++) {
    ntt(VEC_S + i * POLY_BYTES);
    ntt(VEC_E + i * POLY_BYTES);
    polyPrepare(PREP0 + i * POLY_BYTES, PREP1 + i * POLY_BYTES, VEC_S + i * POLY_BYTES);
  }
  for (let i: usize = 0; i < K; i++) {
    sampleRow(rho, i, false);
    const t = VEC_T + i * POLY_BYTES;
    polyMulAcc3(t, ROW, PREP0, PREP1); // (A s^)[i]
    polyAdd(t, t, VEC_E + i * POLY_BYTES); // t^ = A s^ + e^
    polyFreeze(t);
    encode12(ek + i * POLY_ENCODED, t);
    polyFreeze(VEC_S + i * POLY_BYTES);
    encode12(dk + i * POLY_ENCODED, VEC_S + i * POLY_BYTES);
  }
  memory.copy(ek + T_BYTES, rho, 32);
}

/**
 * K-PKE.Encrypt(ek, m, r), Algorithm 14, into `ct`: t^ decoded from `ek` (already checked or hash-bound), the
 * message `m` (32 bytes) and randomness `r` (32 bytes).
 */
function kpkeEncrypt(ct: usize, ek: usize, m: usize, r: usize): void {
  for (let i: usize = 0; i < K; i++) decode12(VEC_T + i * POLY_BYTES, ek + i * POLY_ENCODED);
  sampleNoise(VEC_S, r, 0, K); // y
  sampleNoise(VEC_E, r, <u8>K, K); // e1
  sampleNoise(POLY_W, r, <u8>(2 * K), 1); // e2
  for (let i: usize = 0; i < K; i++) {
    ntt(VEC_S + i * POLY_BYTES);
    polyPrepare(PREP0 + i * POLY_BYTES, PREP1 + i * POLY_BYTES, VEC_S + i * POLY_BYTES);
  }
  const rho = ek + T_BYTES;
  for (let i: usize = 0; i < K; i++) {
    sampleRow(rho, i, true);
    const u = VEC_U + i * POLY_BYTES;
    polyMulAcc3(u, ROW, PREP0, PREP1); // (A^T y^)[i]
    invNtt(u);
    polyAdd(u, u, VEC_E + i * POLY_BYTES); // u = NTT^-1(A^T y^) + e1
    polyFreeze(u);
    compressEncode10(ct + i * 320, u);
  }
  polyMulAcc3(POLY_V, VEC_T, PREP0, PREP1); // t^T y^
  invNtt(POLY_V);
  polyAdd(POLY_V, POLY_V, POLY_W); // + e2
  decodeDecompress1(POLY_W, m); // mu = Decompress_1(ByteDecode_1(m))
  polyAdd(POLY_V, POLY_V, POLY_W);
  polyFreeze(POLY_V);
  compressEncode4(ct + C1_BYTES, POLY_V);
}

/** K-PKE.Decrypt(dk_PKE, c), Algorithm 15: the 32-byte message m' into `m`. */
function kpkeDecrypt(m: usize, dk: usize, ct: usize): void {
  for (let i: usize = 0; i < K; i++) {
    const u = VEC_U + i * POLY_BYTES;
    decodeDecompress10(u, ct + i * 320); // u'
    ntt(u);
    polyPrepare(PREP0 + i * POLY_BYTES, PREP1 + i * POLY_BYTES, u);
    decode12(VEC_S + i * POLY_BYTES, dk + i * POLY_ENCODED); // s^ (values up to 2^12 - 1; see polyMulAcc3)
  }
  decodeDecompress4(POLY_V, ct + C1_BYTES); // v'
  polyMulAcc3(POLY_W, VEC_S, PREP0, PREP1); // s^T NTT(u')
  invNtt(POLY_W);
  polySub(POLY_W, POLY_V, POLY_W); // w = v' - NTT^-1(s^T NTT(u'))
  polyFreeze(POLY_W);
  compressEncode1(m, POLY_W);
}

/** ML-KEM.KeyGen_internal(d, z), Algorithm 16: dk = dk_PKE || ek || H(ek) || z. */
export function mlkemKeygen(): void {
  kpkeKeygen(MLKEM_EK, MLKEM_DK, MLKEM_SEED);
  memory.copy(MLKEM_DK + T_BYTES, MLKEM_EK, MLKEM768_PUBLIC_KEY_BYTES);
  hashH(MLKEM_DK + T_BYTES + MLKEM768_PUBLIC_KEY_BYTES, MLKEM_EK, MLKEM768_PUBLIC_KEY_BYTES);
  memory.copy(MLKEM_DK + T_BYTES + MLKEM768_PUBLIC_KEY_BYTES + 32, MLKEM_SEED + 32, 32);
  wipe(MLKEM_SEED, MLKEM_SEED_BYTES);
  wipe(SCRATCH, SCRATCH_BYTES);
}

/**
 * ML-KEM.Encaps_internal(ek, m), Algorithm 17, after the §7.2 modulus check (ByteEncode_12(ByteDecode_12(ek)) = ek,
 * that is every 12-bit value below q). Returns 1 when the check fails (nothing written), else 0.
 */
export function mlkemEncaps(): i32 {
  let bad: u32 = 0;
  for (let i: usize = 0; i < K; i++) bad |= decode12(VEC_T + i * POLY_BYTES, MLKEM_EK + i * POLY_ENCODED);
  if (bad == 0) {
    // (K, r) = G(m || H(ek))
    memory.copy(HIN, MLKEM_MSG, 32);
    hashH(HIN + 32, MLKEM_EK, MLKEM768_PUBLIC_KEY_BYTES);
    hashG(GOUT, HIN, 64);
    kpkeEncrypt(MLKEM_CT, MLKEM_EK, MLKEM_MSG, GOUT + 32);
    memory.copy(MLKEM_SS, GOUT, 32);
  }
  wipe(MLKEM_MSG, MLKEM_MSG_BYTES);
  wipe(MLKEM_EK, MLKEM768_PUBLIC_KEY_BYTES);
  wipe(SCRATCH, SCRATCH_BYTES);
  return <i32>bad;
}

/** 1 when the `len` (a multiple of 8) bytes at `a` and `b` differ, else 0: OR of XORs over every word, no early exit. */
function differ(a: usize, b: usize, len: usize): u64 {
  let acc: u64 = 0;
  for (let i: usize = 0; i < len; i += 8) acc |= load<u64>(a + i) ^ load<u64>(b + i);
  return (acc | (0 - acc)) >> 63;
}

/**
 * ML-KEM.Decaps_internal(dk, c), Algorithm 18, after the §7.3 hash check H(dk[384k : 768k + 32]) =
 * dk[768k + 32 : 768k + 64]. Returns 1 when the check fails (nothing written), else 0. On a ciphertext that does
 * not re-encrypt to itself the result is the implicit-rejection key K-bar = J(z || c), selected by a mask.
 */
export function mlkemDecaps(): i32 {
  const dkPke = MLKEM_DK, ekPke = MLKEM_DK + T_BYTES;
  const h = ekPke + MLKEM768_PUBLIC_KEY_BYTES, z = h + 32;
  hashH(HIN, ekPke, MLKEM768_PUBLIC_KEY_BYTES);
  const bad = differ(HIN, h, 32);
  if (bad == 0) {
    kpkeDecrypt(HIN, dkPke, MLKEM_CT); // m'
    memory.copy(HIN + 32, h, 32);
    hashG(GOUT, HIN, 64); // (K', r') = G(m' || h)
    // K-bar = J(z || c), SHAKE256 to 32 bytes (Algorithm 18 step 8), into SEED.
    spongeInit(SPONGE, SHAKE256_RATE_BYTES, SHAKE_SUFFIX);
    spongeAbsorb(SPONGE, z, 32);
    spongeAbsorb(SPONGE, MLKEM_CT, MLKEM768_CIPHERTEXT_BYTES);
    spongeSqueeze(SPONGE, SEED, 32);
    const kBar0 = load<u64>(SEED), kBar1 = load<u64>(SEED, 8), kBar2 = load<u64>(SEED, 16), kBar3 = load<u64>(SEED, 24);
    kpkeEncrypt(CT2, ekPke, HIN, GOUT + 32); // c' = K-PKE.Encrypt(ek_PKE, m', r')
    // if c != c' then K' = K-bar: mask all ones when they differ (Algorithm 18 steps 9-10), no branch.
    const mask = 0 - differ(MLKEM_CT, CT2, MLKEM768_CIPHERTEXT_BYTES);
    store<u64>(MLKEM_SS, (load<u64>(GOUT) & ~mask) | (kBar0 & mask));
    store<u64>(MLKEM_SS, (load<u64>(GOUT, 8) & ~mask) | (kBar1 & mask), 8);
    store<u64>(MLKEM_SS, (load<u64>(GOUT, 16) & ~mask) | (kBar2 & mask), 16);
    store<u64>(MLKEM_SS, (load<u64>(GOUT, 24) & ~mask) | (kBar3 & mask), 24);
  }
  wipe(MLKEM_DK, MLKEM768_SECRET_KEY_BYTES);
  wipe(MLKEM_CT, MLKEM768_CIPHERTEXT_BYTES);
  wipe(SCRATCH, SCRATCH_BYTES);
  return <i32>bad;
}
