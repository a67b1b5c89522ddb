/**
 * HMAC-SHA256 (RFC 2104) on the WASM core, with noble's call shape:
 * `hmac(sha256, key, message)` and `hmac.create(sha256, key).update(m).digest()`.
 */
import { IO_BUFFER_BYTES, SHA256_BLOCK_BYTES, SHA256_CONTEXT_BYTES, SHA256_DIGEST_BYTES } from '../../assembly/constants.js';
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import { jsBackend, type BackendHash } from './backend.js';
import { assertBytes } from './bytes.js';
import { sha256, type Sha256Function } from './sha256.js';
import { core, streamThroughIo, takeBytes } from './wasm.js';
import { SHA2_PART } from './wasm-parts.js';

const HMAC_CONTEXT_BYTES = 2 * SHA256_CONTEXT_BYTES;

export function assertSha256(hash: unknown): asserts hash is Sha256Function {
  if (hash !== sha256) throw new InvalidArgumentError('hash must be e2e2 sha256 (the only hash the core implements)');
}

/**
 * Write the HMAC key into the WASM key buffer and return its length there.
 * Keys longer than the block size are replaced by their hash, RFC 2104 §2.
 */
export function loadHmacKey(key: Uint8Array): number {
  const { heap, addr } = core(SHA2_PART);
  const k = key.length > SHA256_BLOCK_BYTES ? sha256(key) : key;
  heap.set(k, addr.HMAC_KEY!);
  if (k !== key) k.fill(0);
  return k.length;
}

/** HMAC-SHA256 tag (32 bytes) of `message` under `key` (both any length). */
function hmacOneShot(hash: Sha256Function, key: Uint8Array, message: Uint8Array): Uint8Array {
  assertSha256(hash);
  assertBytes(key, 'key');
  assertBytes(message, 'message');
  const js = jsBackend();
  if (js) return js.hmacSha256(key, message);
  const { heap, fn, addr } = core(SHA2_PART);
  const keyLen = loadHmacKey(key);
  if (message.length <= IO_BUFFER_BYTES) {
    const io = addr.IO!;
    heap.set(message, io);
    fn.hmacSha256!(keyLen, message.length);
  } else {
    fn.hmacInit!(keyLen);
    streamThroughIo(SHA2_PART, message, fn.hmacUpdate!);
    fn.hmacFinal!();
  }
  return takeBytes(SHA2_PART, addr.HMAC_OUT!, SHA256_DIGEST_BYTES);
}

/**
 * Incremental HMAC-SHA256. Its keyed state stays in this object between calls and is wiped by
 * digest()/destroy(); with a pure-JS backend selected (`useBackend`), it is that backend's state.
 */
export class Hmac {
  readonly blockLen = SHA256_BLOCK_BYTES;
  readonly outputLen = SHA256_DIGEST_BYTES;
  #context: Uint8Array = new Uint8Array(0);
  #js: BackendHash | undefined;
  #finished = false;

  /** `context` and `backendState` are for `clone()`; call `hmac.create(sha256, key)` instead. */
  constructor(hash: Sha256Function, key: Uint8Array, context?: Uint8Array, backendState?: BackendHash) {
    if (backendState) {
      this.#js = backendState;
      return;
    }
    if (context) {
      this.#context = context;
      return;
    }
    assertSha256(hash);
    assertBytes(key, 'key');
    const js = jsBackend();
    if (js) {
      this.#js = js.hmacSha256Create(key);
      return;
    }
    const { fn, addr } = core(SHA2_PART);
    fn.hmacInit!(loadHmacKey(key));
    this.#context = takeBytes(SHA2_PART, addr.HMAC_CTX!, HMAC_CONTEXT_BYTES);
  }

  /** Absorb `data`; returns this for chaining. */
  update(data: Uint8Array): this {
    this.#assertActive();
    assertBytes(data, 'data');
    if (this.#js) {
      this.#js.update(data);
      return this;
    }
    const { heap, fn, addr } = core(SHA2_PART);
    heap.set(this.#context, addr.HMAC_CTX!);
    streamThroughIo(SHA2_PART, data, fn.hmacUpdate!);
    this.#context.set(takeBytes(SHA2_PART, addr.HMAC_CTX!, HMAC_CONTEXT_BYTES));
    return this;
  }

  /** The 32-byte MAC; the instance is finished (and its state wiped) afterwards. */
  digest(): Uint8Array {
    this.#assertActive();
    if (this.#js) {
      const out = this.#js.digest();
      this.destroy();
      return out;
    }
    const { heap, fn, addr } = core(SHA2_PART);
    heap.set(this.#context, addr.HMAC_CTX!);
    fn.hmacFinal!();
    this.destroy();
    return takeBytes(SHA2_PART, addr.HMAC_OUT!, SHA256_DIGEST_BYTES);
  }

  /** An independent copy of the current state. */
  clone(): Hmac {
    this.#assertActive();
    if (this.#js) return new Hmac(sha256, new Uint8Array(0), undefined, this.#js.clone());
    return new Hmac(sha256, new Uint8Array(0), this.#context.slice());
  }

  /** Wipe the keyed state; the instance can no longer be used. */
  destroy(): void {
    this.#context.fill(0);
    this.#js?.destroy();
    this.#finished = true;
  }

  #assertActive(): void {
    if (this.#finished) throw new InvalidStateError('hmac already finished (digest() or destroy() was called)');
  }
}

/** HMAC-SHA256 (RFC 2104), noble-shaped: `hmac(sha256, key, message)` or `hmac.create(sha256, key)`. */
export interface HmacFunction {
  /** The 32-byte MAC of `message` under `key`. */
  (hash: Sha256Function, key: Uint8Array, message: Uint8Array): Uint8Array;
  /** A streaming MAC under `key`. */
  create(hash: Sha256Function, key: Uint8Array): Hmac;
}

/** HMAC-SHA256, RFC 2104. */
export const hmac: HmacFunction = /* @__PURE__ */ Object.assign(hmacOneShot, {
  create: (hash: Sha256Function, key: Uint8Array): Hmac => new Hmac(hash, key),
});
