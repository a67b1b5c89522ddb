/**
 * HMAC-SHA256 (RFC 2104) on the WASM core, with noble's call shape:
 * `hmac(sha256, key, message)` and `hmac.create(sha256, key).update(m).digest()`.
 */
import { IO_BUFFER_BYTES, SHA256_BLOCK_BYTES, SHA256_CONTEXT_BYTES, SHA256_DIGEST_BYTES } from '../../assembly/constants.js';
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import { assertBytes } from './bytes.js';
import { sha256, type Sha256Function } from './sha256.js';
import { core, streamThroughIo, takeBytes } from './wasm.js';

const HMAC_CONTEXT_BYTES = 2 * SHA256_CONTEXT_BYTES;

export function assertSha256(hash: unknown): asserts hash is Sha256Function {
  if (hash !== sha256) throw new InvalidArgumentError('hash must be e2e2 sha256 (the only hash the core implements)');
}

/**
 * Write the HMAC key into the WASM key buffer and return its length there.
 * Keys longer than the block size are replaced by their hash, RFC 2104 §2.
 */
export function loadHmacKey(key: Uint8Array): number {
  const { heap, addr } = core();
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
  const { heap, fn, addr } = core();
  const keyLen = loadHmacKey(key);
  if (message.length <= IO_BUFFER_BYTES) {
    const io = addr.IO!;
    heap.set(message, io);
    fn.hmacSha256!(keyLen, message.length);
  } else {
    fn.hmacInit!(keyLen);
    streamThroughIo(message, fn.hmacUpdate!);
    fn.hmacFinal!();
  }
  return takeBytes(addr.HMAC_OUT!, SHA256_DIGEST_BYTES);
}

/** Incremental HMAC-SHA256. Its keyed state stays in this object between calls and is wiped by digest()/destroy(). */
export class Hmac {
  readonly blockLen = SHA256_BLOCK_BYTES;
  readonly outputLen = SHA256_DIGEST_BYTES;
  #context: Uint8Array;
  #finished = false;

  constructor(hash: Sha256Function, key: Uint8Array, context?: Uint8Array) {
    if (context) {
      this.#context = context;
      return;
    }
    assertSha256(hash);
    assertBytes(key, 'key');
    const { fn, addr } = core();
    fn.hmacInit!(loadHmacKey(key));
    this.#context = takeBytes(addr.HMAC_CTX!, HMAC_CONTEXT_BYTES);
  }

  /** Absorb `data`; returns this for chaining. */
  update(data: Uint8Array): this {
    this.#assertActive();
    assertBytes(data, 'data');
    const { heap, fn, addr } = core();
    heap.set(this.#context, addr.HMAC_CTX!);
    streamThroughIo(data, fn.hmacUpdate!);
    this.#context.set(takeBytes(addr.HMAC_CTX!, HMAC_CONTEXT_BYTES));
    return this;
  }

  /** The 32-byte MAC; the instance is finished (and its state wiped) afterwards. */
  digest(): Uint8Array {
    this.#assertActive();
    const { heap, fn, addr } = core();
    heap.set(this.#context, addr.HMAC_CTX!);
    fn.hmacFinal!();
    this.destroy();
    return takeBytes(addr.HMAC_OUT!, SHA256_DIGEST_BYTES);
  }

  /** An independent copy of the current state. */
  clone(): Hmac {
    this.#assertActive();
    return new Hmac(sha256, new Uint8Array(0), this.#context.slice());
  }

  /** Wipe the keyed state; the instance can no longer be used. */
  destroy(): void {
    this.#context.fill(0);
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
export const hmac: HmacFunction = Object.assign(hmacOneShot, {
  create: (hash: Sha256Function, key: Uint8Array): Hmac => new Hmac(hash, key),
});
