/**
 * When the runtime refuses to compile WASM (strict CSP, workerd, no WebAssembly global), every
 * entry point throws WasmUnavailableError (ERR_WASM_UNAVAILABLE) naming the fix, original error
 * as `cause`. Each case runs the built ESM package in a child Node process whose global
 * WebAssembly is replaced before e2e2 is imported, so the module-level instance is fresh.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertBuilt, ROOT } from './helpers/cli.js';

interface Outcome {
  name: string;
  code: string;
  message: string;
  causeName?: string;
  causeMessage?: string;
  isE2E2?: boolean;
}

/** Run `call` (an expression using `e2e2`) after `setup`; report what it threw. */
function runWith(setup: string, call: string): Outcome {
  assertBuilt();
  const url = pathToFileURL(join(ROOT, 'dist/esm/index.js')).href;
  const script = `${setup}
const e2e2 = await import(${JSON.stringify(url)});
try {
  await (${call});
  console.log(JSON.stringify({ name: 'none', code: 'none', message: 'no error' }));
} catch (err) {
  console.log(JSON.stringify({ name: err.name, code: err.code, message: err.message,
    causeName: err.cause?.name, causeMessage: err.cause?.message,
    isE2E2: err instanceof e2e2.WasmUnavailableError }));
}`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out.trim().split('\n').pop()!) as Outcome;
}

/** A child-process prelude that makes every WASM compile throw the CompileError `message`, as a refusing runtime does. */
function refusingWasm(message: string): string {
  return `{
  const Real = WebAssembly;
  const refuse = () => { throw new Real.CompileError(${JSON.stringify(message)}); };
  globalThis.WebAssembly = { ...Object.fromEntries(Object.getOwnPropertyNames(Real).map((k) => [k, Real[k]])),
    Module: function Module() { refuse(); },
    compile: async () => refuse() };
}`;
}

const CSP_REFUSAL = refusingWasm("WebAssembly.Module(): Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source of script");
const WORKERD_REFUSAL = refusingWasm('WebAssembly.Module(): Wasm code generation disallowed by embedder');

const NO_WASM = `delete globalThis.WebAssembly;`;

function expectUnavailable(o: Outcome, causeMessage?: RegExp): void {
  expect(o.code).toBe('ERR_WASM_UNAVAILABLE');
  expect(o.name).toBe('WasmUnavailableError');
  expect(o.isE2E2).toBe(true);
  expect(o.message).toMatch(/'wasm-unsafe-eval'/);
  expect(o.message).toMatch(/script-src/);
  expect(o.message).toMatch(/Workers/);
  if (causeMessage) {
    expect(o.causeName).toBe('CompileError');
    expect(o.causeMessage).toMatch(causeMessage);
  } else {
    expect(o.causeName).toBeUndefined();
  }
}

describe('WASM unavailable', () => {
  it('control: the same harness with the real WebAssembly computes sha256', () => {
    const o = runWith('', 'e2e2.sha256(new Uint8Array(3))');
    expect(o.code).toBe('none');
  });

  it('CSP refusal on synchronous first use (sha256) is ERR_WASM_UNAVAILABLE with the CompileError as cause', () => {
    expectUnavailable(runWith(CSP_REFUSAL, 'e2e2.sha256(new Uint8Array(3))'), /unsafe-eval/);
  });

  it('CSP refusal through ready() rejects with ERR_WASM_UNAVAILABLE', () => {
    expectUnavailable(runWith(CSP_REFUSAL, 'e2e2.ready()'), /unsafe-eval/);
  });

  it('workerd refusal ("disallowed by embedder") is ERR_WASM_UNAVAILABLE', () => {
    const o = runWith(WORKERD_REFUSAL, 'e2e2.sha256(new Uint8Array(3))');
    expectUnavailable(o, /disallowed by embedder/);
    expect(o.message).toMatch(/disallowed by embedder/);
  });

  it('no WebAssembly global (Hermes) is ERR_WASM_UNAVAILABLE, sync and async', () => {
    expectUnavailable(runWith(NO_WASM, 'e2e2.sha256(new Uint8Array(3))'));
    expectUnavailable(runWith(NO_WASM, 'e2e2.ready()'));
  });
});
