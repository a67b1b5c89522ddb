// Bundles bindings/ (TypeScript) with the WASM modules (one per primitive family) already embedded as
// hex by scripts/build-wasm.mjs. Outputs: ESM (dist/esm), CommonJS (dist/cjs), type declarations (dist/types).
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import { builtinModules } from 'node:module';
import { copyFileSync, mkdirSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Public entry points: package subpath -> source. Keep in sync with package.json "exports". */
const entries = {
  index: 'bindings/index.ts',
  crypto: 'bindings/crypto.ts',
  noise: 'bindings/noise/index.ts',
  channel: 'bindings/channel-browser.ts',
  'channel-node': 'bindings/channel-node.ts',
  server: 'bindings/server.ts',
  net: 'bindings/net.ts',
  http: 'bindings/http/index.ts',
  // Node only; `redis` (node-redis) stays external and is imported lazily (bindings/fleet/redis.ts).
  fleet: 'bindings/fleet/index.ts',
  noble: 'bindings/noble.ts',
};

/** @noble/* are optional peer dependencies of `e2e2/noble`: imported, never bundled (except into dist/browser/noble.js). */
const external = [...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'ws', 'redis', /^@redis\//, /^@noble\//];

const ts = () =>
  typescript({
    tsconfig: './tsconfig.json',
    include: ['bindings/**/*.ts', 'assembly/constants.ts'],
    compilerOptions: { noEmit: false, declaration: false, sourceMap: false, allowImportingTsExtensions: false },
    noEmitOnError: true,
  });

/** The browser bundle must not pull in Node-only modules: an unresolved import there is a build error. */
const browserOnwarn = (warning, warn) => {
  if (warning.code === 'UNRESOLVED_IMPORT') throw new Error(`browser bundle imports ${warning.exporter ?? warning.id}: Node-only modules are not allowed there`);
  warn(warning);
};

/**
 * The workerd build: bindings/core/wasm-source.ts (the hex-embedded parts) is swapped for
 * wasm-source-workerd.ts, where every part's source is the combined module: its `import wasmModule from './e2e2.wasm'` stays an import of
 * dist/e2e2.wasm (copied from build/ here; also the `e2e2/wasm` export). workerd and wrangler
 * load such an import as a compiled WebAssembly.Module, since a Worker may not compile WASM itself.
 */
const workerdWasm = () => ({
  name: 'e2e2-workerd-wasm',
  buildStart() {
    mkdirSync('dist', { recursive: true });
    copyFileSync('build/e2e2.wasm', 'dist/e2e2.wasm');
  },
  resolveId(source, importer) {
    if (source === './wasm-source.js' && importer?.endsWith('/bindings/core/wasm-parts.ts')) return resolve('bindings/core/wasm-source-workerd.ts');
    if (source === './e2e2.wasm' && importer?.endsWith('/bindings/core/wasm-source-workerd.ts')) return { id: WASM_IMPORT, external: true, moduleSideEffects: false };
    return null;
  },
  // The import is rendered relative to the chunk that holds it: dist/workerd/chunks/x.js -> ../../e2e2.wasm.
  renderChunk(code, chunk) {
    if (!code.includes(WASM_IMPORT)) return null;
    const relative = posix.relative(posix.dirname(posix.join('dist/workerd', chunk.fileName)), 'dist/e2e2.wasm');
    return { code: code.replaceAll(`'${WASM_IMPORT}'`, `'${relative}'`), map: null };
  },
});
const WASM_IMPORT = 'e2e2:wasm-module';

/** Resolves `@noble/*` subpaths (ESM-only packages) the way Node does, to inline them into dist/browser/noble.js. */
const nobleResolve = () => ({
  name: 'e2e2-noble-resolve',
  resolveId(source) {
    return source.startsWith('@noble/') ? fileURLToPath(import.meta.resolve(source)) : null;
  },
});

/** Entries of the `workerd` export condition: everything that runs without Node's modules. */
const workerdEntries = { index: entries.index, crypto: entries.crypto, noise: entries.noise, channel: entries.channel, http: entries.http };

export default [
  {
    input: entries,
    external,
    plugins: [ts()],
    output: [
      { dir: 'dist/esm', format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      { dir: 'dist/cjs', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs' },
    ],
  },
  // Declarations for every package subpath, including ./browser. minifyInternalExports: false
  // keeps the real names in shared chunks (`export { ApiKey }`, not `export { A as ApiKey }`).
  // The .d.cts chunks import each other by .cjs specifiers so they resolve to .d.cts under node16.
  {
    input: { ...entries, browser: 'bindings/browser.ts' },
    external,
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    output: [
      { dir: 'dist/types', format: 'esm', entryFileNames: '[name].d.ts', chunkFileNames: 'chunks/[name].d.ts', minifyInternalExports: false },
      { dir: 'dist/types', format: 'esm', entryFileNames: '[name].d.cts', chunkFileNames: 'chunks/[name].d.cts', minifyInternalExports: false },
    ],
  },
  // dist/browser/e2e2.js: one ESM file (package root + channel client over the global WebSocket), WASM embedded.
  {
    input: 'bindings/browser.ts',
    plugins: [ts()],
    onwarn: browserOnwarn,
    output: { file: 'dist/browser/e2e2.js', format: 'esm', inlineDynamicImports: true },
  },
  // dist/browser/noble.js: `e2e2/browser/noble`, the pure-JS backend with @noble/* inlined, for pages
  // that cannot run WASM (CSP without 'wasm-unsafe-eval'): `useBackend(nobleBackend)`. Separate, so
  // dist/browser/e2e2.js carries none of noble.
  {
    input: 'bindings/noble.ts',
    plugins: [nobleResolve(), ts()],
    onwarn: browserOnwarn,
    output: { file: 'dist/browser/noble.js', format: 'esm', inlineDynamicImports: true },
  },
  // dist/workerd/: the `workerd` export condition (Cloudflare Workers): same API, WASM imported from dist/e2e2.wasm.
  {
    input: workerdEntries,
    plugins: [workerdWasm(), ts()],
    onwarn: browserOnwarn,
    output: { dir: 'dist/workerd', format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', hoistTransitiveImports: false },
  },
  // dist/cli/e2e2.js: the `e2e2` command.
  {
    input: 'bindings/cli/main.ts',
    external,
    plugins: [ts()],
    output: { file: 'dist/cli/e2e2.js', format: 'esm', banner: '#!/usr/bin/env node', inlineDynamicImports: true },
  },
];
