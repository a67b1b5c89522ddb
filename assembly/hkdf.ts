/**
 * HKDF-SHA256, RFC 5869 §2.2 (Extract) and §2.3 (Expand), on the HMAC of hmac.ts.
 * Constant-time: the only branches are on lengths (salt, IKM, info, L), which are public.
 */
import { IO, wipe } from './memory';
import { HKDF_MAX_OUTPUT_BYTES, SHA256_DIGEST_BYTES } from './constants';
import { HMAC_CONTEXT_BYTES, HMAC_KEY, hmacCtxFinal, hmacCtxInit, hmacCtxUpdate, hmacWipeScratch } from './hmac';

/** Output of the exported API: up to 255 * 32 bytes of OKM. */
export const HKDF_OUT: usize = memory.data(HKDF_MAX_OUTPUT_BYTES, 16);

/** HMAC keyed with PRK, kept to start every T(i) without re-keying (secret). */
const KEYED: usize = memory.data(HMAC_CONTEXT_BYTES, 16);
/** Working copy of KEYED for one T(i) (secret). */
const WORK: usize = memory.data(HMAC_CONTEXT_BYTES, 16);
/** PRK from Extract, then T(i) (secret). */
const BLOCK: usize = memory.data(SHA256_DIGEST_BYTES, 16);
/** The single-octet counter i of §2.3. */
const COUNTER: usize = memory.data(1, 1);

/**
 * T(i) = HMAC(PRK, T(i-1) | info | i) for i = 1..ceil(L/32), OKM = first L bytes (§2.3).
 * Expects KEYED to hold HMAC keyed with PRK.
 */
function expandFromKeyed(info: usize, infoLen: usize, out: usize, length: usize): void {
  let counter: u8 = 1;
  for (let offset: usize = 0; offset < length; offset += SHA256_DIGEST_BYTES) {
    memory.copy(WORK, KEYED, HMAC_CONTEXT_BYTES);
    if (offset != 0) hmacCtxUpdate(WORK, BLOCK, SHA256_DIGEST_BYTES);
    hmacCtxUpdate(WORK, info, infoLen);
    store<u8>(COUNTER, counter++);
    hmacCtxUpdate(WORK, COUNTER, 1);
    hmacCtxFinal(WORK, BLOCK);
    let take = length - offset;
    if (take > <usize>SHA256_DIGEST_BYTES) take = SHA256_DIGEST_BYTES;
    memory.copy(out + offset, BLOCK, take);
  }
}

function wipeAll(): void {
  memory.fill(HMAC_KEY, 0, 64);
  memory.fill(KEYED, 0, HMAC_CONTEXT_BYTES);
  memory.fill(WORK, 0, HMAC_CONTEXT_BYTES);
  memory.fill(BLOCK, 0, SHA256_DIGEST_BYTES);
  hmacWipeScratch();
}

// ---------------------------------------------------------------- exported API

/**
 * One-shot HKDF: salt in HMAC_KEY[0, saltLen) (<= 64; an empty salt equals HashLen zeros, §2.2),
 * IKM at IO[0, ikmLen), info at IO[ikmLen, ikmLen + infoLen); OKM to HKDF_OUT[0, length).
 * Inputs and everything derived are wiped except HKDF_OUT, which the bindings copy and wipe.
 */
export function hkdfSha256(saltLen: usize, ikmLen: usize, infoLen: usize, length: usize): void {
  // Extract: PRK = HMAC(salt, IKM).
  hmacCtxInit(WORK, HMAC_KEY, saltLen);
  hmacCtxUpdate(WORK, IO, ikmLen);
  hmacCtxFinal(WORK, BLOCK);
  // Expand with PRK.
  hmacCtxInit(KEYED, BLOCK, SHA256_DIGEST_BYTES);
  expandFromKeyed(IO + ikmLen, infoLen, HKDF_OUT, length);
  wipe(IO, ikmLen + infoLen);
  wipeAll();
}

/** HKDF-Expand: PRK in HMAC_KEY[0, prkLen) (<= 64), info at IO[0, infoLen); OKM to HKDF_OUT[0, length). */
export function hkdfExpand(prkLen: usize, infoLen: usize, length: usize): void {
  hmacCtxInit(KEYED, HMAC_KEY, prkLen);
  expandFromKeyed(IO, infoLen, HKDF_OUT, length);
  wipe(IO, infoLen);
  wipeAll();
}
