/**
 * HMAC-SHA256, RFC 2104 §2 (with SHA-256 from FIPS 180-4, B = 64, L = 32).
 * Keys longer than B are hashed by the bindings first (RFC 2104 §3), so every key here is
 * at most 64 bytes. Constant-time: the key is XORed with ipad/opad over all 64 bytes
 * whatever its length, and no branch or address depends on key or message bytes.
 *
 * An HMAC context is two SHA-256 contexts: inner (keyed with K0 ^ ipad) and outer (K0 ^ opad).
 */
import { IO, wipe } from './memory';
import { SHA256_BLOCK_BYTES, SHA256_CONTEXT_BYTES, SHA256_DIGEST_BYTES } from './constants';
import { sha256CtxFinal, sha256CtxInit, sha256CtxUpdate } from './sha256';

/** Bytes in an HMAC context: inner then outer SHA-256 context. */
export const HMAC_CONTEXT_BYTES: i32 = 2 * SHA256_CONTEXT_BYTES;

/** Key input of the exported API (at most one block). Wiped once the key is absorbed. */
export const HMAC_KEY: usize = memory.data(SHA256_BLOCK_BYTES, 16);
/** Context of the exported streaming API (bindings save and restore it for incremental MACs). */
export const HMAC_CTX: usize = memory.data(2 * SHA256_CONTEXT_BYTES, 16);
/** Tag output of the exported API. */
export const HMAC_OUT: usize = memory.data(SHA256_DIGEST_BYTES, 16);

/** K0 ^ ipad, then K0 ^ opad (secret). */
const PAD: usize = memory.data(SHA256_BLOCK_BYTES, 16);
/** Inner digest (secret-derived). */
const INNER: usize = memory.data(SHA256_DIGEST_BYTES, 16);

/** Key a context with `key[0, keyLen)`, keyLen <= 64 (RFC 2104 §2 steps 1-3 and the outer key block). */
export function hmacCtxInit(ctx: usize, key: usize, keyLen: usize): void {
  // Step 1: K0 = key zero-padded to B bytes.
  memory.fill(PAD, 0, SHA256_BLOCK_BYTES);
  memory.copy(PAD, key, keyLen);
  // Step 2-3: K0 ^ ipad (0x36 repeated), absorbed as the inner hash's first block.
  for (let i: usize = 0; i < <usize>SHA256_BLOCK_BYTES; i += 8) store<u64>(PAD + i, load<u64>(PAD + i) ^ 0x3636363636363636);
  sha256CtxInit(ctx);
  sha256CtxUpdate(ctx, PAD, SHA256_BLOCK_BYTES);
  // Step 6 prefix: K0 ^ opad = (K0 ^ ipad) ^ (ipad ^ opad), 0x36 ^ 0x5c = 0x6a.
  for (let i: usize = 0; i < <usize>SHA256_BLOCK_BYTES; i += 8) store<u64>(PAD + i, load<u64>(PAD + i) ^ 0x6a6a6a6a6a6a6a6a);
  sha256CtxInit(ctx + SHA256_CONTEXT_BYTES);
  sha256CtxUpdate(ctx + SHA256_CONTEXT_BYTES, PAD, SHA256_BLOCK_BYTES);
  memory.fill(PAD, 0, SHA256_BLOCK_BYTES);
}

/** Absorb message bytes into the inner hash (step 4-5). */
// @ts-ignore: decorator
@inline
export function hmacCtxUpdate(ctx: usize, data: usize, len: usize): void {
  sha256CtxUpdate(ctx, data, len);
}

/** Finish: out = H(K0 ^ opad || H(K0 ^ ipad || text)) (steps 6-9). Leaves the context spent. */
export function hmacCtxFinal(ctx: usize, out: usize): void {
  sha256CtxFinal(ctx, INNER);
  sha256CtxUpdate(ctx + SHA256_CONTEXT_BYTES, INNER, SHA256_DIGEST_BYTES);
  sha256CtxFinal(ctx + SHA256_CONTEXT_BYTES, out);
  memory.fill(INNER, 0, SHA256_DIGEST_BYTES);
}

/** Wipe the scratch shared by all HMAC users. */
export function hmacWipeScratch(): void {
  memory.fill(PAD, 0, SHA256_BLOCK_BYTES);
  memory.fill(INNER, 0, SHA256_DIGEST_BYTES);
}

// ---------------------------------------------------------------- exported API

/** One-shot: HMAC_OUT = HMAC(HMAC_KEY[0, keyLen), IO[0, msgLen)). Key, message, context and scratch are wiped. */
export function hmacSha256(keyLen: usize, msgLen: usize): void {
  hmacCtxInit(HMAC_CTX, HMAC_KEY, keyLen);
  memory.fill(HMAC_KEY, 0, SHA256_BLOCK_BYTES);
  sha256CtxUpdate(HMAC_CTX, IO, msgLen);
  wipe(IO, msgLen);
  hmacCtxFinal(HMAC_CTX, HMAC_OUT);
  memory.fill(HMAC_CTX, 0, HMAC_CONTEXT_BYTES);
  hmacWipeScratch();
}

/** Streaming: key HMAC_CTX with HMAC_KEY[0, keyLen); the key buffer is wiped. */
export function hmacInit(keyLen: usize): void {
  hmacCtxInit(HMAC_CTX, HMAC_KEY, keyLen);
  memory.fill(HMAC_KEY, 0, SHA256_BLOCK_BYTES);
  hmacWipeScratch();
}

/** Streaming: absorb IO[0, len) and wipe IO. The bindings save the context and wipe it after. */
export function hmacUpdate(len: usize): void {
  sha256CtxUpdate(HMAC_CTX, IO, len);
  wipe(IO, len);
  hmacWipeScratch();
}

/** Streaming: finish into HMAC_OUT and wipe the context. */
export function hmacFinal(): void {
  hmacCtxFinal(HMAC_CTX, HMAC_OUT);
  memory.fill(HMAC_CTX, 0, HMAC_CONTEXT_BYTES);
  hmacWipeScratch();
}
