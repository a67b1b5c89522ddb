// What an application pays, in gzipped bytes, for importing a primitive (issue 10 item 3): each entry is a
// two-line module importing just that primitive, bundled the way a browser app is (esbuild: bundle, minify,
// ESM, platform browser, tree shaking), then gzipped at level 9. e2e2 is measured from the built package
// (dist/), so `npm run build` first. `node scripts/bundle-sizes.mjs` also measures @noble/* and
// libsodium-wrappers for the README table; test/bundle-size.test.ts asserts e2e2's budgets.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/** e2e2's entries with their budgets (bytes, gzip -9), imported from the built package entry points. */
export const E2E2_ENTRIES = [
  { name: 'SHA-256 + HMAC + HKDF', budget: 8 * 1024, code: "export { sha256, hmac, hkdf } from './dist/esm/crypto.js';" },
  { name: 'ChaCha20-Poly1305', budget: 16 * 1024, code: "export { chacha20poly1305 } from './dist/esm/crypto.js';" },
  { name: 'X25519', budget: 24 * 1024, code: "export { x25519 } from './dist/esm/crypto.js';" },
  // The "app using the channel": the browser example's imports (examples/browser/app.js).
  { name: 'app using the channel (connect, CloseCode from e2e2/browser)', budget: 45 * 1024, code: "export { connect, CloseCode } from './dist/browser/e2e2.js';" },
  // Everything e2e2/browser exports: 50.1 KB measured (all four modules, 19.2 KB of their hex, plus the JS
  // of server-side EAPI verification, the signed fetch, SHA-3 and the rest that an app rarely imports all
  // of): this budget guards against growth until that JS shrinks.
  { name: 'whole browser bundle (everything e2e2/browser exports)', budget: 52 * 1024, code: "export * from './dist/browser/e2e2.js';" },
];

/** The embedded module each e2e2 entry must carry (and the ones it must not), by part name. */
export const E2E2_PARTS = {
  'SHA-256 + HMAC + HKDF': ['sha2'],
  'ChaCha20-Poly1305': ['aead'],
  X25519: ['x25519'],
  'app using the channel (connect, CloseCode from e2e2/browser)': ['sha2', 'aead', 'x25519', 'mlkem'],
  'whole browser bundle (everything e2e2/browser exports)': ['sha2', 'aead', 'x25519', 'mlkem'],
};

/** The same primitives from the libraries e2e2 is compared with (README table). */
export const PEER_ENTRIES = [
  {
    name: 'SHA-256 + HMAC + HKDF',
    library: '@noble/hashes',
    code: "export { sha256 } from '@noble/hashes/sha2.js'; export { hmac } from '@noble/hashes/hmac.js'; export { hkdf } from '@noble/hashes/hkdf.js';",
  },
  { name: 'ChaCha20-Poly1305', library: '@noble/ciphers', code: "export { chacha20poly1305 } from '@noble/ciphers/chacha.js';" },
  { name: 'X25519', library: '@noble/curves', code: "export { x25519 } from '@noble/curves/ed25519.js';" },
  // libsodium.js is one Emscripten module: any import carries all of it.
  { name: 'any primitive', library: 'libsodium-wrappers', code: "export { default } from 'libsodium-wrappers';" },
];

/** The bundle of `code` (resolved from the repository root), minified, and its gzipped (level 9) size. */
export async function bundleSize(code) {
  const result = await build({
    stdin: { contents: code, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0].contents;
  return { text: result.outputFiles[0].text, minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log('| import | library | minified | gzip | budget |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const entry of E2E2_ENTRIES) {
    const size = await bundleSize(entry.code);
    console.log(`| ${entry.name} | e2e2 | ${kb(size.minified)} | ${kb(size.gzip)} | ${kb(entry.budget)} |`);
  }
  for (const entry of PEER_ENTRIES) {
    const size = await bundleSize(entry.code);
    console.log(`| ${entry.name} | ${entry.library} | ${kb(size.minified)} | ${kb(size.gzip)} | |`);
  }
}
