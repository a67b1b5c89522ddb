/**
 * The one WebAssembly instance behind every primitive.
 *
 * The module is embedded in the bundle as base64 (bindings/core/wasm-bytes.generated.ts,
 * written by scripts/build-wasm.mjs) and compiled synchronously on first use, so the API is
 * synchronous like noble's and needs no init step. `ready()` compiles asynchronously ahead of
 * time for callers who prefer that. No file or network fetch happens, in Node or in browsers.
 *
 * bindings/core/ is the only code that touches WASM memory. Its rule: copy inputs in, make
 * one call per chunk, copy results out (never hand out views into WASM memory), then wipe.
 */
import { IO_BUFFER_BYTES } from '../../assembly/constants.js';
import { WasmUnavailableError } from '../errors.js';
import { WASM_BASE64 } from './wasm-bytes.generated.js';

type WasmFunction = (...args: number[]) => number;

export interface Core {
  /** View over all of WASM memory. Memory never grows (static buffers only), so it never detaches. */
  readonly heap: Uint8Array;
  /** Exported functions, by name. */
  readonly fn: Readonly<Record<string, WasmFunction>>;
  /** Exported buffer addresses (immutable globals), by name. */
  readonly addr: Readonly<Record<string, number>>;
}

let instance: Core | undefined;
let compiling: Promise<void> | undefined;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function wrap(module: WebAssembly.Module): Core {
  // The module imports nothing: assertions are compiled out and `abort` is disabled.
  const exports = new WebAssembly.Instance(module, {}).exports;
  const fn: Record<string, WasmFunction> = {};
  const addr: Record<string, number> = {};
  let memory: WebAssembly.Memory | undefined;
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value === 'function') fn[name] = value as WasmFunction;
    else if (value instanceof WebAssembly.Global) addr[name] = value.value as number;
    else if (value instanceof WebAssembly.Memory) memory = value;
  }
  if (memory === undefined) throw new Error('e2e2: WASM module exports no memory');
  return { heap: new Uint8Array(memory.buffer), fn, addr };
}

const WASM_FIX =
  "add 'wasm-unsafe-eval' to the page's Content-Security-Policy script-src; " +
  'on Cloudflare Workers (workerd) WASM must be imported as a .wasm module, which e2e2 does not ship yet';

/**
 * The runtime refused to compile WASM: no `WebAssembly` global (Hermes), a CSP without
 * 'wasm-unsafe-eval' (CompileError / EvalError), or workerd ("Wasm code generation disallowed
 * by embedder"). Any failure of compiling our own, known-valid module is one of these.
 */
function unavailable(cause: unknown): WasmUnavailableError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new WasmUnavailableError(`e2e2: WebAssembly compilation was refused (${reason}): ${WASM_FIX}`, { cause });
}

function noWebAssembly(): WasmUnavailableError | undefined {
  if (typeof WebAssembly === 'undefined') {
    return new WasmUnavailableError(`e2e2: this runtime has no WebAssembly global: ${WASM_FIX}`);
  }
  return undefined;
}

/** The instance, compiled synchronously the first time it is needed. */
export function core(): Core {
  if (instance === undefined) {
    const missing = noWebAssembly();
    if (missing) throw missing;
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(decodeBase64(WASM_BASE64));
    } catch (err) {
      throw unavailable(err);
    }
    instance = wrap(module);
  }
  return instance;
}

/**
 * Compile the WASM module asynchronously. Optional: every function also works without it.
 * Resolves once the module is ready; calling it again is free.
 */
export function ready(): Promise<void> {
  if (instance !== undefined) return Promise.resolve();
  const missing = noWebAssembly();
  if (missing) return Promise.reject(missing);
  compiling ??= WebAssembly.compile(decodeBase64(WASM_BASE64)).then(
    (module) => {
      instance ??= wrap(module);
    },
    (err: unknown) => {
      compiling = undefined;
      throw unavailable(err);
    },
  );
  return compiling;
}

/** Copy `data` through the IO buffer chunk by chunk, calling `absorb(len)` for each chunk (which wipes IO). */
export function streamThroughIo(data: Uint8Array, absorb: (len: number) => void): void {
  const { heap, addr } = core();
  const io = addr.IO!;
  for (let offset = 0; offset < data.length; offset += IO_BUFFER_BYTES) {
    const chunk = data.subarray(offset, offset + IO_BUFFER_BYTES);
    heap.set(chunk, io);
    absorb(chunk.length);
  }
}

/** Copy `length` bytes out of WASM memory at `ptr`, then wipe them there. */
export function takeBytes(ptr: number, length: number): Uint8Array {
  const { heap } = core();
  const out = heap.slice(ptr, ptr + length);
  heap.fill(0, ptr, ptr + length);
  return out;
}

/**
 * The whole WASM memory, copied. For tests that check no secret remains after a call;
 * not part of the public API.
 */
export function wasmMemorySnapshotForTestingOnly(): Uint8Array {
  return core().heap.slice();
}
