/**
 * initSync(module | bytes) and init(module | bytes | Response | Promise<Response>): how a host
 * that forbids compiling WASM hands e2e2 a module it compiled itself (dist/e2e2.wasm, `e2e2/wasm`).
 * Each case runs the built ESM package in a fresh child Node process, so the module-level
 * instance starts empty; "refusing" replaces WebAssembly.Module/compile the way workerd refuses,
 * after the host has compiled dist/e2e2.wasm.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertBuilt, ROOT } from './helpers/cli.js';

const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'; // SHA-256("abc"), FIPS 180-2 B.1

/** Run `body` (statements using `e2e2`, `wasmBytes`, `wasmModule`, `refuse()`); it returns a value to report. */
function run(body: string): { value?: unknown; code?: string; name?: string; message?: string; causeMessage?: string } {
  assertBuilt();
  const url = pathToFileURL(join(ROOT, 'dist/esm/index.js')).href;
  const script = `
import { readFileSync } from 'node:fs';
const wasmBytes = readFileSync(${JSON.stringify(join(ROOT, 'dist/e2e2.wasm'))});
const wasmModule = new WebAssembly.Module(wasmBytes);
const Real = WebAssembly;
function refuse() {
  const no = () => { throw new Real.CompileError('WebAssembly.Module(): Wasm code generation disallowed by embedder'); };
  globalThis.WebAssembly = { ...Object.fromEntries(Object.getOwnPropertyNames(Real).map((k) => [k, Real[k]])),
    Module: Object.assign(function Module() { no(); }, { exports: Real.Module.exports }), compile: async () => no() };
  Object.setPrototypeOf(globalThis.WebAssembly.Module, Real.Module);
  globalThis.WebAssembly.Module.prototype = Real.Module.prototype;
}
const e2e2 = await import(${JSON.stringify(url)});
const hex = (b) => Buffer.from(b).toString('hex');
const abc = new TextEncoder().encode('abc');
try {
  const value = await (async () => { ${body} })();
  console.log(JSON.stringify({ value }));
} catch (err) {
  console.log(JSON.stringify({ code: err.code, name: err.name, message: err.message, causeMessage: err.cause?.message }));
}`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('initSync / init', () => {
  it('control: with compilation refused and no init, the first call is ERR_WASM_UNAVAILABLE', () => {
    const r = run(`refuse(); return hex(e2e2.sha256(abc));`);
    expect(r.code).toBe('ERR_WASM_UNAVAILABLE');
    expect(r.causeMessage).toMatch(/disallowed by embedder/);
  });

  it('initSync(precompiled module) with compilation refused: every primitive works', () => {
    const r = run(`refuse(); e2e2.initSync(wasmModule); return hex(e2e2.sha256(abc));`);
    expect(r).toEqual({ value: ABC });
  });

  it('initSync(combined module) with compilation refused serves all four families, which embed separate modules', () => {
    // Compilation is refused, so no embedded module can be compiled: every result below comes from the one instance.
    const r = run(`refuse(); e2e2.initSync(wasmModule);
      const key = new Uint8Array(32).fill(7), nonce = new Uint8Array(12);
      return [hex(e2e2.sha256(abc)), hex(e2e2.x25519.getPublicKey(key)).length, hex(e2e2.chacha20poly1305(key, nonce).encrypt(abc)).length,
        e2e2.ml_kem768.keygen(new Uint8Array(64)).publicKey.length, hex(e2e2.sha3_256(abc))];`);
    expect(r).toEqual({ value: [ABC, 64, 38, 1184, '3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532'] }); // SHA3-256("abc"), FIPS 202 examples
  });

  it('init(precompiled module) with compilation refused', () => {
    expect(run(`refuse(); await e2e2.init(wasmModule); return hex(e2e2.sha256(abc));`)).toEqual({ value: ABC });
  });

  it('initSync(bytes), init(bytes), init(Response), init(Promise<Response>) compile the bytes given', () => {
    expect(run(`e2e2.initSync(new Uint8Array(wasmBytes)); return hex(e2e2.sha256(abc));`)).toEqual({ value: ABC });
    expect(run(`await e2e2.init(wasmBytes.buffer.slice(wasmBytes.byteOffset, wasmBytes.byteOffset + wasmBytes.length)); return hex(e2e2.sha256(abc));`)).toEqual({ value: ABC });
    expect(run(`await e2e2.init(new Response(wasmBytes, { headers: { 'content-type': 'application/wasm' } })); return hex(e2e2.sha256(abc));`)).toEqual({ value: ABC });
    expect(run(`await e2e2.init(Promise.resolve(new Response(wasmBytes))); return hex(e2e2.sha256(abc));`)).toEqual({ value: ABC });
  });

  it('bytes handed in while compilation is refused: ERR_WASM_UNAVAILABLE (valid bytes, refused compile)', () => {
    const r = run(`refuse(); e2e2.initSync(wasmBytes);`);
    expect(r.code).toBe('ERR_WASM_UNAVAILABLE');
    const a = run(`refuse(); await e2e2.init(wasmBytes);`);
    expect(a.code).toBe('ERR_WASM_UNAVAILABLE');
  });

  it('not a WebAssembly module: ERR_INVALID_ARGUMENT, and the bundled module still works after', () => {
    const r = run(`try { e2e2.initSync(new Uint8Array([1, 2, 3])); } catch (err) { return [err.code, err.message, hex(e2e2.sha256(abc))]; }`);
    expect(r.value).toEqual(['ERR_INVALID_ARGUMENT', "e2e2: these bytes are not a WebAssembly module (expected dist/e2e2.wasm, 'e2e2/wasm')", ABC]);
    expect(run(`e2e2.initSync('e2e2.wasm');`)).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: 'e2e2: initSync() takes a WebAssembly.Module or the bytes of dist/e2e2.wasm' });
    expect(run(`await e2e2.init({});`)).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: 'e2e2: init() takes a WebAssembly.Module, the bytes of dist/e2e2.wasm, or a Response for them' });
  });

  it("another program's module is refused before it is instantiated: ERR_INVALID_ARGUMENT naming what it lacks", () => {
    // The smallest valid module: magic and version, no sections, so no exports at all.
    const r = run(`e2e2.initSync(new WebAssembly.Module(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0)));`);
    expect(r.code).toBe('ERR_INVALID_ARGUMENT');
    expect(r.message).toMatch(/^e2e2: this WebAssembly module is not e2e2's \(dist\/e2e2.wasm\): it does not export memory, IO, sha256Digest, /);
  });

  it('a failed Response is ERR_INVALID_ARGUMENT with its status', () => {
    expect(run(`await e2e2.init(new Response('missing', { status: 404 }));`)).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: 'e2e2: init() was given a failed response for dist/e2e2.wasm (HTTP 404)',
    });
  });

  it('once an instance exists, initSync and init do nothing (the first instance stays)', () => {
    const r = run(`const before = hex(e2e2.sha256(abc));
      e2e2.initSync(new WebAssembly.Module(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0)));
      await e2e2.init(wasmModule);
      return [before, hex(e2e2.sha256(abc))];`);
    expect(r.value).toEqual([ABC, ABC]);
  });

  it('init() with no argument compiles the bundled module like ready()', () => {
    expect(run(`await e2e2.init(); return hex(e2e2.sha256(abc));`)).toEqual({ value: ABC });
  });
});
