/**
 * The published shape: every `exports` subpath loads from dist/ in plain Node, as ESM and as
 * CommonJS, with its type declarations present; the WASM modules travel inside the bundle as hex;
 * the browser bundle has no Node-only import. (Runs on the build `npm test` makes first.)
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Subpath -> a named export it must have. */
const expectedExports: Record<string, string> = {
  'e2e2': 'createClientHandshake',
  'e2e2/crypto': 'chacha20poly1305',
  'e2e2/noise': 'createHandshake',
  'e2e2/channel': 'connect',
  'e2e2/server': 'createServer',
  'e2e2/net': 'connect',
  'e2e2/http': 'verifyEapiRequest',
  'e2e2/fleet': 'RedisSessionRegistry',
};

function runNode(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

describe('package exports', () => {
  // ./noble and ./browser/noble (the pure-JS backend) are loaded by test/backend-noble.test.ts and test/browser-csp.test.ts.
  it('lists exactly the subpaths tested here (plus ./browser, ./noble, ./browser/noble, ./wasm and ./package.json)', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './browser', './browser/noble', './channel', './crypto', './fleet', './http', './net', './noble', './noise', './package.json', './server', './wasm']);
  });

  it('./wasm is dist/e2e2.wasm, the combined module: every export of each of the four modules the other bundles embed as hex', () => {
    expect(pkg.exports['./wasm']).toBe('./dist/e2e2.wasm');
    const file = readFileSync(new URL('../dist/e2e2.wasm', import.meta.url));
    const combined = new Set(WebAssembly.Module.exports(new WebAssembly.Module(file)).map((e) => e.name));
    const chunks = readdirSync(new URL('../dist/esm/chunks/', import.meta.url)).map((f) => readFileSync(new URL(`../dist/esm/chunks/${f}`, import.meta.url), 'utf8')).join('\n');
    const embedded = [...chunks.matchAll(/WASM_(\w+)_HEX = '([0-9a-f]+)'/g)].map((m) => [m[1], Buffer.from(m[2]!, 'hex')] as const);
    expect(embedded.map(([name]) => name).sort()).toEqual(['AEAD', 'MLKEM', 'SHA2', 'X25519']);
    for (const [name, bytes] of embedded) {
      const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
      expect(exports.filter((e) => !combined.has(e)), name).toEqual([]);
      expect(bytes.length, name).toBeLessThan(file.length);
    }
  });

  it("the 'workerd' condition of ., ./crypto, ./noise, ./channel and ./http: dist/workerd/, importing dist/e2e2.wasm and embedding no bytes", () => {
    const conditions = { '.': 'index', './crypto': 'crypto', './noise': 'noise', './channel': 'channel', './http': 'http' };
    for (const [subpath, name] of Object.entries(conditions)) {
      // First in its object, so it wins over import/node/browser where workerd and wrangler look.
      expect(Object.keys(pkg.exports[subpath])[0], subpath).toBe('workerd');
      expect(pkg.exports[subpath].workerd.default).toBe(`./dist/workerd/${name}.js`);
      expect(existsSync(new URL(`../dist/workerd/${name}.js`, import.meta.url)), name).toBe(true);
    }
    const dir = new URL('../dist/workerd/', import.meta.url);
    const files = [...readdirSync(dir).filter((f) => f.endsWith('.js')), ...readdirSync(new URL('chunks/', dir)).map((f) => `chunks/${f}`)];
    const text = files.map((f) => readFileSync(new URL(f, dir), 'utf8')).join('\n');
    expect(text).not.toMatch(/WASM_\w+_HEX|[A-Za-z0-9+/]{1000,}/);
    const imports = [...text.matchAll(/^import \w+ from '([^']+\.wasm)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['../../e2e2.wasm']);
    expect(text).not.toMatch(/\bfrom\s+['"](node:|ws['"]|fs['"]|net['"])/);
  });

  for (const [specifier, name] of Object.entries(expectedExports)) {
    it(`${specifier} loads as ESM and as CommonJS from dist/`, () => {
      const esm = runNode(['--input-type=module', '-e', `const m = await import('${specifier}'); console.log(typeof m.${name})`]);
      const cjs = runNode(['-e', `const m = require('${specifier}'); console.log(typeof m.${name})`]);
      expect(esm).toBe('function');
      expect(cjs).toBe('function');
    });
  }

  it('e2e2/fleet loads the redis package only when a store is opened from a URL; no other entry mentions it', () => {
    // CommonJS: require.cache shows what was loaded.
    const loaded = (body: string) =>
      runNode(['-e', `const m = require('e2e2/fleet'); ${body}; console.log(Object.keys(require.cache).some((k) => k.includes('/node_modules/redis/')))`]);
    expect(loaded('')).toBe('false');
    expect(runNode(['-e', "require('e2e2'); require('e2e2/server'); console.log(Object.keys(require.cache).some((k) => k.includes('/node_modules/redis/')))"])).toBe('false');
    // ESM: the only reference is the dynamic import in bindings/fleet/redis.ts.
    const esm = readFileSync(new URL('../dist/esm/fleet.js', import.meta.url), 'utf8');
    expect(esm).not.toMatch(/from\s+['"]redis['"]/);
    expect(esm).toMatch(/import\('redis'\)/);
    for (const dir of ['dist/esm', 'dist/cjs']) {
      for (const file of readdirSync(new URL(`../${dir}/`, import.meta.url), { recursive: true }) as string[]) {
        if (!/\.c?js$/.test(file) || file.startsWith('fleet.')) continue;
        expect(readFileSync(new URL(`../${dir}/${file}`, import.meta.url), 'utf8'), `${dir}/${file}`).not.toMatch(/['"]redis['"]/);
      }
    }
  });

  it('computes the same bytes through ESM and CommonJS (SHA-256 "abc", FIPS 180-2 B.1)', () => {
    const script = (load: string) => `${load}; console.log(Buffer.from(m.sha256(new TextEncoder().encode('abc'))).toString('hex'))`;
    const digest = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(runNode(['--input-type=module', '-e', script(`const m = await import('e2e2/crypto')`)])).toBe(digest);
    expect(runNode(['-e', script(`const m = require('e2e2/crypto')`)])).toBe(digest);
  });

  it('has a type declaration file for every types condition', () => {
    const typePaths: string[] = [];
    const walk = (node: unknown): void => {
      if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'types' && typeof value === 'string') typePaths.push(value);
          else walk(value);
        }
      }
    };
    walk(pkg.exports);
    expect(typePaths.length).toBeGreaterThanOrEqual(10);
    for (const path of typePaths) expect(existsSync(new URL(`../${path}`, import.meta.url)), path).toBe(true);
  });

  it('embeds each of the four WASM modules as hex, once per bundle format', () => {
    const bundles = ['dist/esm', 'dist/cjs'].map((dir) =>
      readdirSync(new URL(`../${dir}/chunks/`, import.meta.url)).map((f) => readFileSync(new URL(`../${dir}/chunks/${f}`, import.meta.url), 'utf8')).join('\n'),
    );
    for (const text of bundles) {
      const matches = [...text.matchAll(/WASM_(\w+)_HEX = '([0-9a-f]+)'/g)];
      expect(matches.map((m) => m[1]).sort(), 'hex literals').toEqual(['AEAD', 'MLKEM', 'SHA2', 'X25519']);
      for (const match of matches) {
        const bytes = Buffer.from(match[2]!, 'hex');
        expect(bytes.subarray(0, 4).toString('hex')).toBe('0061736d'); // "\0asm", WebAssembly binary magic
        expect(WebAssembly.validate(bytes)).toBe(true);
      }
    }
  });

  it('the browser bundle is one self-contained ESM file without Node-only imports', () => {
    const text = readFileSync(new URL('../dist/browser/e2e2.js', import.meta.url), 'utf8');
    expect(text).not.toMatch(/\bfrom\s+['"](node:|ws['"]|fs['"]|net['"])/);
    expect(text).not.toMatch(/\brequire\(/);
    expect(text).toMatch(/WASM_SHA2_HEX/);
  });
});

describe('e2e2/http', () => {
  it('imports nothing but its own chunks (no node: module, no package), so it loads in Deno, Bun and Workers', () => {
    const seen = new Set<string>();
    const specifiers: string[] = [];
    const visit = (file: URL): void => {
      if (seen.has(file.href)) return;
      seen.add(file.href);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        specifiers.push(m[1]!);
        if (m[1]!.startsWith('.')) visit(new URL(m[1]!, file));
      }
    };
    visit(new URL('../dist/esm/http.js', import.meta.url));
    expect(seen.size).toBeGreaterThan(1);
    expect(specifiers.filter((s) => !s.startsWith('./'))).toEqual([]);
  });
});

describe('the Node that runs the tests', () => {
  // The `node` devDependency (Node 24, for StrykerJS) links node_modules/.bin/node, which npm
  // scripts would find first: `npm test` must run the suite on the Node that runs npm instead.
  it.skipIf(process.env.npm_node_execpath === undefined)('is the one npm runs on, not node_modules/.bin/node', () => {
    expect(realpathSync(process.execPath)).toBe(realpathSync(process.env.npm_node_execpath!));
    expect(process.execPath).not.toContain('node_modules');
  });
});
