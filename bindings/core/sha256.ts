/**
 * SHA-256 (FIPS 180-4) on the WASM core, with noble's call shape:
 * `sha256(msg)`, `sha256.create().update(a).update(b).digest()`.
 */
import { IO_BUFFER_BYTES, SHA256_BLOCK_BYTES, SHA256_CONTEXT_BYTES, SHA256_DIGEST_BYTES } from '../../assembly/constants.js';
import { InvalidStateError } from '../errors.js';
import { jsBackend, type BackendHash } from './backend.js';
import { assertBytes } from './bytes.js';
import { core, streamThroughIo, takeBytes } from './wasm.js';
import { SHA2_PART } from './wasm-parts.js';

function digestOneShot(msg: Uint8Array): Uint8Array {
  assertBytes(msg, 'message');
  const js = jsBackend();
  if (js) return js.sha256(msg);
  const { heap, fn, addr } = core(SHA2_PART);
  if (msg.length <= IO_BUFFER_BYTES) {
    const io = addr.IO!;
    heap.set(msg, io);
    fn.sha256Digest!(msg.length);
  } else {
    fn.sha256Init!();
    streamThroughIo(SHA2_PART, msg, fn.sha256Update!);
    fn.sha256Final!();
  }
  return takeBytes(SHA2_PART, addr.SHA256_OUT!, SHA256_DIGEST_BYTES);
}

/**
 * Incremental SHA-256. The context lives in this object and visits WASM memory only during a call;
 * with a pure-JS backend selected (`useBackend`), it is that backend's state instead.
 */
export class Sha256 {
  readonly blockLen = SHA256_BLOCK_BYTES;
  readonly outputLen = SHA256_DIGEST_BYTES;
  #context: Uint8Array = new Uint8Array(0);
  readonly #js: BackendHash | undefined;
  #finished = false;

  /** `context` and `backendState` are for `clone()`; call `sha256.create()` instead. */
  constructor(context?: Uint8Array, backendState?: BackendHash) {
    this.#js = backendState ?? (context ? undefined : jsBackend()?.sha256Create());
    if (this.#js) return;
    if (context) {
      this.#context = context;
    } else {
      const { fn, addr } = core(SHA2_PART);
      fn.sha256Init!();
      this.#context = takeBytes(SHA2_PART, addr.SHA256_CTX!, SHA256_CONTEXT_BYTES);
    }
  }

  /** Absorb more bytes. Throws ERR_INVALID_STATE after `digest()` or `destroy()`. */
  update(data: Uint8Array): this {
    this.#assertActive();
    assertBytes(data, 'data');
    if (this.#js) {
      this.#js.update(data);
      return this;
    }
    const { heap, fn, addr } = core(SHA2_PART);
    const ctx = addr.SHA256_CTX!;
    heap.set(this.#context, ctx);
    streamThroughIo(SHA2_PART, data, fn.sha256Update!);
    this.#context = takeBytes(SHA2_PART, ctx, SHA256_CONTEXT_BYTES);
    return this;
  }

  /** Finish and return the 32-byte digest. The hasher cannot be used afterwards. */
  digest(): Uint8Array {
    this.#assertActive();
    if (this.#js) {
      const out = this.#js.digest();
      this.destroy();
      return out;
    }
    const { heap, fn, addr } = core(SHA2_PART);
    heap.set(this.#context, addr.SHA256_CTX!);
    fn.sha256Final!();
    this.destroy();
    return takeBytes(SHA2_PART, addr.SHA256_OUT!, SHA256_DIGEST_BYTES);
  }

  /** An independent copy of the current state. */
  clone(): Sha256 {
    this.#assertActive();
    if (this.#js) return new Sha256(undefined, this.#js.clone());
    return new Sha256(this.#context.slice());
  }

  /** Wipe the saved state; further calls throw. */
  destroy(): void {
    this.#context.fill(0);
    this.#js?.destroy();
    this.#finished = true;
  }

  #assertActive(): void {
    if (this.#finished) throw new InvalidStateError('sha256 hasher already finished (digest() or destroy() was called)');
  }
}

/** SHA-256 (FIPS 180-4), noble-shaped: `sha256(message)` or `sha256.create()` for streaming. */
export interface Sha256Function {
  /** The 32-byte digest of `message`. */
  (message: Uint8Array): Uint8Array;
  readonly blockLen: 64;
  readonly outputLen: 32;
  /** A streaming hash: `update()` any number of times, then `digest()`. */
  create(): Sha256;
}

/** SHA-256 of `message` (any length), FIPS 180-4. */
export const sha256: Sha256Function = /* @__PURE__ */ Object.assign(digestOneShot, {
  blockLen: SHA256_BLOCK_BYTES as 64,
  outputLen: SHA256_DIGEST_BYTES as 32,
  create: (): Sha256 => new Sha256(),
});
