/**
 * The pure-JS backend (`useBackend(nobleBackend)`, `e2e2/noble`):
 * 1. the existing vector suites, re-run in this file with the noble backend selected: RFC 6234/4231/5869/
 *    7748/8439 vectors, FIPS 202/203, Wycheproof (x25519, chacha20_poly1305, hkdf, hmac, ML-KEM, with their
 *    counts), the committed E2-E2 vectors (handshake, records, EAPI), Noise, sessions and EAPI round trips.
 *    A counting wrapper around the backend proves those calls reached noble and never the WASM core;
 *    the suites' WASM-memory checks hold trivially here (nothing enters WASM memory);
 * 2. a differential test, WASM against noble through the same bindings: byte-identical outputs and the
 *    same typed error (code and message) for random and hostile inputs;
 * 3. the switch itself: explicit, reversible, refusing anything but 'wasm' or a complete backend.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  backendName, chacha20poly1305, chacha20poly1305Open, chacha20poly1305Seal, expand, extract, hkdf, hmac, ml_kem768, sha256, sha3_256,
  sha3_512, shake128, shake256, useBackend, x25519, type CryptoBackend,
} from '../bindings/crypto.js';
import { nobleBackend } from '../bindings/noble.js';
import { wasmMemorySnapshotForTestingOnly } from '../bindings/core/wasm.js';
import { randomBytes, randomInt } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { assertBuilt, ROOT } from './helpers/cli.js';

/** nobleBackend with every call counted, to show the suites below really ran on it. */
const calls = new Map<string, number>();
const counted = Object.fromEntries(
  Object.entries(nobleBackend).map(([name, value]) => [
    name,
    typeof value === 'function' ? (...args: unknown[]) => (calls.set(name, (calls.get(name) ?? 0) + 1), (value as (...a: unknown[]) => unknown)(...args)) : value,
  ]),
) as unknown as CryptoBackend;

useBackend(counted);
// The imported suites read E2E2_FUZZ_RUNS at import time: noble is slower, so fewer random cases.
process.env.E2E2_FUZZ_RUNS ??= '300';

beforeAll(() => useBackend(counted));
// Every test here (imported ones included) must run with noble selected; a test that switches restores it.
beforeEach(() => {
  if (backendName() !== 'noble') useBackend(counted);
});

describe('existing suites, with the noble backend', async () => {
  await import('./sha256.test.js');
  await import('./hmac.test.js');
  await import('./hkdf.test.js');
  await import('./x25519.test.js');
  await import('./chacha20poly1305.wycheproof.test.js');
  await import('./chacha20poly1305.tamper.test.js');
  await import('./sha3.test.js');
  await import('./mlkem.wycheproof.test.js');
  await import('./mlkem.rejection.test.js');
  await import('./protocol-vectors.test.js');
  await import('./noise.test.js');
  await import('./e2e2-handshake.test.js');
  await import('./e2e2-eapi.test.js');
  await import('./e2e2-hybrid.test.js');
});

describe('the suites above ran on noble', () => {
  it('every backend operation was called by them', () => {
    for (const name of Object.keys(nobleBackend).filter((k) => typeof (nobleBackend as unknown as Record<string, unknown>)[k] === 'function')) {
      expect(calls.get(name) ?? 0, name).toBeGreaterThan(0);
    }
  });
});

/** Run `fn` under `backend`, returning its value or the error it threw (as name, code, message). */
function outcome(backend: 'wasm' | CryptoBackend, fn: () => unknown): unknown {
  useBackend(backend);
  try {
    const value = fn();
    return value instanceof Uint8Array ? Buffer.from(value).toString('hex') : JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));
  } catch (err) {
    const e = err as { name: string; code?: string; message: string };
    return { threw: e.name, code: e.code, message: e.message };
  } finally {
    useBackend(counted);
  }
}

function same(fn: () => unknown): unknown {
  const wasm = outcome('wasm', fn);
  expect(outcome(counted, fn)).toEqual(wasm);
  return wasm;
}

const LOW_ORDER_U = [
  new Uint8Array(32), // 0
  Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)), // 1
  Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex'), // order 8
  Buffer.from('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex'), // p - 1
  Buffer.from('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex'), // p (non-canonical 0)
];

describe('differential: WASM and noble through the same bindings', () => {
  it('hashes, MACs and KDFs: 200 random inputs (sizes across the 64 KiB I/O buffer), streaming and clone included', () => {
    for (let i = 0; i < 200; i++) {
      const msg = randomBytes(i % 20 === 0 ? randomInt(65_000, 140_000) : randomInt(0, 300));
      const key = randomBytes(randomInt(0, 130));
      const salt = randomBytes(randomInt(0, 100));
      const info = randomBytes(randomInt(0, 200));
      const length = randomInt(0, 600);
      const cut = randomInt(0, msg.length + 1);
      same(() => sha256(msg));
      same(() => {
        const h = sha256.create().update(msg.subarray(0, cut));
        const fork = h.clone();
        return [h.update(msg.subarray(cut)).digest(), fork.digest()];
      });
      same(() => hmac(sha256, key, msg));
      same(() => {
        const m = hmac.create(sha256, key).update(msg.subarray(0, cut));
        const fork = m.clone();
        return [m.update(msg.subarray(cut)).digest(), fork.update(msg).digest()];
      });
      same(() => hkdf(sha256, msg.subarray(0, 200), salt, info, length));
      same(() => expand(sha256, extract(sha256, key, salt), info, length));
      same(() => [sha3_256(msg), sha3_512(msg), shake128(msg, { dkLen: length }), shake256(msg, { dkLen: length })]);
      same(() => {
        const x = shake256.create({ dkLen: 64 }).update(msg.subarray(0, cut));
        const fork = x.clone();
        return [x.update(msg.subarray(cut)).xof(length), x.xof(7), fork.digest()];
      });
    }
  });

  it('X25519: 100 random key pairs and shared secrets; low-order points give the same ERR_LOW_ORDER_POINT', () => {
    for (let i = 0; i < 100; i++) {
      const a = randomBytes(32), b = randomBytes(32);
      const pub = same(() => x25519.getPublicKey(b)) as string;
      same(() => x25519.getSharedSecret(a, Buffer.from(pub, 'hex')));
      const other = randomBytes(32); // any 32 bytes: values >= p and the top bit are handled alike (RFC 7748 §5)
      same(() => x25519.getSharedSecret(a, other));
    }
    for (const u of LOW_ORDER_U) {
      for (const point of [u, Uint8Array.from(u, (byte, i) => (i === 31 ? byte | 0x80 : byte))]) {
        const r = same(() => x25519.getSharedSecret(randomBytes(32), point)) as { code?: string };
        expect(r.code).toBe('ERR_LOW_ORDER_POINT');
      }
    }
    expect((same(() => x25519.getSharedSecret(new Uint8Array(31), new Uint8Array(32))) as { code?: string }).code).toBe('ERR_INVALID_KEY_LENGTH');
  });

  it('ChaCha20-Poly1305: 100 random messages (some streamed past 64 KiB), output buffers, forged tags and bad lengths', () => {
    for (let i = 0; i < 100; i++) {
      const key = randomBytes(32), nonce = randomBytes(12), aad = randomBytes(randomInt(0, 70));
      const plaintext = randomBytes(i % 10 === 0 ? randomInt(65_000, 140_000) : randomInt(0, 500));
      const sealed = Buffer.from(same(() => chacha20poly1305(key, nonce, aad).encrypt(plaintext)) as string, 'hex');
      same(() => chacha20poly1305Seal(key, nonce, plaintext, aad, new Uint8Array(plaintext.length + 16)));
      same(() => chacha20poly1305Open(key, nonce, sealed, aad, new Uint8Array(plaintext.length)));
      const forged = Uint8Array.from(sealed);
      forged[randomInt(0, forged.length)]! ^= 1 << randomInt(0, 8);
      const output = new Uint8Array(plaintext.length).fill(0xaa);
      expect((same(() => chacha20poly1305Open(key, nonce, forged, aad, output)) as { code?: string }).code).toBe('ERR_AUTHENTICATION_FAILED');
      expect(output.every((byte) => byte === 0xaa)).toBe(true); // nothing written before authentication
    }
    for (const bad of [() => chacha20poly1305(new Uint8Array(31), new Uint8Array(12)), () => chacha20poly1305(new Uint8Array(32), new Uint8Array(8)),
      () => chacha20poly1305Open(new Uint8Array(32), new Uint8Array(12), new Uint8Array(15)), () => chacha20poly1305Seal(new Uint8Array(32), new Uint8Array(12), new Uint8Array(3), new Uint8Array(0), new Uint8Array(3))]) {
      expect((same(bad) as { threw?: string }).threw).toBeDefined();
    }
  });

  it('ML-KEM-768: 10 seeded key pairs, encapsulations and decapsulations (a corrupted one too); the §7.2 and §7.3 checks give the same typed errors', () => {
    for (let i = 0; i < 10; i++) {
      const seed = randomBytes(64), m = randomBytes(32);
      const keys = same(() => ml_kem768.keygen(seed)) as { publicKey: string; secretKey: string };
      const pk = Buffer.from(keys.publicKey, 'hex'), sk = Buffer.from(keys.secretKey, 'hex');
      const enc = same(() => ml_kem768.encapsulate(pk, m)) as { cipherText: string };
      const ct = Buffer.from(enc.cipherText, 'hex');
      same(() => ml_kem768.decapsulate(ct, sk));
      const corrupted = Uint8Array.from(ct);
      corrupted[i]! ^= 1;
      same(() => ml_kem768.decapsulate(corrupted, sk)); // implicit rejection, not an error
      const badPk = Uint8Array.from(pk);
      badPk[0] = 0xff; badPk[1]! |= 0x0f; // first 12-bit coefficient 4095 >= q
      expect((same(() => ml_kem768.encapsulate(badPk, m)) as { code?: string }).code).toBe('ERR_INVALID_PUBLIC_KEY');
      const badSk = Uint8Array.from(sk);
      badSk[1152 + 5]! ^= 1; // inside the embedded ek: H(ek) no longer matches
      expect((same(() => ml_kem768.decapsulate(ct, badSk)) as { code?: string }).code).toBe('ERR_INVALID_SECRET_KEY');
    }
    expect((same(() => ml_kem768.decapsulate(new Uint8Array(10), new Uint8Array(2400))) as { code?: string }).code).toBe('ERR_INVALID_CIPHERTEXT_LENGTH');
  });
});

/** Run an ESM or CommonJS script in a child Node process from the repository root (so `e2e2` resolves to dist/). */
function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }).trim();
}

describe('the published e2e2/noble', () => {
  const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
  it('without WebAssembly (as on Hermes): ERR_WASM_UNAVAILABLE until the application selects noble, then crypto, a handshake, records and an EAPI work', () => {
    assertBuilt();
    const script = `delete globalThis.WebAssembly;
const e2e2 = await import('e2e2');
const abc = new TextEncoder().encode('abc');
const hex = (b) => Buffer.from(b).toString('hex');
let first;
try { e2e2.sha256(abc); first = 'no error'; } catch (err) { first = err.code; }
const { nobleBackend } = await import('e2e2/noble');
e2e2.useBackend(nobleBackend);
const key = e2e2.generateApiKey();
const c = e2e2.createClientHandshake({ apiKey: key.token });
const s = e2e2.createServerHandshake({ resolveKey: () => key.secret });
const { message2, session: server } = await s.respond(c.writeMessage1());
const client = c.readMessage2(message2);
const opened = hex(server.open(client.seal(abc)).data);
const now = Date.now();
const eapi = client.issueEapi({ scope: 'orders:read', expiresAt: now + 60_000 });
const header = eapi.sign({ method: 'GET', path: '/orders', timestamp: now });
const index = server.verifyEapi({ authorization: header, method: 'GET', path: '/orders', now, requiredScope: 'orders:read' }).index;
console.log(JSON.stringify({ first, backend: e2e2.backendName(), abc: hex(e2e2.sha256(abc)), opened, index }));`;
    expect(JSON.parse(node(['--input-type=module', '-e', script]))).toEqual({ first: 'ERR_WASM_UNAVAILABLE', backend: 'noble', abc: ABC, opened: '616263', index: 0 });
  }, 90_000);

  it('the WASM entries carry no noble: only dist/esm|cjs/noble import @noble/*, only dist/browser/noble.js inlines it', () => {
    assertBuilt();
    const files = (dir: string) => readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && /\.c?js$/.test(e.name)).map((e) => join(e.parentPath, e.name));
    const importers: string[] = [];
    const inliners: string[] = [];
    for (const file of ['dist/esm', 'dist/cjs', 'dist/browser', 'dist/workerd'].flatMap(files)) {
      const text = readFileSync(file, 'utf8');
      const name = relative(ROOT, file);
      // (dist/browser/noble.js is noble itself, whose doc comments show imports of @noble/*.)
      if (name !== 'dist/browser/noble.js' && /(from |require\()['"]@noble\//.test(text)) importers.push(name);
      // A string of @noble/curves' X25519 (its low-order rejection): present only where noble's code is inlined.
      if (text.includes('invalid private or public key received')) inliners.push(name);
    }
    expect(importers.sort()).toEqual(['dist/cjs/noble.cjs', 'dist/esm/noble.js']);
    expect(inliners).toEqual(['dist/browser/noble.js']);
  });

  it("the README's example (### Pure-JS backend), as written, selects noble", () => {
    assertBuilt();
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Pure-JS backend'));
    const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block, 'a js block under ### Pure-JS backend').toContain('useBackend(nobleBackend)');
    const script = `${block}\nconsole.log(backendName(), Buffer.from((await import('e2e2')).sha256(new Uint8Array(0))).toString('hex'));`;
    expect(node(['--input-type=module', '-e', script])).toBe('noble e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  }, 60_000);

  it('loads from CommonJS too: require("e2e2/noble") with require("e2e2/crypto")', () => {
    assertBuilt();
    const script = `const c = require('e2e2/crypto'); c.useBackend(require('e2e2/noble').nobleBackend);
console.log(c.backendName(), Buffer.from(c.sha256(new TextEncoder().encode('abc'))).toString('hex'));`;
    expect(node(['-e', script])).toBe(`noble ${ABC}`);
  }, 60_000);
});

describe('useBackend()', () => {
  it("is explicit and reversible: 'wasm' switches back, backendName() reports the choice", () => {
    useBackend('wasm');
    expect(backendName()).toBe('wasm');
    const before = wasmMemorySnapshotForTestingOnly();
    useBackend(nobleBackend);
    expect(backendName()).toBe('noble');
    // With noble selected a secret-bearing call leaves WASM memory exactly as it was: it never ran there.
    sha256(new TextEncoder().encode('abc'));
    x25519.getSharedSecret(randomBytes(32), x25519.getPublicKey(randomBytes(32)));
    expect(Buffer.compare(Buffer.from(wasmMemorySnapshotForTestingOnly()), Buffer.from(before))).toBe(0);
  });

  it('a streaming hash keeps the backend it was created with', () => {
    useBackend('wasm');
    const h = sha256.create().update(Buffer.from('a'));
    useBackend(nobleBackend);
    expect(Buffer.from(h.update(Buffer.from('bc')).digest()).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('refuses anything but \'wasm\' or a complete backend with ERR_INVALID_ARGUMENT, and keeps the current one', () => {
    useBackend(nobleBackend);
    for (const bad of ['noble', 'WASM', null, undefined, {}, { ...nobleBackend, aeadOpen: undefined }, { ...nobleBackend, name: 1 }]) {
      expect(() => useBackend(bad as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: "useBackend() takes 'wasm' or the nobleBackend exported by 'e2e2/noble'" }));
    }
    expect(backendName()).toBe('noble');
  });
});
