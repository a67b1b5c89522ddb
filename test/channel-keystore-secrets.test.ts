import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fromBase64Url, fromBase64UrlConstantTime, toBase64Url } from '../bindings/e2e2/encoding.js';
import { apiKeyToken, openKeyStore } from '../bindings/channel/keys.js';
import { bundleKeyStore, useTempStore } from './helpers/keystore.js';

const store = useTempStore();

/** The two decoders agree: both refuse, or both return the same bytes. */
function expectSameDecoding(text: string): void {
  const table = fromBase64Url(text);
  const constantTime = fromBase64UrlConstantTime(text);
  if (table === undefined) expect(constantTime, JSON.stringify(text)).toBeUndefined();
  else expect(constantTime, JSON.stringify(text)).toEqual(table);
}

describe('fromBase64UrlConstantTime', () => {
  it('decodes what toBase64Url encodes, as fromBase64Url does (10,000 random byte strings)', () => {
    for (let i = 0; i < 10_000; i++) {
      const bytes = new Uint8Array(randomBytes(i % 70));
      const text = toBase64Url(bytes);
      expect(fromBase64UrlConstantTime(text)).toEqual(bytes);
      expectSameDecoding(text);
    }
  });

  it('classifies every UTF-16 code unit like fromBase64Url, at the start and at the end', () => {
    for (let c = 0; c < 0x10000; c++) {
      const char = String.fromCharCode(c);
      expectSameDecoding(`${char}AAA`);
      expectSameDecoding(`AAA${char}`);
    }
  });

  it('refuses exactly what fromBase64Url refuses: every 2- and 3-character string over the alphabet and bad characters', () => {
    const alphabet = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', '=', '+', '/', ' ', '\n', '.', '@', '[', '`', '{', '\u00e9', '\u0141', '\ud800', '\uffff'];
    for (const a of alphabet) {
      for (const b of alphabet) {
        expectSameDecoding(a + b); // non-canonical last characters among them (RFC 4648 §3.5)
        expectSameDecoding(`A${a}${b}`);
      }
    }
    for (const text of ['', 'A', 'AAAAA', 'AAAA=', 'AA==', 'A===', 'QQ', 'QR', 'QUE', 'QUF']) expectSameDecoding(text);
  });

  it('agrees with fromBase64Url on random strings of any length (fast-check)', () => {
    const char = fc.oneof(
      fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
      fc.constantFrom('=', '+', '/', ' ', '\u0000', '\u00ff', '\u0100', '\u2028'),
    );
    fc.assert(
      fc.property(fc.array(char, { maxLength: 60 }), (chars) => expectSameDecoding(chars.join(''))),
      { numRuns: 10_000 },
    );
  });

  it('lengths: 43 characters are 32 bytes; 42 and 44 are 31 and 33; 45 (≡ 1 mod 4) is no length at all', () => {
    expect(fromBase64UrlConstantTime(toBase64Url(new Uint8Array(randomBytes(32))))).toHaveLength(32);
    expect(fromBase64UrlConstantTime('A'.repeat(42))).toHaveLength(31);
    expect(fromBase64UrlConstantTime('A'.repeat(44))).toHaveLength(33);
    expect(fromBase64UrlConstantTime('A'.repeat(45))).toBeUndefined();
  });
});

describe('key store secrets in memory', () => {
  it('apiKeyToken formats a created key', () => {
    const keys = openKeyStore(store.path);
    const key = keys.create('t');
    expect(apiKeyToken(key)).toBe(`e2e2_${key.id}_${key.secret}`);
  });

  it('a server process holds the secrets only as bytes: a heap snapshot after load, create, revoke and lookups contains none of them as a string', () => {
    const writer = openKeyStore(store.path);
    const ids = [writer.create('a').id, writer.create('b').id, writer.create('c').id];
    const module = bundleKeyStore(store.dir);
    // The child gets ids only (never a secret: argv strings are on its heap); it prints SHA-256s of
    // what lookup() returns, snapshots its heap, then, as a control, keeps the file as a string and
    // snapshots again.
    const script = `
      import { readFileSync } from 'node:fs';
      import { createHash } from 'node:crypto';
      import { writeHeapSnapshot } from 'node:v8';
      import { openKeyStore } from ${JSON.stringify(module)};
      const [path, dir, ...ids] = process.argv.slice(1);
      const store = openKeyStore(path);
      (() => store.create('made here'))(); // the returned secret string is dropped at once
      store.revoke(ids[0]);
      const lines = ids.map((id) => { const s = store.lookup(id); return s === undefined ? 'none' : createHash('sha256').update(s).digest('hex'); });
      writeHeapSnapshot(dir + '/clean.heapsnapshot');
      globalThis.kept = readFileSync(path, 'utf8');
      writeHeapSnapshot(dir + '/control.heapsnapshot');
      console.log(lines.join(' '));
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, store.path, store.dir, ...ids], { encoding: 'utf8', timeout: 120_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const file = JSON.parse(readFileSync(store.path, 'utf8')) as { keys: { id: string; secret: string }[] };
    expect(file.keys).toHaveLength(4);
    const secretOf = (id: string) => file.keys.find((k) => k.id === id)!.secret;
    const sha = (secret: string) => createHash('sha256').update(Buffer.from(secret, 'base64url')).digest('hex');
    expect(result.stdout.trim().split(' ')).toEqual(['none', sha(secretOf(ids[1]!)), sha(secretOf(ids[2]!))]);
    const clean = readFileSync(join(store.dir, 'clean.heapsnapshot'), 'utf8');
    const control = readFileSync(join(store.dir, 'control.heapsnapshot'), 'utf8');
    for (const { secret } of file.keys) {
      expect(control).toContain(secret);
      expect(clean).not.toContain(secret);
    }
  });
});
