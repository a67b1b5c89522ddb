/**
 * Error names survive bundling: each class states its name, so `error.name` is the documented
 * class name even after esbuild renames or minifies identifiers (two copies of e2e2 in one bundle
 * once produced `WasmUnavailableError2`). Codes were never affected; names now are not either.
 */
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as errors from '../bindings/errors.js';

const classes = Object.entries(errors).filter(([, value]) => typeof value === 'function' && (value as { code?: unknown }).code !== undefined) as [string, new (message: string) => errors.E2E2Error][];

describe('error names', () => {
  it('every error class has its own name and code', () => {
    expect(classes.length).toBeGreaterThanOrEqual(30);
    for (const [exported, Class] of classes) {
      const error = new Class('m');
      expect(error.name, exported).toBe(exported);
      expect(error.code).toBe((Class as unknown as { code: string }).code);
      expect(String(error)).toBe(`${exported}: m`);
    }
  });

  it('are the class names in a minified bundle that renames the classes', () => {
    const out = buildSync({
      stdin: { contents: "import * as e from './bindings/errors.ts'; globalThis.names = Object.entries(e).filter(([, v]) => typeof v === 'function' && v.code).map(([k, C]) => [k, new C('m').name]);", resolveDir: process.cwd(), loader: 'ts' },
      bundle: true,
      minify: true,
      write: false,
      format: 'iife',
      keepNames: false,
    });
    const code = out.outputFiles[0]!.text;
    const sandbox: { names?: [string, string][] } = {};
    new Function('globalThis', code)(sandbox);
    expect(sandbox.names!.length).toBe(classes.length);
    for (const [exported, name] of sandbox.names!) expect(name, exported).toBe(exported);
  });
});
