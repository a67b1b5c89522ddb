/**
 * AEAD_CHACHA20_POLY1305, RFC 8439 §2.8: the Poly1305 one-time key is the first 32 bytes of ChaCha20
 * block 0 (§2.6), the ciphertext uses blocks 1, 2, ... (§2.4), and the tag is Poly1305 over
 *   aad | pad16(aad) | ciphertext | pad16(ciphertext) | le64(len(aad)) | le64(len(ciphertext)).
 *
 * One-shot layout of IO (one call per seal or open when everything fits):
 *   IO[0, len)               plaintext (seal) or ciphertext (open), overwritten in place
 *   IO[len, len + 16)        tag: written by seal, read by open
 *   IO[len + 16, + aadLen)   associated data
 * so seal's output ciphertext || tag is the single range IO[0, len + 16).
 *
 * Key at AEAD_KEY, nonce at AEAD_NONCE; both are wiped by every operation that reads them. Inputs
 * left in IO (tag, AAD; the whole message when an open fails) are wiped here; outputs (ciphertext
 * || tag, plaintext) stay for the bindings to copy out and wipe.
 * Constant-time: ChaCha20 and Poly1305 are (see their files); the tag comparison ORs the XOR of
 * all 16 bytes with no early exit; the only branch on secret-derived data is "decrypt or not"
 * after verification, whose outcome the caller learns anyway. Opening computes the keystream of the
 * first chunk in the MAC pass (KEYSTREAM) but XORs it into the ciphertext only after the tag verifies.
 */
import { IO, wipe } from './memory';
import { CHACHA20_BLOCK_BYTES, CHACHA20_KEY_BYTES, CHACHA20_NONCE_BYTES, IO_BUFFER_BYTES, POLY1305_TAG_BYTES } from './constants';
import { chachaInit, chachaKeystreamQuad, chachaWipeScratch, chachaKeystreamQuadsMac, chachaXor, chachaXorQuadsMac, xorBytes } from './chacha20';
import { POLY1305_CONTEXT_BYTES, polyBlocks, polyFinish, polyInit, polyUpdateMessage, polyUpdatePadded, polyWipeScratch } from './poly1305';

/** 256-bit key input (secret; wiped when read). */
export const AEAD_KEY: usize = memory.data(CHACHA20_KEY_BYTES, 16);
/** 96-bit nonce input. */
export const AEAD_NONCE: usize = memory.data(16, 16);
/** Tag output of the streaming seal, tag input of the streaming open, output of poly1305Mac. */
export const AEAD_TAG: usize = memory.data(POLY1305_TAG_BYTES, 16);

/** ChaCha20 state of the current operation (secret: holds the key). */
const STATE: usize = memory.data(64, 16);
/** Poly1305 context of the current operation (secret: one-time key, accumulator, powers of r). */
const POLY: usize = memory.data(<i32>POLY1305_CONTEXT_BYTES, 16);
/**
 * Keystream blocks 0-3, computed at once by the SIMD core (secret). Block 0's first 32 bytes are
 * the one-time key (§2.6), wiped once Poly1305 is keyed; blocks 1-3 encrypt the first 192 bytes.
 */
const FIRST: usize = memory.data(4 * CHACHA20_BLOCK_BYTES, 16);
/** le64(len(aad)) | le64(len(ciphertext)), the last MAC block; running totals while streaming. */
const LENGTHS: usize = memory.data(16, 16);
/** Message bytes en- or decrypted so far in this pass (u64), which tells what FIRST still covers. */
const POSITION: usize = memory.data(8, 8);
/** The computed tag while opening (secret until verified). */
const EXPECTED: usize = memory.data(POLY1305_TAG_BYTES, 16);
/**
 * Keystream for message bytes [FIRST_BYTES, KEYSTREAM_END), computed while opening in the same pass
 * as the MAC of the ciphertext (chachaKeystreamQuadsMac), used by the decryption after the tag has
 * verified (secret: wiped by wipeAll). Covers at most the first IO-sized chunk of a message.
 */
const KEYSTREAM: usize = memory.data(IO_BUFFER_BYTES, 16);
/** Message position (u64) where KEYSTREAM ends; 0 when it holds nothing. */
const KEYSTREAM_END: usize = memory.data(8, 8);

/** Message bytes covered by FIRST (blocks 1-3). */
const FIRST_BYTES: usize = 3 * CHACHA20_BLOCK_BYTES;

/**
 * Key both primitives for one message (§2.8): blocks 0-3 at once, Poly1305 keyed with the first
 * 32 bytes of block 0 (§2.6), the state left at counter 4 for the bytes after FIRST.
 */
function begin(): void {
  chachaInit(STATE, AEAD_KEY, AEAD_NONCE, 0);
  memory.fill(AEAD_KEY, 0, CHACHA20_KEY_BYTES);
  memory.fill(AEAD_NONCE, 0, CHACHA20_NONCE_BYTES);
  chachaKeystreamQuad(STATE, FIRST);
  polyInit(POLY, FIRST);
  // The rest of block 0 is discarded (§2.6); none of it stays in memory.
  memory.fill(FIRST, 0, CHACHA20_BLOCK_BYTES);
  store<u64>(LENGTHS, 0, 0);
  store<u64>(LENGTHS, 0, 8);
  store<u64>(POSITION, 0);
  store<u64>(KEYSTREAM_END, 0);
}

/**
 * ChaCha20 over the next `len` bytes of the message in place (§2.4, from counter 1): the first 192
 * bytes of a message with FIRST, then the bytes KEYSTREAM covers (an open's first chunk), the rest
 * with the state (whose counter is already past both). Every call of a pass but the last covers a
 * multiple of 64 bytes.
 */
function cipher(data: usize, len: usize): void {
  const position = load<u64>(POSITION);
  let done: usize = 0;
  if (position < <u64>FIRST_BYTES) {
    done = FIRST_BYTES - <usize>position;
    if (done > len) done = len;
    xorBytes(data, data, FIRST + CHACHA20_BLOCK_BYTES + <usize>position, done);
  }
  const at = position + <u64>done;
  const end = load<u64>(KEYSTREAM_END);
  if (done < len && at < end) {
    let n = <usize>(end - at);
    if (n > len - done) n = len - done;
    xorBytes(data + done, data + done, KEYSTREAM + <usize>(at - <u64>FIRST_BYTES), n);
    done += n;
  }
  if (len > done) chachaXor(STATE, data + done, data + done, len - done);
  store<u64>(POSITION, position + <u64>len);
}

/**
 * MAC the first ciphertext chunk of an open (POSITION still 0, so FIRST covers its first 192 bytes)
 * and, in the same pass, compute into KEYSTREAM the keystream of its whole quads after those 192
 * bytes (chachaKeystreamQuadsMac). Nothing is decrypted: cipher() uses KEYSTREAM after verification.
 */
function absorbFirstCiphertext(data: usize, len: usize): void {
  let offset: usize = len < FIRST_BYTES ? len : FIRST_BYTES;
  polyUpdatePadded(POLY, data, offset);
  const quads = (len - offset) >> 8;
  if (quads != 0) {
    chachaKeystreamQuadsMac(STATE, KEYSTREAM, quads, POLY, data + offset);
    offset += quads << 8;
    store<u64>(KEYSTREAM_END, <u64>offset);
  }
  if (offset < len) polyUpdatePadded(POLY, data + offset, len - offset);
  store<u64>(LENGTHS, load<u64>(LENGTHS, 8) + <u64>len, 8);
}

/** MAC associated data (a whole AAD, or a multiple-of-16 chunk of it while streaming). */
function absorbAad(data: usize, len: usize): void {
  polyUpdatePadded(POLY, data, len);
  store<u64>(LENGTHS, load<u64>(LENGTHS, 0) + <u64>len, 0);
}

/** MAC ciphertext (a whole ciphertext, or a multiple-of-16 chunk of it while streaming). */
function absorbCiphertext(data: usize, len: usize): void {
  polyUpdatePadded(POLY, data, len);
  store<u64>(LENGTHS, load<u64>(LENGTHS, 8) + <u64>len, 8);
}

/**
 * Encrypt in place and MAC the ciphertext. The first 192 bytes of a message use FIRST's keystream;
 * whole 256-byte quads after them go through chachaXorQuadsMac, which runs Poly1305 over each quad's
 * ciphertext during the next quad's ChaCha20 rounds (one pass, integer and SIMD work side by side);
 * a tail of less than a quad is encrypted, then MACed. Every call of a pass but the last covers a
 * multiple of 64 bytes, so only the last step has a partial ChaCha20 or Poly1305 block.
 */
function sealInPlace(data: usize, len: usize): void {
  let offset: usize = 0;
  const position = load<u64>(POSITION);
  if (position < <u64>FIRST_BYTES) {
    offset = FIRST_BYTES - <usize>position;
    if (offset > len) offset = len;
    cipher(data, offset);
    polyUpdatePadded(POLY, data, offset);
  }
  const quads = (len - offset) >> 8;
  if (quads != 0) {
    chachaXorQuadsMac(STATE, data + offset, data + offset, quads, POLY);
    const bytes = quads << 8;
    store<u64>(POSITION, load<u64>(POSITION) + <u64>bytes);
    offset += bytes;
  }
  if (offset < len) {
    cipher(data + offset, len - offset);
    polyUpdatePadded(POLY, data + offset, len - offset);
  }
  store<u64>(LENGTHS, load<u64>(LENGTHS, 8) + <u64>len, 8);
}

/** MAC the lengths block and write the tag (§2.8). */
function finishTag(out: usize): void {
  polyBlocks(POLY, LENGTHS, 1, 1);
  polyFinish(POLY, out);
}

/** 1 if the 16-byte tags at a and b are equal, else 0: all bytes XORed and ORed, no early exit. */
function tagsEqual(a: usize, b: usize): i32 {
  const diff = (load<u64>(a, 0) ^ load<u64>(b, 0)) | (load<u64>(a, 8) ^ load<u64>(b, 8));
  // (diff | -diff) has its top bit set exactly when diff != 0; no branch on the secret tag.
  return <i32>(1 - ((diff | (0 - diff)) >> 63));
}

/** Wipe every buffer this module and the primitives used (the streaming tag buffer included). */
function wipeAll(): void {
  memory.fill(AEAD_KEY, 0, CHACHA20_KEY_BYTES);
  memory.fill(AEAD_NONCE, 0, 16);
  memory.fill(STATE, 0, 64);
  memory.fill(POLY, 0, POLY1305_CONTEXT_BYTES);
  memory.fill(FIRST, 0, 4 * CHACHA20_BLOCK_BYTES);
  memory.fill(LENGTHS, 0, 16);
  memory.fill(POSITION, 0, 8);
  memory.fill(EXPECTED, 0, POLY1305_TAG_BYTES);
  const keystreamEnd = load<u64>(KEYSTREAM_END);
  if (keystreamEnd != 0) memory.fill(KEYSTREAM, 0, <usize>keystreamEnd - FIRST_BYTES);
  store<u64>(KEYSTREAM_END, 0);
  chachaWipeScratch();
  polyWipeScratch();
}

/** Wipe the per-call scratch but keep the streaming state (STATE, POLY, FIRST, LENGTHS, POSITION). */
function wipeScratch(): void {
  chachaWipeScratch();
  polyWipeScratch();
}

// ---------------------------------------------------------------- exported API: one call per message

/** Seal IO[0, len) in place with AAD at IO[len + 16, + aadLen); the tag goes to IO[len, len + 16). */
export function aeadSeal(len: usize, aadLen: usize): void {
  begin();
  absorbAad(IO + len + POLY1305_TAG_BYTES, aadLen);
  sealInPlace(IO, len);
  finishTag(IO + len);
  wipe(IO + len + POLY1305_TAG_BYTES, aadLen);
  wipeAll();
}

/**
 * Open IO[0, len) with the tag at IO[len, len + 16) and AAD at IO[len + 16, + aadLen).
 * Authenticates first; decrypts in place and returns 1 only if the tag matches. Otherwise returns
 * 0 without decrypting anything: no plaintext is ever computed, and IO is wiped.
 */
export function aeadOpen(len: usize, aadLen: usize): i32 {
  begin();
  absorbAad(IO + len + POLY1305_TAG_BYTES, aadLen);
  absorbFirstCiphertext(IO, len);
  finishTag(EXPECTED);
  const ok = tagsEqual(EXPECTED, IO + len);
  if (ok) {
    cipher(IO, len);
    wipe(IO + len, <usize>POLY1305_TAG_BYTES + aadLen);
  } else {
    wipe(IO, len + POLY1305_TAG_BYTES + aadLen);
  }
  wipeAll();
  return ok;
}

// ---------------------------------------------------------------- exported API: streaming through IO
// For messages (with their AAD) larger than IO. Call order, chunks of IO_BUFFER_BYTES except the last:
//   seal: aeadStreamBegin, aeadStreamAad*, aeadStreamSeal*, aeadStreamSealFinal (tag in AEAD_TAG)
//   open: aeadStreamBegin, aeadStreamAad*, aeadStreamMac*, (tag into AEAD_TAG) aeadStreamVerify,
//         then if it returned 1: aeadStreamDecrypt*, aeadStreamEnd.
// Between calls the keyed ChaCha20 state and the Poly1305 context stay in WASM memory; every
// call wipes its scratch, and the last call of an operation (or a failed verify) wipes all.
// MAC-only chunks (AAD, the first pass of an open) are wiped from IO by the call; en- and
// decrypted chunks are outputs, copied out of IO by the bindings, which wipe IO at the end.

/** Key a streamed operation from AEAD_KEY and AEAD_NONCE (both wiped). */
export function aeadStreamBegin(): void {
  begin();
  wipeScratch();
}

/** MAC an AAD chunk IO[0, len) (a multiple of 16 unless it is the last). */
export function aeadStreamAad(len: usize): void {
  absorbAad(IO, len);
  wipe(IO, len);
  wipeScratch();
}

/** Encrypt and MAC a plaintext chunk IO[0, len) in place (a multiple of 64 unless it is the last). */
export function aeadStreamSeal(len: usize): void {
  sealInPlace(IO, len);
  wipeScratch();
}

/** Finish a streamed seal: tag to AEAD_TAG, everything else wiped. */
export function aeadStreamSealFinal(): void {
  finishTag(AEAD_TAG);
  const tag0 = load<u64>(AEAD_TAG, 0), tag1 = load<u64>(AEAD_TAG, 8);
  wipeAll();
  store<u64>(AEAD_TAG, tag0, 0);
  store<u64>(AEAD_TAG, tag1, 8);
}

/** MAC a ciphertext chunk IO[0, len) (first pass of a streamed open). */
export function aeadStreamMac(len: usize): void {
  // The first chunk also computes its keystream (see absorbFirstCiphertext); later ones only MAC.
  if (load<u64>(LENGTHS, 8) == 0) absorbFirstCiphertext(IO, len);
  else absorbCiphertext(IO, len);
  wipe(IO, len);
  wipeScratch();
}

/**
 * Compare the tag over everything MACed with the one at AEAD_TAG. Returns 1 if they match (the
 * decryption pass then starts at message byte 0); otherwise wipes all and returns 0.
 */
export function aeadStreamVerify(): i32 {
  finishTag(EXPECTED);
  const ok = tagsEqual(EXPECTED, AEAD_TAG);
  memory.fill(POLY, 0, POLY1305_CONTEXT_BYTES);
  memory.fill(EXPECTED, 0, POLY1305_TAG_BYTES);
  memory.fill(AEAD_TAG, 0, POLY1305_TAG_BYTES);
  if (!ok) wipeAll();
  wipeScratch();
  return ok;
}

/** Decrypt a ciphertext chunk IO[0, len) in place (second pass of a streamed open). */
export function aeadStreamDecrypt(len: usize): void {
  cipher(IO, len);
  wipeScratch();
}

/** End (or abandon) a streamed operation: wipe all state. */
export function aeadStreamEnd(): void {
  wipeAll();
}

// ---------------------------------------------------------------- exported API: raw primitives
// For the RFC 8439 test vectors of the primitives (bound as ...ForTestingOnly in the bindings).

/** ChaCha20 (§2.4) of IO[0, len) in place with AEAD_KEY, AEAD_NONCE and initial block `counter`. */
export function chacha20Xor(counter: u32, len: usize): void {
  chachaInit(STATE, AEAD_KEY, AEAD_NONCE, counter);
  chachaXor(STATE, IO, IO, len);
  wipeAll();
}

/** Poly1305 (§2.5) of IO[0, len) (wiped) with the one-time key at AEAD_KEY (32 bytes); tag to AEAD_TAG. */
export function poly1305Mac(len: usize): void {
  polyInit(POLY, AEAD_KEY);
  polyUpdateMessage(POLY, IO, len);
  wipe(IO, len);
  polyFinish(POLY, EXPECTED);
  const tag0 = load<u64>(EXPECTED, 0), tag1 = load<u64>(EXPECTED, 8);
  wipeAll();
  store<u64>(AEAD_TAG, tag0, 0);
  store<u64>(AEAD_TAG, tag1, 8);
}
