/**
 * HKDF-SHA256 (RFC 5869) on the WASM core, with noble's call shape:
 * `hkdf(sha256, ikm, salt, info, length)`, `extract(sha256, ikm, salt?)`, `expand(sha256, prk, info?, length?)`.
 * The common case (salt <= 64 bytes, IKM and info within the I/O buffer) is one WASM call.
 */
import { HKDF_MAX_OUTPUT_BYTES, IO_BUFFER_BYTES, SHA256_BLOCK_BYTES, SHA256_DIGEST_BYTES } from '../../assembly/constants.js';
import { InvalidKeyLengthError, InvalidOutputLengthError } from '../errors.js';
import { jsBackend } from './backend.js';
import { assertBytes } from './bytes.js';
import { Hmac, assertSha256, hmac, loadHmacKey } from './hmac.js';
import { sha256, type Sha256Function } from './sha256.js';
import { core, takeBytes } from './wasm.js';
import { SHA2_PART } from './wasm-parts.js';

const EMPTY = /* @__PURE__ */ new Uint8Array(0);

function assertOutputLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < 0 || length > HKDF_MAX_OUTPUT_BYTES) {
    throw new InvalidOutputLengthError(`HKDF output length must be an integer in [0, ${HKDF_MAX_OUTPUT_BYTES}] (RFC 5869 §2.3), got ${length}`);
  }
}

function optionalBytes(value: Uint8Array | undefined, name: string): Uint8Array {
  if (value === undefined) return EMPTY;
  assertBytes(value, name);
  return value;
}

/** HKDF-Extract (§2.2): PRK = HMAC-SHA256(salt, IKM). A missing salt means 32 zero bytes. */
export function extract(hash: Sha256Function, ikm: Uint8Array, salt?: Uint8Array): Uint8Array {
  assertSha256(hash);
  assertBytes(ikm, 'ikm');
  return hmac(sha256, optionalBytes(salt, 'salt'), ikm);
}

/** T(1..n) computed in JS with streaming HMAC, for info too large for the I/O buffer. */
function expandStreaming(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const okm = new Uint8Array(length);
  const base = hmac.create(sha256, prk);
  let previous: Uint8Array = EMPTY;
  for (let offset = 0, counter = 1; offset < length; offset += SHA256_DIGEST_BYTES, counter++) {
    const mac: Hmac = base.clone();
    const block = mac.update(previous).update(info).update(Uint8Array.of(counter)).digest();
    okm.set(block.subarray(0, Math.min(SHA256_DIGEST_BYTES, length - offset)), offset);
    previous.fill(0);
    previous = block;
  }
  previous.fill(0);
  base.destroy();
  return okm;
}

/** HKDF-Expand (§2.3): `length` bytes of OKM from PRK and info. */
export function expand(hash: Sha256Function, prk: Uint8Array, info?: Uint8Array, length = SHA256_DIGEST_BYTES): Uint8Array {
  assertSha256(hash);
  assertBytes(prk, 'prk');
  // §2.3: PRK is "a pseudorandom key of at least HashLen octets"; a shorter one is a misuse (noble rejects it too).
  if (prk.length < SHA256_DIGEST_BYTES) throw new InvalidKeyLengthError(`prk must be at least ${SHA256_DIGEST_BYTES} bytes (RFC 5869 §2.3), got ${prk.length}`);
  const infoBytes = optionalBytes(info, 'info');
  assertOutputLength(length);
  const js = jsBackend();
  if (js) return js.hkdfExpandSha256(prk, infoBytes, length);
  if (infoBytes.length > IO_BUFFER_BYTES) return expandStreaming(prk, infoBytes, length);
  const { heap, fn, addr } = core(SHA2_PART);
  const io = addr.IO!;
  const prkLen = loadHmacKey(prk);
  heap.set(infoBytes, io);
  fn.hkdfExpand!(prkLen, infoBytes.length, length);
  return takeBytes(SHA2_PART, addr.HKDF_OUT!, length);
}

/** HKDF (§2): Expand(Extract(salt, IKM), info, length). */
export function hkdf(hash: Sha256Function, ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array | undefined, length: number): Uint8Array {
  assertSha256(hash);
  assertBytes(ikm, 'ikm');
  const saltBytes = optionalBytes(salt, 'salt');
  const infoBytes = optionalBytes(info, 'info');
  assertOutputLength(length);
  const js = jsBackend();
  if (js) return js.hkdfSha256(ikm, saltBytes, infoBytes, length);
  if (saltBytes.length > SHA256_BLOCK_BYTES || ikm.length + infoBytes.length > IO_BUFFER_BYTES) {
    const prk = extract(sha256, ikm, saltBytes);
    try {
      return expand(sha256, prk, infoBytes, length);
    } finally {
      prk.fill(0);
    }
  }
  const { heap, fn, addr } = core(SHA2_PART);
  const io = addr.IO!;
  heap.set(saltBytes, addr.HMAC_KEY!);
  heap.set(ikm, io);
  heap.set(infoBytes, io + ikm.length);
  fn.hkdfSha256!(saltBytes.length, ikm.length, infoBytes.length, length);
  return takeBytes(SHA2_PART, addr.HKDF_OUT!, length);
}
