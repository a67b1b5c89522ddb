/**
 * SHA3-256, SHA3-512, SHAKE128 and SHAKE256 (FIPS 202 §6) on the WASM core, with @noble/hashes' call shapes:
 * `sha3_256(msg)`, `sha3_256.create().update(a).digest()`, `shake128(msg, { dkLen })`,
 * `shake256.create({ dkLen }).update(a).xof(n)`. Results are byte-identical to noble's.
 */
import {
  IO_BUFFER_BYTES, KECCAK_CONTEXT_BYTES, SHA3_256_RATE_BYTES, SHA3_512_RATE_BYTES, SHA3_SUFFIX, SHAKE128_RATE_BYTES,
  SHAKE256_RATE_BYTES, SHAKE_SUFFIX,
} from '../../assembly/constants.js';
import { InvalidOutputLengthError, InvalidStateError } from '../errors.js';
import { jsBackend, type BackendXof, type KeccakName } from './backend.js';
import { assertBytes } from './bytes.js';
import { core, streamThroughIo, takeBytes } from './wasm.js';
import { MLKEM_PART } from './wasm-parts.js';

/** A Keccak sponge's parameters: rate (bytes), suffix byte, default output length (bytes). */
export interface SpongeParams {
  readonly name: string;
  readonly rate: number;
  readonly suffix: number;
  readonly outputLen: number;
  readonly xof: boolean;
}

/** Squeeze `length` bytes of the context now in KECCAK_CTX, one IO buffer at a time. */
function squeezeInto(out: Uint8Array): void {
  const { heap, fn, addr } = core(MLKEM_PART);
  const io = addr.IO!;
  for (let offset = 0; offset < out.length; offset += IO_BUFFER_BYTES) {
    const n = Math.min(IO_BUFFER_BYTES, out.length - offset);
    fn.keccakSqueeze!(n);
    out.set(heap.subarray(io, io + n), offset);
    heap.fill(0, io, io + n);
  }
}

function hashOneShot(params: SpongeParams, msg: Uint8Array, outputLen: number): Uint8Array {
  assertBytes(msg, 'message');
  const js = jsBackend();
  if (js) return js.keccak(params.name as KeccakName, msg, outputLen);
  const { heap, fn, addr } = core(MLKEM_PART);
  if (msg.length <= IO_BUFFER_BYTES && outputLen <= IO_BUFFER_BYTES) {
    heap.set(msg, addr.IO!);
    fn.keccakDigest!(params.rate, params.suffix, msg.length, outputLen);
    return takeBytes(MLKEM_PART, addr.IO!, outputLen);
  }
  fn.keccakInit!(params.rate, params.suffix);
  streamThroughIo(MLKEM_PART, msg, fn.keccakUpdate!);
  const out = new Uint8Array(outputLen);
  squeezeInto(out);
  const ctx = addr.KECCAK_CTX!;
  heap.fill(0, ctx, ctx + KECCAK_CONTEXT_BYTES);
  return out;
}

/** `dkLen` of a SHAKE call: a non-negative integer (the output is streamed, so any size a Uint8Array can hold). */
function outputLength(params: SpongeParams, opts: { dkLen?: number } | undefined): number {
  const dkLen = opts?.dkLen ?? params.outputLen;
  if (!Number.isSafeInteger(dkLen) || dkLen < 0 || dkLen > 2 ** 32 - 1) {
    throw new InvalidOutputLengthError(`${params.name} dkLen must be an integer in [0, 2^32 - 1], got ${dkLen}`);
  }
  return dkLen;
}

/**
 * Incremental SHA-3 / SHAKE. The sponge state lives in this object and visits WASM memory only during
 * a call; with a pure-JS backend selected (`useBackend`), it is that backend's state instead.
 */
export class Keccak {
  readonly blockLen: number;
  readonly outputLen: number;
  readonly canXOF: boolean;
  readonly #params: SpongeParams;
  #context: Uint8Array = new Uint8Array(0);
  readonly #js: BackendXof | undefined;
  #squeezing = false;
  #finished = false;

  /** `context` and `backendState` are for `clone()`; call `sha3_256.create()` (and the like) instead. */
  constructor(params: SpongeParams, outputLen: number, context?: Uint8Array, backendState?: BackendXof) {
    this.#params = params;
    this.blockLen = params.rate;
    this.outputLen = outputLen;
    this.canXOF = params.xof;
    this.#js = backendState ?? (context ? undefined : jsBackend()?.keccakCreate(params.name as KeccakName, outputLen));
    if (this.#js) return;
    if (context) {
      this.#context = context;
    } else {
      const { fn, addr } = core(MLKEM_PART);
      fn.keccakInit!(params.rate, params.suffix);
      this.#context = takeBytes(MLKEM_PART, addr.KECCAK_CTX!, KECCAK_CONTEXT_BYTES);
    }
  }

  /** Absorb more bytes. Throws ERR_INVALID_STATE once output was read or after `destroy()`. */
  update(data: Uint8Array): this {
    this.#assertActive();
    if (this.#squeezing) throw new InvalidStateError(`${this.#params.name}: update() after xof()`);
    assertBytes(data, 'data');
    if (this.#js) {
      this.#js.update(data);
      return this;
    }
    this.#withContext(() => streamThroughIo(MLKEM_PART, data, core(MLKEM_PART).fn.keccakUpdate!));
    return this;
  }

  /** SHAKE only: the next `bytes` bytes of output; may be called repeatedly (FIPS 202 §4 squeezing). */
  xof(bytes: number): Uint8Array {
    this.#assertActive();
    if (!this.canXOF) throw new InvalidStateError(`${this.#params.name}: xof() is only for SHAKE`);
    const out = new Uint8Array(outputLength(this.#params, { dkLen: bytes }));
    this.#squeezing = true;
    if (this.#js) return this.#js.xof(out.length);
    this.#withContext(() => squeezeInto(out));
    return out;
  }

  /** Finish and return `outputLen` bytes. The hasher cannot be used afterwards. */
  digest(): Uint8Array {
    this.#assertActive();
    if (this.#squeezing) throw new InvalidStateError(`${this.#params.name}: digest() after xof()`);
    if (this.#js) {
      const digest = this.#js.digest();
      this.destroy();
      return digest;
    }
    const out = new Uint8Array(this.outputLen);
    this.#withContext(() => squeezeInto(out));
    this.destroy();
    return out;
  }

  /** An independent copy of the current state. */
  clone(): Keccak {
    this.#assertActive();
    const copy = this.#js
      ? new Keccak(this.#params, this.outputLen, undefined, this.#js.clone())
      : new Keccak(this.#params, this.outputLen, this.#context.slice());
    copy.#squeezing = this.#squeezing;
    return copy;
  }

  /** Wipe the saved state; further calls throw. */
  destroy(): void {
    this.#context.fill(0);
    this.#js?.destroy();
    this.#finished = true;
  }

  /** Load the saved context into KECCAK_CTX, run `step`, save the context again and wipe it in WASM. */
  #withContext(step: () => void): void {
    const { heap, addr } = core(MLKEM_PART);
    heap.set(this.#context, addr.KECCAK_CTX!);
    step();
    this.#context.fill(0);
    this.#context = takeBytes(MLKEM_PART, addr.KECCAK_CTX!, KECCAK_CONTEXT_BYTES);
  }

  #assertActive(): void {
    if (this.#finished) throw new InvalidStateError(`${this.#params.name} hasher already finished (digest() or destroy() was called)`);
  }
}

/** A SHA-3 hash (FIPS 202 §6.1), noble-shaped: `sha3_256(message)` or `.create()`. */
export interface Sha3Function {
  /** The digest of `message`. */
  (message: Uint8Array): Uint8Array;
  readonly blockLen: number;
  readonly outputLen: number;
  readonly canXOF: false;
  /** A streaming hash. */
  create(): Keccak;
}

/** A SHAKE extendable-output function (FIPS 202 §6.2), noble-shaped: `shake128(message, { dkLen })` or `.create({ dkLen })`. */
export interface ShakeFunction {
  /** `dkLen` bytes of output (default the function's outputLen). */
  (message: Uint8Array, opts?: { dkLen?: number }): Uint8Array;
  readonly blockLen: number;
  readonly outputLen: number;
  readonly canXOF: true;
  /** A streaming XOF. */
  create(opts?: { dkLen?: number }): Keccak;
}

function sha3(params: SpongeParams): Sha3Function {
  return Object.freeze(Object.assign((message: Uint8Array) => hashOneShot(params, message, params.outputLen), {
    blockLen: params.rate,
    outputLen: params.outputLen,
    canXOF: false as const,
    create: () => new Keccak(params, params.outputLen),
  }));
}

function shake(params: SpongeParams): ShakeFunction {
  return Object.freeze(Object.assign(
    (message: Uint8Array, opts?: { dkLen?: number }) => hashOneShot(params, message, outputLength(params, opts)),
    {
      blockLen: params.rate,
      outputLen: params.outputLen,
      canXOF: true as const,
      create: (opts?: { dkLen?: number }) => new Keccak(params, outputLength(params, opts)),
    },
  ));
}

/** SHA3-256, FIPS 202 §6.1. */
export const sha3_256: Sha3Function = /* @__PURE__ */ sha3({ name: 'sha3_256', rate: SHA3_256_RATE_BYTES, suffix: SHA3_SUFFIX, outputLen: 32, xof: false });
/** SHA3-512, FIPS 202 §6.1. */
export const sha3_512: Sha3Function = /* @__PURE__ */ sha3({ name: 'sha3_512', rate: SHA3_512_RATE_BYTES, suffix: SHA3_SUFFIX, outputLen: 64, xof: false });
/** SHAKE128, FIPS 202 §6.2; 16 bytes unless `dkLen` says otherwise (as noble). */
export const shake128: ShakeFunction = /* @__PURE__ */ shake({ name: 'shake128', rate: SHAKE128_RATE_BYTES, suffix: SHAKE_SUFFIX, outputLen: 16, xof: true });
/** SHAKE256, FIPS 202 §6.2; 32 bytes unless `dkLen` says otherwise (as noble). */
export const shake256: ShakeFunction = /* @__PURE__ */ shake({ name: 'shake256', rate: SHAKE256_RATE_BYTES, suffix: SHAKE_SUFFIX, outputLen: 32, xof: true });
