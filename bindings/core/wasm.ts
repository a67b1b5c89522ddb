/**
 * The WebAssembly instances behind the primitives.
 *
 * The default builds embed four modules as hex, one per primitive family (SHA-2, AEAD, X25519,
 * ML-KEM + Keccak: bindings/core/wasm-parts.ts, wasm-source.ts), each compiled synchronously the first
 * time one of its primitives is called, so the API is synchronous like noble's and needs no init step,
 * and a bundler keeps only the modules of the primitives an application imports (issue 10 item 3).
 * `ready()` / `init()` compile asynchronously ahead of time for callers who prefer that. No file or
 * network fetch happens, in Node or in browsers. The workerd build imports the combined module
 * dist/e2e2.wasm as a precompiled module instead (bindings/core/wasm-source-workerd.ts).
 *
 * A combined module (dist/e2e2.wasm: every export of every part), whether handed to `initSync` /
 * `init` or imported by the workerd build, serves every primitive: one instance, no embedded part used.
 *
 * A host that forbids compiling WASM at run time but can hand over a compiled module (workerd
 * without the `workerd` condition, a bundler that imports `.wasm` files) passes it to
 * `initSync(module)` or `init(module)` before the first call; it may also pass the bytes of
 * `e2e2/wasm` (dist/e2e2.wasm) or a fetch `Response` for them.
 *
 * bindings/core/ is the only code that touches WASM memory. Its rule: copy inputs in, make
 * one call per chunk, copy results out (never hand out views into WASM memory), then wipe.
 */
import { IO_BUFFER_BYTES } from '../../assembly/constants.js';
import { InvalidArgumentError, WasmUnavailableError } from '../errors.js';

type WasmFunction = (...args: number[]) => number;

export interface Core {
  /** View over all of WASM memory. Memory never grows (static buffers only), so it never detaches. */
  readonly heap: Uint8Array;
  /** Exported functions, by name. */
  readonly fn: Readonly<Record<string, WasmFunction>>;
  /** Exported buffer addresses (immutable globals), by name. */
  readonly addr: Readonly<Record<string, number>>;
}

/** What `initSync` accepts: e2e2's compiled module (dist/e2e2.wasm), or its bytes. */
export type WasmModuleSource = WebAssembly.Module | BufferSource;

/** What `init` accepts: a module or bytes as for `initSync`, or a fetch `Response` (or its promise) for dist/e2e2.wasm. */
export type WasmInitSource = WasmModuleSource | Response | PromiseLike<Response>;

/**
 * One embedded module (wasm-parts.ts): its bytes (or, in the workerd build, the combined module),
 * and its instance once created. Created only by `definePart`.
 */
export interface WasmPart {
  readonly name: string;
  readonly source: () => Uint8Array<ArrayBuffer> | WebAssembly.Module;
  instance: Core | undefined;
  compiling: Promise<void> | undefined;
}

/** Parts whose descriptor a bundle kept, in the order they were defined (for `ready()` and the memory snapshot). */
const parts: WasmPart[] = [];

/** The instance of a combined module: when set, every part uses it. */
let combined: Core | undefined;

/**
 * Declare an embedded module. Called at module level in wasm-parts.ts under a pure annotation, so a
 * bundler drops a part (and its bytes) when no primitive that uses it is imported.
 */
export function definePart(name: string, source: () => Uint8Array<ArrayBuffer> | WebAssembly.Module): WasmPart {
  const part: WasmPart = { name, source, instance: undefined, compiling: undefined };
  parts.push(part);
  return part;
}

function anyInstance(): boolean {
  return combined !== undefined || parts.some((part) => part.instance !== undefined);
}

/**
 * Exports of the combined module (dist/e2e2.wasm), one or more from each family. A module handed to
 * initSync/init without them (another program, another package's .wasm, one of the per-family modules)
 * is refused before it is instantiated, instead of failing later at some call.
 */
const COMBINED_EXPORTS = [
  'memory', 'IO', 'sha256Digest', 'hmacSha256', 'hkdfSha256', 'aeadSeal', 'aeadOpen', 'x25519SharedSecret', 'x25519PublicKey', 'keccakDigest', 'mlkemKeygen',
];

function checkExports(module: WebAssembly.Module): void {
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const missing = COMBINED_EXPORTS.filter((name) => !names.has(name));
  if (missing.length > 0) {
    throw new InvalidArgumentError(`e2e2: this WebAssembly module is not e2e2's (dist/e2e2.wasm): it does not export ${missing.join(', ')}`);
  }
}

/** True for the combined module (dist/e2e2.wasm), which serves every family. */
function isCombined(module: WebAssembly.Module): boolean {
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  return COMBINED_EXPORTS.every((name) => names.has(name));
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
  "on Cloudflare Workers (workerd) import e2e2 through its 'workerd' export condition (wrangler does), " +
  "or pass the precompiled module of 'e2e2/wasm' (dist/e2e2.wasm) to initSync()";

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

// Plain booleans, not type guards: WebAssembly.Module is an empty interface, so narrowing on it
// would exclude every object from the other branch.
function isModule(source: unknown): boolean {
  return source instanceof WebAssembly.Module;
}

function isBytes(source: unknown): boolean {
  return source instanceof ArrayBuffer || ArrayBuffer.isView(source);
}

/**
 * Bytes handed in by a caller are checked with `WebAssembly.validate` first (which compiles
 * nothing, so a CSP allows it): invalid bytes are the caller's fault, while a compile failure of
 * valid bytes can only be the runtime refusing.
 */
function checkBytes(bytes: BufferSource): void {
  if (!WebAssembly.validate(bytes)) {
    throw new InvalidArgumentError("e2e2: these bytes are not a WebAssembly module (expected dist/e2e2.wasm, 'e2e2/wasm')");
  }
}

function compileSync(bytes: BufferSource): WebAssembly.Module {
  try {
    return new WebAssembly.Module(bytes);
  } catch (err) {
    throw unavailable(err);
  }
}

/**
 * Install the instance of a part's own module, or, when that module is the combined one (the workerd
 * build's source), make it the instance of every part.
 */
function install(part: WasmPart, module: WebAssembly.Module): Core {
  const instance = wrap(module);
  if (isCombined(module)) combined ??= instance;
  else part.instance ??= instance;
  return combined ?? part.instance!;
}

/** The instance serving `part`: the combined one if any, else the part's own, compiled synchronously the first time. */
export function core(part: WasmPart): Core {
  const serving = combined ?? part.instance;
  if (serving !== undefined) return serving;
  const missing = noWebAssembly();
  if (missing) throw missing;
  const source = part.source();
  return install(part, isModule(source) ? (source as WebAssembly.Module) : compileSync(source as BufferSource));
}

/**
 * Instantiate e2e2 from a module the host compiled (or from its bytes) before the first call.
 * Needed only where the bundled module cannot be used: a host that forbids compiling WASM at run
 * time. It must be the combined module (every part's exports): it then serves every primitive. Once
 * any instance exists (from an earlier init or a first call), further calls do nothing.
 * Throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for anything but e2e2's module, and
 * WasmUnavailableError (ERR_WASM_UNAVAILABLE) when the runtime refuses to compile the bytes.
 * The module is trusted like any loaded code: pass the `e2e2/wasm` of this same e2e2 version
 * (the export check catches a wrong file, not an older build of e2e2's own module).
 */
export function initSync(source: WasmModuleSource): void {
  const missing = noWebAssembly();
  if (missing) throw missing;
  if (!isModule(source) && !isBytes(source)) {
    throw new InvalidArgumentError('e2e2: initSync() takes a WebAssembly.Module or the bytes of dist/e2e2.wasm');
  }
  if (anyInstance()) return;
  let module: WebAssembly.Module;
  if (isModule(source)) module = source as WebAssembly.Module;
  else {
    checkBytes(source as BufferSource);
    module = compileSync(source as BufferSource);
  }
  checkExports(module);
  combined = wrap(module);
}

async function compileAsync(bytes: BufferSource): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes);
  } catch (err) {
    throw unavailable(err);
  }
}

/** A fetch Response, duck-typed: runtimes and test doubles have their own Response classes. */
function isResponseLike(source: unknown): boolean {
  return typeof source === 'object' && source !== null && typeof (source as { arrayBuffer?: unknown }).arrayBuffer === 'function' && 'ok' in source;
}

async function moduleFrom(source: WasmInitSource): Promise<WebAssembly.Module> {
  const resolved = (await source) as unknown;
  if (isModule(resolved)) return resolved as WebAssembly.Module;
  let bytes: BufferSource;
  if (isBytes(resolved)) bytes = resolved as BufferSource;
  else if (isResponseLike(resolved)) {
    const response = resolved as Pick<Response, 'ok' | 'status' | 'arrayBuffer'>;
    if (!response.ok) throw new InvalidArgumentError(`e2e2: init() was given a failed response for dist/e2e2.wasm (HTTP ${response.status})`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } else {
    throw new InvalidArgumentError('e2e2: init() takes a WebAssembly.Module, the bytes of dist/e2e2.wasm, or a Response for them');
  }
  checkBytes(bytes);
  return compileAsync(bytes);
}

/**
 * Compile and instantiate ahead of time, asynchronously. With no argument it uses the module this
 * build ships (same as `ready()`); with a module, bytes or a `Response` it uses that instead.
 * Optional where the bundled module works: every function also initialises on first use.
 */
export async function init(source?: WasmInitSource): Promise<void> {
  if (source === undefined) return ready();
  const missing = noWebAssembly();
  if (missing) throw missing;
  const module = await moduleFrom(source);
  if (anyInstance()) return;
  checkExports(module);
  combined = wrap(module);
}

/**
 * Compile the bundled WASM modules asynchronously (those of the primitives this bundle contains).
 * Optional: every function also works without it. Resolves once they are ready; calling it again is free.
 */
export function ready(): Promise<void> {
  if (combined !== undefined) return Promise.resolve();
  const missing = noWebAssembly();
  if (missing) return Promise.reject(missing);
  return Promise.all(parts.map(compilePart)).then(() => undefined);
}

function compilePart(part: WasmPart): Promise<void> {
  if (combined !== undefined || part.instance !== undefined) return Promise.resolve();
  if (part.compiling !== undefined) return part.compiling;
  const source = part.source();
  if (isModule(source)) {
    // Already compiled (the workerd build's combined module): nothing to wait for.
    try {
      install(part, source as WebAssembly.Module);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return Promise.resolve();
  }
  part.compiling = WebAssembly.compile(source as BufferSource).then(
    (module) => {
      install(part, module);
    },
    (err: unknown) => {
      part.compiling = undefined;
      throw unavailable(err);
    },
  );
  return part.compiling;
}

/** Copy `data` through the IO buffer chunk by chunk, calling `absorb(len)` for each chunk (which wipes IO). */
export function streamThroughIo(part: WasmPart, data: Uint8Array, absorb: (len: number) => void): void {
  const { heap, addr } = core(part);
  const io = addr.IO!;
  for (let offset = 0; offset < data.length; offset += IO_BUFFER_BYTES) {
    const chunk = data.subarray(offset, offset + IO_BUFFER_BYTES);
    heap.set(chunk, io);
    absorb(chunk.length);
  }
}

/** Copy `length` bytes out of WASM memory at `ptr`, then wipe them there. */
export function takeBytes(part: WasmPart, ptr: number, length: number): Uint8Array {
  const { heap } = core(part);
  const out = heap.slice(ptr, ptr + length);
  heap.fill(0, ptr, ptr + length);
  return out;
}

/**
 * WASM memory, copied: of the instance serving `part`, or, without `part`, of every instance that
 * exists (the combined one and each part's, concatenated in a fixed order). For tests that check
 * no secret remains after a call; not part of the public API.
 */
export function wasmMemorySnapshotForTestingOnly(part?: WasmPart): Uint8Array {
  if (part !== undefined) return core(part).heap.slice();
  const heaps = [combined, ...parts.map((p) => p.instance)].filter((c): c is Core => c !== undefined).map((c) => c.heap);
  const out = new Uint8Array(heaps.reduce((n, h) => n + h.length, 0));
  let at = 0;
  for (const heap of heaps) {
    out.set(heap, at);
    at += heap.length;
  }
  return out;
}
