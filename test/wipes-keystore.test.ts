/**
 * Wipes of bindings/channel/keystore.ts's secret copies (issue 13): the file's bytes once parsed,
 * the decoded secrets of revoked keys, of a file that fails its check half-way, of the writer's
 * re-read before a change, of a change that is not committed, and the bytes it wrote. None leaves
 * the store, so this file wraps the real functions that make them (vi.mock keeps their
 * implementations), keeps a reference to each array, and checks it is zero afterwards.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renameSync, writeFileSync } from 'node:fs';
import type * as Encoding from '../bindings/e2e2/encoding.js';
import type * as KeyStoreFile from '../bindings/channel/keystore-file.js';
import { KeyStore } from '../bindings/channel/keystore.js';
import { expectKeyStoreError, generate, useTempStore } from './helpers/keystore.js';

const decoded: { text: string; bytes: Uint8Array }[] = [];
const fileReads: Buffer[] = [];
const written: Uint8Array[] = [];
vi.mock('../bindings/e2e2/encoding.js', async (importOriginal) => {
  const real = await importOriginal<typeof Encoding>();
  return {
    ...real,
    fromBase64UrlConstantTime: (text: string) => {
      const bytes = real.fromBase64UrlConstantTime(text);
      if (bytes !== undefined) decoded.push({ text, bytes });
      return bytes;
    },
  };
});
vi.mock('../bindings/channel/keystore-file.js', async (importOriginal) => {
  const real = await importOriginal<typeof KeyStoreFile>();
  return {
    ...real,
    readStoreFile: (path: string) => {
      const read = real.readStoreFile(path);
      if (read !== undefined) fileReads.push(read.bytes);
      return read;
    },
    writeTemp: (store: string, bytes: Uint8Array) => {
      written.push(bytes);
      return real.writeTemp(store, bytes);
    },
  };
});

const store = useTempStore();
const zero = (bytes: Uint8Array) => bytes.length > 0 && bytes.every((byte) => byte === 0);
const copiesOf = (secret: string) => decoded.filter((d) => d.text === secret).map((d) => d.bytes);

afterEach(() => {
  decoded.length = 0;
  fileReads.length = 0;
  written.length = 0;
});

/** Replace the file the way an editor would: a new file renamed over it. */
function replaceFile(text: string): void {
  writeFileSync(`${store.path}.edit`, text, { mode: 0o600 });
  renameSync(`${store.path}.edit`, store.path);
}

describe('KeyStore wipes', () => {
  it("the file's bytes after each read, and the bytes it wrote", () => {
    const keys = new KeyStore(store.path, { generate });
    keys.create('a');
    keys.create('b');
    const reader = new KeyStore(store.path, { generate });
    expect(reader.list()).toHaveLength(2);
    expect(fileReads.length).toBeGreaterThanOrEqual(2);
    expect(fileReads.every(zero)).toBe(true);
    expect(written).toHaveLength(2);
    expect(written.every(zero)).toBe(true);
  });

  it('a revoked key\'s decoded secret at once; a valid one only when it is replaced', async () => {
    const keys = new KeyStore(store.path, { generate });
    const revoked = keys.create('revoked');
    const valid = keys.create('valid');
    keys.revoke(revoked.id);
    decoded.length = 0;
    const reader = new KeyStore(store.path, { generate });
    const [revokedCopy] = copiesOf(revoked.secret);
    expect(zero(revokedCopy!)).toBe(true);
    expect(reader.lookup(valid.id)).toBe(copiesOf(valid.secret)[0]);
    expect(zero(reader.lookup(valid.id)!)).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(zero(reader.lookup(valid.id)!)).toBe(false);
  });

  it('the secrets decoded before a later key fails the check', () => {
    const keys = new KeyStore(store.path, { generate });
    const a = keys.create('a');
    const b = keys.create('b');
    const file = JSON.parse(JSON.stringify({ version: 1, keys: keys.list() })) as { keys: Record<string, unknown>[] };
    file.keys[0]!.secret = a.secret;
    file.keys[1]!.secret = b.secret;
    file.keys.push({ id: 'c', secret: 'bad', label: '', created: 't', revoked: null });
    replaceFile(JSON.stringify(file));
    decoded.length = 0;
    expectKeyStoreError(() => new KeyStore(store.path, { generate }), /key #2 has a secret that is not 32 bytes/);
    expect(decoded.map((d) => d.text)).toEqual([a.secret, b.secret]);
    expect(decoded.every((d) => zero(d.bytes))).toBe(true);
  });

  it("the writer's re-read of the file, and the new version of a change that is not committed", () => {
    const keys = new KeyStore(store.path, { generate });
    const a = keys.create('a');
    decoded.length = 0;
    keys.create('b');
    // Two decodings of a: the re-read under the lock (wiped), and the check of what gets written (kept for lookups).
    const [reread, kept] = copiesOf(a.secret);
    expect(zero(reread!)).toBe(true);
    expect(keys.lookup(a.id)).toBe(kept);
    expect(zero(kept!)).toBe(false);

  });

  it('the new version of a change that is not committed (the lock was lost)', () => {
    const keys = new KeyStore(store.path, { generate });
    const a = keys.create('a');
    decoded.length = 0;
    const robbed = new KeyStore(store.path, {
      generate: () => {
        // Another writer takes the lock over while this one holds it.
        writeFileSync(`${store.path}.lock.planted`, JSON.stringify({ pid: process.pid, hostname: 'x', token: 'y', created: 'z' }), { mode: 0o600 });
        renameSync(`${store.path}.lock.planted`, `${store.path}.lock`);
        return generate();
      },
    });
    decoded.length = 0;
    expectKeyStoreError(() => robbed.create('lost'), /lost the key store lock/);
    // The re-read under the lock and the check of what would have been written: both wiped.
    expect(copiesOf(a.secret)).toHaveLength(2);
    expect(decoded.every((d) => zero(d.bytes))).toBe(true);
    expect(keys.lookup(a.id)).toEqual(new Uint8Array(Buffer.from(a.secret, 'base64url')));
  });
});
