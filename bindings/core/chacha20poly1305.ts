/**
 * ChaCha20-Poly1305 AEAD (RFC 8439 §2.8) on the WASM core, with noble's call shape:
 * `chacha20poly1305(key, nonce, aad?)` returns `{ encrypt(plaintext, output?), decrypt(ciphertextWithTag, output?) }`;
 * encrypt returns ciphertext || 16-byte tag, decrypt returns the plaintext or throws AuthenticationError.
 *
 * A message whose plaintext (or ciphertext), tag and AAD fit the 64 KiB I/O buffer takes one WASM call;
 * larger ones stream through it in 64 KiB chunks (open: MAC pass, verify, then decryption pass).
 * Decryption authenticates first and writes nothing when the tag does not match.
 */
import { CHACHA20_BLOCK_BYTES, CHACHA20_KEY_BYTES, CHACHA20_NONCE_BYTES, IO_BUFFER_BYTES, POLY1305_KEY_BYTES, POLY1305_TAG_BYTES } from '../../assembly/constants.js';
import {
  AuthenticationError,
  InvalidArgumentError,
  MessageTooLargeError,
  PayloadTooLargeError,
  InvalidKeyLengthError,
  InvalidNonceLengthError,
  InvalidOutputLengthError,
  InvalidStateError,
} from '../errors.js';
import { assertBytes, assertLength } from './bytes.js';
import { jsBackend } from './backend.js';
import { core } from './wasm.js';
import { AEAD_PART } from './wasm-parts.js';

const TAG = POLY1305_TAG_BYTES;
const EMPTY = /* @__PURE__ */ new Uint8Array(0);

/**
 * Largest plaintext, RFC 8439 §2.8: 2^38 - 64 bytes, the 2^32 - 1 blocks of 64 bytes the 32-bit
 * block counter reaches from 1. Beyond it the keystream would repeat. (Node 22+ can allocate
 * Uint8Arrays that large, so the limit is checked, not assumed.)
 */
export const AEAD_MAX_PLAINTEXT_BYTES = 2 ** 38 - 64;

/** The one message of every authentication failure (which check failed goes only into `cause`). */
const AUTH_FAILED = 'authentication failed';

type Op = (...args: number[]) => number;

/** WASM exports this module uses, looked up once (per-record overhead matters to the Noise layer). */
interface AeadCore {
  heap: Uint8Array;
  io: number;
  key: number;
  nonce: number;
  tag: number;
  seal: Op;
  open: Op;
  streamBegin: Op;
  streamAad: Op;
  streamSeal: Op;
  streamSealFinal: Op;
  streamMac: Op;
  streamVerify: Op;
  streamDecrypt: Op;
  streamEnd: Op;
  chacha20Xor: Op;
  poly1305Mac: Op;
}

let bound: AeadCore | undefined;

function aeadCore(): AeadCore {
  if (bound !== undefined) return bound;
  const { heap, fn, addr } = core(AEAD_PART);
  bound = {
    heap,
    io: addr.IO!,
    key: addr.AEAD_KEY!,
    nonce: addr.AEAD_NONCE!,
    tag: addr.AEAD_TAG!,
    seal: fn.aeadSeal!,
    open: fn.aeadOpen!,
    streamBegin: fn.aeadStreamBegin!,
    streamAad: fn.aeadStreamAad!,
    streamSeal: fn.aeadStreamSeal!,
    streamSealFinal: fn.aeadStreamSealFinal!,
    streamMac: fn.aeadStreamMac!,
    streamVerify: fn.aeadStreamVerify!,
    streamDecrypt: fn.aeadStreamDecrypt!,
    streamEnd: fn.aeadStreamEnd!,
    chacha20Xor: fn.chacha20Xor!,
    poly1305Mac: fn.poly1305Mac!,
  };
  return bound;
}

function assertKey(key: unknown): asserts key is Uint8Array {
  assertLength(key, CHACHA20_KEY_BYTES, 'key', InvalidKeyLengthError);
}

function assertNonce(nonce: unknown): asserts nonce is Uint8Array {
  assertLength(nonce, CHACHA20_NONCE_BYTES, 'nonce', InvalidNonceLengthError);
}

/** The caller's output buffer (exactly `length` bytes), or a new one. */
function outputBuffer(output: Uint8Array | undefined, length: number): Uint8Array {
  if (output === undefined) return new Uint8Array(length);
  assertBytes(output, 'output');
  if (output.length !== length) throw new InvalidOutputLengthError(`output must be ${length} bytes, got ${output.length}`);
  return output;
}

/**
 * Streaming helpers, for messages (with their AAD) larger than IO. Each chunk is copied into IO and
 * `op(len)` runs on it; chunks are IO-sized except the last. MAC-only ops wipe their chunk in WASM;
 * transformed chunks (outputs) are not wiped between chunks (the next chunk overwrites them): the
 * caller wipes IO once at the end of the operation, in `finally`.
 */
function absorbChunks(c: AeadCore, data: Uint8Array, op: Op): void {
  for (let offset = 0; offset < data.length; offset += IO_BUFFER_BYTES) {
    const chunk = data.subarray(offset, offset + IO_BUFFER_BYTES);
    c.heap.set(chunk, c.io);
    op(chunk.length);
  }
}

/** As absorbChunks, copying each transformed chunk out of IO into `out` at the same offset. */
function transformChunks(c: AeadCore, data: Uint8Array, out: Uint8Array, op: Op): void {
  for (let offset = 0; offset < data.length; offset += IO_BUFFER_BYTES) {
    const chunk = data.subarray(offset, offset + IO_BUFFER_BYTES);
    c.heap.set(chunk, c.io);
    op(chunk.length);
    out.set(c.heap.subarray(c.io, c.io + chunk.length), offset);
  }
}

/** End a streamed operation: WASM wipes its state, then IO (all of it: chunks filled it) and the tag buffer. */
function endStream(c: AeadCore): void {
  c.streamEnd();
  c.heap.fill(0, c.io, c.io + IO_BUFFER_BYTES);
  c.heap.fill(0, c.tag, c.tag + TAG);
}

/**
 * Copy the inputs of one operation into WASM memory: key, nonce, and, when `data` (message or
 * ciphertext || tag, `n` being the message length) and AAD fit IO, the one-call layout of
 * assembly/aead.ts (data at IO[0], AAD after the 16-byte tag slot). Returns true when it did, or
 * false when the operation must stream. WASM wipes the key, the nonce and the inputs it leaves in IO.
 */
function loadInputs(c: AeadCore, key: Uint8Array, nonce: Uint8Array, data: Uint8Array, n: number, aad: Uint8Array): boolean {
  const { heap, io } = c;
  heap.set(key, c.key);
  heap.set(nonce, c.nonce);
  if (n + TAG + aad.length > IO_BUFFER_BYTES) return false;
  heap.set(data, io);
  if (aad.length !== 0) heap.set(aad, io + n + TAG);
  return true;
}

/** Seal (RFC 8439 §2.8): ciphertext || tag. Arguments must already be validated. */
function sealChecked(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, output?: Uint8Array): Uint8Array {
  const n = plaintext.length;
  if (n > AEAD_MAX_PLAINTEXT_BYTES) throw new PayloadTooLargeError(`plaintext must be at most 2^38 - 64 bytes (RFC 8439 §2.8)`);
  const js = jsBackend();
  if (js) {
    const out = output === undefined ? undefined : outputBuffer(output, n + TAG);
    const sealed = js.aeadSeal(key, nonce, plaintext, aad);
    if (out === undefined) return sealed;
    out.set(sealed);
    sealed.fill(0);
    return out;
  }
  const c = bound ?? aeadCore();
  const out = output === undefined ? undefined : outputBuffer(output, n + TAG);
  const { heap, io } = c;
  if (loadInputs(c, key, nonce, plaintext, n, aad)) {
    c.seal(n, aad.length);
    let result: Uint8Array;
    if (out === undefined) result = heap.slice(io, io + n + TAG);
    else (result = out).set(heap.subarray(io, io + n + TAG));
    heap.fill(0, io, io + n + TAG);
    return result;
  }
  const result = out ?? new Uint8Array(n + TAG);
  try {
    c.streamBegin();
    absorbChunks(c, aad, c.streamAad);
    transformChunks(c, plaintext, result, c.streamSeal);
    c.streamSealFinal();
    result.set(heap.subarray(c.tag, c.tag + TAG), n);
  } finally {
    endStream(c);
  }
  return result;
}

/** Open (RFC 8439 §2.8): authenticate, then decrypt. Arguments must already be validated. */
function openChecked(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array, output?: Uint8Array): Uint8Array {
  const js = jsBackend();
  const c = js ? undefined : (bound ?? aeadCore());
  if (sealed.length < TAG) throw new AuthenticationError(AUTH_FAILED, { cause: 'ciphertext shorter than the tag' });
  const n = sealed.length - TAG;
  // No authentic message is longer: the sender's block counter would have wrapped (RFC 8439 §2.8).
  if (n > AEAD_MAX_PLAINTEXT_BYTES) throw new MessageTooLargeError(`ciphertext must be at most 2^38 - 64 + 16 bytes (RFC 8439 §2.8)`);
  const out = output === undefined ? undefined : outputBuffer(output, n);
  if (c === undefined) {
    // The JS backend authenticates first too; nothing reaches `output` unless the tag verifies.
    const plaintext = js!.aeadOpen(key, nonce, sealed, aad);
    if (plaintext === undefined) throw new AuthenticationError(AUTH_FAILED, { cause: 'tag mismatch' });
    if (out === undefined) return plaintext;
    out.set(plaintext);
    plaintext.fill(0);
    return out;
  }
  const { heap, io } = c;
  if (loadInputs(c, key, nonce, sealed, n, aad)) {
    // On failure WASM has computed no plaintext and wiped IO itself.
    if (c.open(n, aad.length) !== 1) throw new AuthenticationError(AUTH_FAILED, { cause: 'tag mismatch' });
    let result: Uint8Array;
    if (out === undefined) result = heap.slice(io, io + n);
    else (result = out).set(heap.subarray(io, io + n));
    heap.fill(0, io, io + n);
    return result;
  }
  const ciphertext = sealed.subarray(0, n);
  try {
    c.streamBegin();
    absorbChunks(c, aad, c.streamAad);
    absorbChunks(c, ciphertext, c.streamMac);
    heap.set(sealed.subarray(n), c.tag);
    if (c.streamVerify() !== 1) throw new AuthenticationError(AUTH_FAILED, { cause: 'tag mismatch' });
    // Only now, authenticated, is anything written to the caller's output.
    const result = out ?? new Uint8Array(n);
    transformChunks(c, ciphertext, result, c.streamDecrypt);
    return result;
  } finally {
    endStream(c);
  }
}

/** A ChaCha20-Poly1305 instance bound to one key, nonce and AAD (noble's `CipherWithOutput`). */
export interface ChaCha20Poly1305 {
  /** ciphertext || tag (plaintext length + 16 bytes). Only once per instance: a nonce must never repeat. */
  encrypt(plaintext: Uint8Array, output?: Uint8Array): Uint8Array;
  /** The plaintext of ciphertext || tag; throws AuthenticationError (ERR_AUTHENTICATION_FAILED) if it does not verify. */
  decrypt(ciphertextWithTag: Uint8Array, output?: Uint8Array): Uint8Array;
}

/** ChaCha20-Poly1305 (RFC 8439 §2.8), noble-shaped: `chacha20poly1305(key, nonce, aad?).encrypt(plaintext)` / `.decrypt(ciphertext)`. */
export interface ChaCha20Poly1305Function {
  /** An AEAD instance for one (key, nonce, aad): 32-byte key, 12-byte nonce. */
  (key: Uint8Array, nonce: Uint8Array, aad?: Uint8Array): ChaCha20Poly1305;
  readonly blockSize: 64;
  readonly nonceLength: 12;
  readonly tagLength: 16;
}

class Instance implements ChaCha20Poly1305 {
  #key: Uint8Array;
  #nonce: Uint8Array;
  #aad: Uint8Array;
  #encrypted = false;

  constructor(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array) {
    this.#key = key;
    this.#nonce = nonce;
    this.#aad = aad;
  }

  encrypt(plaintext: Uint8Array, output?: Uint8Array): Uint8Array {
    // Like noble: one encryption per key and nonce, since a repeated nonce breaks ChaCha20-Poly1305
    // (keystream reuse, and the Poly1305 key leaks). Any attempt consumes the instance.
    if (this.#encrypted) throw new InvalidStateError('encrypt() was already called on this key and nonce; use a new nonce');
    this.#encrypted = true;
    assertBytes(plaintext, 'plaintext');
    return sealChecked(this.#key, this.#nonce, plaintext, this.#aad, output);
  }

  decrypt(ciphertextWithTag: Uint8Array, output?: Uint8Array): Uint8Array {
    assertBytes(ciphertextWithTag, 'ciphertext');
    return openChecked(this.#key, this.#nonce, ciphertextWithTag, this.#aad, output);
  }
}

function construct(key: Uint8Array, nonce: Uint8Array, aad?: Uint8Array): ChaCha20Poly1305 {
  assertKey(key);
  assertNonce(nonce);
  if (aad !== undefined) assertBytes(aad, 'aad');
  // Like noble, key, nonce and AAD are borrowed, not copied: they are read at encrypt/decrypt time.
  return new Instance(key, nonce, aad ?? EMPTY);
}

/**
 * ChaCha20-Poly1305 (RFC 8439 §2.8), drop-in for `@noble/ciphers/chacha.js` `chacha20poly1305`.
 * Errors: InvalidArgumentError (not a Uint8Array), InvalidKeyLengthError (key not 32 bytes),
 * InvalidNonceLengthError (nonce not 12 bytes), InvalidOutputLengthError (output of the wrong size),
 * InvalidStateError (second encrypt), AuthenticationError (decrypt of a forged or truncated message).
 */
export const chacha20poly1305: ChaCha20Poly1305Function = /* @__PURE__ */ Object.assign(construct, {
  blockSize: CHACHA20_BLOCK_BYTES as 64,
  nonceLength: CHACHA20_NONCE_BYTES as 12,
  tagLength: POLY1305_TAG_BYTES as 16,
});

/**
 * Functional seal for per-record callers (the Noise CipherState): the same bytes as
 * `chacha20poly1305(key, nonce, aad).encrypt(plaintext, output)` without allocating an instance.
 * The caller owns nonce uniqueness. Same errors as the constructor and encrypt.
 */
export function chacha20poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = EMPTY, output?: Uint8Array): Uint8Array {
  assertKey(key);
  assertNonce(nonce);
  assertBytes(plaintext, 'plaintext');
  assertBytes(aad, 'aad');
  return sealChecked(key, nonce, plaintext, aad, output);
}

/**
 * Functional open for per-record callers: the same as `chacha20poly1305(key, nonce, aad).decrypt(sealed, output)`.
 * Throws AuthenticationError when the tag does not verify (nothing is written to `output` then).
 */
export function chacha20poly1305Open(key: Uint8Array, nonce: Uint8Array, ciphertextWithTag: Uint8Array, aad: Uint8Array = EMPTY, output?: Uint8Array): Uint8Array {
  assertKey(key);
  assertNonce(nonce);
  assertBytes(ciphertextWithTag, 'ciphertext');
  assertBytes(aad, 'aad');
  return openChecked(key, nonce, ciphertextWithTag, aad, output);
}

/**
 * @internal Seal for a record layer (RFC 8439 §2.8, no AAD): the plaintext is the byte `prefix`
 * followed by `body`, and the result is `headroom` zero bytes (room for a transport's frame
 * header) followed by ciphertext || tag, in one new buffer. The same bytes as sealing the
 * concatenation, without building it: one copy in, one WASM call, one copy out. Key and nonce
 * are not checked here (the Noise CipherState owns them); nonce uniqueness is the caller's.
 */
export function chacha20poly1305SealPrefixed(key: Uint8Array, nonce: Uint8Array, prefix: number, body: Uint8Array, headroom: number): Uint8Array {
  const n = 1 + body.length;
  const c = jsBackend() ? undefined : (bound ?? aeadCore());
  if (c === undefined || n + TAG > IO_BUFFER_BYTES) {
    const plaintext = new Uint8Array(n);
    plaintext[0] = prefix;
    plaintext.set(body, 1);
    const out = new Uint8Array(headroom + n + TAG);
    sealChecked(key, nonce, plaintext, EMPTY, out.subarray(headroom));
    return out;
  }
  const { heap, io } = c;
  heap.set(key, c.key);
  heap.set(nonce, c.nonce);
  heap[io] = prefix;
  heap.set(body, io + 1);
  c.seal(n, 0);
  const out = new Uint8Array(headroom + n + TAG);
  out.set(heap.subarray(io, io + n + TAG), headroom);
  heap.fill(0, io, io + n + TAG);
  return out;
}

// ---------------------------------------------------------------- raw primitives, for RFC 8439 vectors only

/**
 * Raw ChaCha20 (RFC 8439 §2.4) XOR of `data` starting at block `counter`. NOT part of the public API:
 * unauthenticated, for the §2.3/§2.4 and Appendix A.1/A.2 test vectors. `data` of at most 64 KiB.
 * The 32-bit block counter wraps modulo 2^32 past 0xffffffff (noble refuses to); callers stay below.
 */
export function chacha20ForTestingOnly(key: Uint8Array, nonce: Uint8Array, counter: number, data: Uint8Array): Uint8Array {
  assertKey(key);
  assertNonce(nonce);
  assertBytes(data, 'data');
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff) throw new InvalidArgumentError('counter must be a u32');
  if (data.length > IO_BUFFER_BYTES) throw new InvalidArgumentError(`data must be at most ${IO_BUFFER_BYTES} bytes`);
  const c = aeadCore();
  c.heap.set(key, c.key);
  c.heap.set(nonce, c.nonce);
  c.heap.set(data, c.io);
  c.chacha20Xor(counter, data.length);
  const out = c.heap.slice(c.io, c.io + data.length);
  c.heap.fill(0, c.io, c.io + data.length);
  return out;
}

/**
 * Raw Poly1305 (RFC 8439 §2.5) tag of `message` under the 32-byte one-time key. NOT part of the public
 * API: a Poly1305 key must never be used twice; for the §2.5.2 and Appendix A.3 test vectors.
 */
export function poly1305ForTestingOnly(key: Uint8Array, message: Uint8Array): Uint8Array {
  assertBytes(key, 'key');
  if (key.length !== POLY1305_KEY_BYTES) throw new InvalidKeyLengthError(`key must be ${POLY1305_KEY_BYTES} bytes, got ${key.length}`);
  assertBytes(message, 'message');
  if (message.length > IO_BUFFER_BYTES) throw new InvalidArgumentError(`message must be at most ${IO_BUFFER_BYTES} bytes`);
  const c = aeadCore();
  c.heap.set(key, c.key);
  c.heap.set(message, c.io);
  c.poly1305Mac(message.length);
  const tag = c.heap.slice(c.tag, c.tag + TAG);
  c.heap.fill(0, c.tag, c.tag + TAG);
  return tag;
}
