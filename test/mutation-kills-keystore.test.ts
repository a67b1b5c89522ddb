/**
 * Tests that StrykerJS showed missing in bindings/channel/keystore.ts (issue 13): the file's
 * structure check field by field, labels at their bounds, copies handed out, a store that cannot be
 * stat'ed while running, the write path's directory handling, and the lock options' defaults.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chmodSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KeyStore } from '../bindings/channel/keystore.js';
import type { KeyStoreError } from '../bindings/errors.js';
import { expectKeyStoreError, generate, useTempStore } from './helpers/keystore.js';

const store = useTempStore();
const bytes = (secret: string) => new Uint8Array(Buffer.from(secret, 'base64url'));
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const exactly = (message: string) => new RegExp(`^${escape(message)}$`);

afterEach(() => vi.restoreAllMocks());

/** Replace the file the way an editor would: a new file renamed over it. */
function replaceFile(text: string): void {
  mkdirSync(dirname(store.path), { recursive: true, mode: 0o700 });
  writeFileSync(`${store.path}.edit`, text, { mode: 0o600 });
  renameSync(`${store.path}.edit`, store.path);
}

const fileWith = (...keys: unknown[]) => JSON.stringify({ version: 1, keys });
const validKey = (fields: object = {}) => ({ id: 'a', secret: generate().secret, label: 'l', created: 't', revoked: null, ...fields });

describe('KeyStore file structure, field by field', () => {
  it('names what is wrong, with the key index', () => {
    const malformed = (why: string) => exactly(`key store ${store.path} is malformed: ${why}`);
    for (const [content, why] of [
      ['null', 'not a JSON object'],
      ['5', 'not a JSON object'],
      ['"text"', 'not a JSON object'],
      ['{"keys":[]}', 'unsupported version'],
      ['{"version":"1","keys":[]}', 'unsupported version'],
      ['{"version":1}', '"keys" is not an array'],
      [fileWith(5), 'key #0 is not an object'],
      [fileWith(validKey(), null), 'key #1 is not an object'],
      [fileWith(validKey({ id: 7 })), 'key #0 has no string "id"'],
      [fileWith(validKey({ label: null })), 'key #0 has no string "label"'],
      [fileWith(validKey({ created: 0 })), 'key #0 has no string "created"'],
      [fileWith(validKey(), validKey({ id: 'b', secret: undefined })), 'key #1 has no string "secret"'],
      [fileWith(validKey({ revoked: undefined })), 'key #0 has an invalid "revoked"'],
      [fileWith(validKey({ revoked: false })), 'key #0 has an invalid "revoked"'],
      [fileWith(validKey(), validKey()), 'key id a appears twice'],
      // 44 characters of base64url decode to 33 bytes: the length is checked, not only the alphabet.
      [fileWith(validKey({ secret: `${generate().secret}A` })), 'key #0 has a secret that is not 32 bytes of base64url'],
      [fileWith(validKey(), validKey({ id: 'b', secret: '' })), 'key #1 has a secret that is not 32 bytes of base64url'],
    ] as const) {
      replaceFile(content);
      expectKeyStoreError(() => new KeyStore(store.path, { generate }), malformed(why));
    }
  });

  it('a revoked key is listed but never looked up; unknown fields are neither listed nor written back', () => {
    const live = validKey({ id: 'live', note: 'kept out' });
    const gone = validKey({ id: 'gone', revoked: '2026-01-01T00:00:00.000Z' });
    replaceFile(JSON.stringify({ version: 1, keys: [live, gone], extra: true }));
    const keys = new KeyStore(store.path, { generate });
    expect(keys.lookup('live')).toEqual(bytes(live.secret));
    expect(keys.lookup('gone')).toBeUndefined();
    expect(keys.list()).toEqual([
      { id: 'live', label: 'l', created: 't', revoked: null },
      { id: 'gone', label: 'l', created: 't', revoked: '2026-01-01T00:00:00.000Z' },
    ]);
    keys.create('new');
    const written = JSON.parse(readFileSync(store.path, 'utf8')) as { keys: object[] };
    expect(Object.keys(written)).toEqual(['version', 'keys']);
    expect(written.keys[0]).toEqual({ id: 'live', secret: live.secret, label: 'l', created: 't', revoked: null });
  });
});

describe('KeyStore.create labels and the copies it hands out', () => {
  it('accepts 200 printable characters (DEL and C0 controls are refused), and an empty label by default', () => {
    const keys = new KeyStore(store.path, { generate });
    const refused = exactly('label must be a string of at most 200 printable characters');
    expect(keys.create().label).toBe('');
    expect(keys.create('x'.repeat(200)).label).toHaveLength(200);
    expect(keys.create(' ~é\u00a0漢').label).toBe(' ~é\u00a0漢');
    for (const bad of ['\u0000', 'a\u001fb', '\u007f', 'tab\there', 'y'.repeat(201)]) expectKeyStoreError(() => keys.create(bad), refused);
    expectKeyStoreError(() => keys.create(5 as unknown as string), refused);
    expect(keys.list()).toHaveLength(3);
  });

  it('what create() and list() return are copies: changing them changes nothing stored', () => {
    const keys = new KeyStore(store.path, { generate });
    const key = keys.create('mine');
    key.label = 'changed';
    key.revoked = 'now';
    const [listed] = keys.list();
    expect(listed).toEqual({ id: key.id, label: 'mine', created: key.created, revoked: null });
    listed!.label = 'changed too';
    expect(keys.list()[0]!.label).toBe('mine');
    expect(keys.lookup(key.id)).toEqual(bytes(key.secret));
  });
});

describe('KeyStore.list', () => {
  it("shows another writer's change without a lookup in between, and refuses once closed", () => {
    const server = new KeyStore(store.path, { generate });
    expect(server.list()).toEqual([]);
    const writer = new KeyStore(store.path, { generate });
    const key = writer.create('from the CLI');
    expect(server.list().map((k) => k.id)).toEqual([key.id]);
    writer.revoke(key.id);
    expect(server.list()[0]!.revoked).not.toBeNull();
    server.close();
    expectKeyStoreError(() => server.list(), exactly(`key store ${store.path} is closed`));
  });
});

describe('KeyStore while running, when the file cannot even be stat-ed', () => {
  it('fails at startup, but once loaded keeps the good copy and reports each outage once', () => {
    const writer = new KeyStore(store.path, { generate });
    const a = writer.create('a');
    const reported: KeyStoreError[] = [];
    const server = new KeyStore(store.path, { generate, onError: (error) => reported.push(error) });
    const sub = dirname(store.path);
    // A file where the store's directory was: lstat of the store fails with ENOTDIR.
    const breakPath = () => {
      renameSync(sub, `${sub}.away`);
      writeFileSync(sub, 'not a directory');
    };
    const repair = () => {
      rmSync(sub);
      renameSync(`${sub}.away`, sub);
    };
    breakPath();
    const startup = expectKeyStoreError(() => new KeyStore(store.path, { generate }), exactly(`cannot stat key store ${store.path}`));
    expect((startup.cause as { code?: string }).code).toBe('ENOTDIR');
    for (let i = 0; i < 3; i++) expect(server.lookup(a.id)).toEqual(bytes(a.secret));
    expect(reported.map((error) => error.message)).toEqual([`cannot stat key store ${store.path}`]);
    repair();
    writer.revoke(a.id);
    const b = writer.create('b');
    expect(server.lookup(a.id)).toBeUndefined(); // reloaded: a good version again
    breakPath();
    expect(server.lookup(b.id)).toEqual(bytes(b.secret));
    expect(server.lookup(b.id)).toEqual(bytes(b.secret));
    expect(reported).toHaveLength(2); // the outage after the good version is a new one
    repair();
  });

  it('a store that wrote a change and then finds the file corrupt keeps answering (it knows the version it wrote)', () => {
    const reported: string[] = [];
    const keys = new KeyStore(store.path, { generate, onError: (error) => reported.push(error.message) });
    const key = keys.create('k');
    writeFileSync(store.path, '{"version":1,"keys":['); // torn in place
    expect(keys.lookup(key.id)).toEqual(bytes(key.secret));
    expect(reported).toEqual([`key store ${store.path} is malformed: not valid JSON`]);
  });

  it("a writer's own change replaces the secrets it held: the old arrays are wiped on the next turn", async () => {
    const keys = new KeyStore(store.path, { generate });
    const a = keys.create('a');
    const before = keys.lookup(a.id)!;
    keys.create('b'); // no lookup in between: the write itself installs the new version
    await new Promise((resolve) => setImmediate(resolve));
    expect(before.every((byte) => byte === 0)).toBe(true);
    expect(keys.lookup(a.id)).toEqual(bytes(a.secret));
  });
});

describe('KeyStore reporting', () => {
  it('without onError, prints one fixed line per bad version on console.error', () => {
    const lines: unknown[][] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args));
    const keys = new KeyStore(store.path, { generate });
    const key = keys.create();
    writeFileSync(store.path, '[');
    expect(keys.lookup(key.id)).toEqual(bytes(key.secret));
    expect(keys.lookup(key.id)).toEqual(bytes(key.secret));
    expect(lines).toEqual([
      [`e2e2: key store ${store.path} is malformed: not valid JSON; the server keeps using the last good copy of the key store until the file is fixed`],
    ]);
  });

  it('an onError that throws is replaced by the console line; lookups keep answering', () => {
    const lines: unknown[][] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args));
    let calls = 0;
    const keys = new KeyStore(store.path, {
      generate,
      onError: () => {
        calls++;
        throw new Error('a broken logger');
      },
    });
    const key = keys.create();
    chmodSync(store.path, 0o640);
    expect(keys.lookup(key.id)).toEqual(bytes(key.secret));
    expect(calls).toBe(1);
    expect(lines).toHaveLength(1);
    expect(String(lines[0]![0])).toMatch(/^e2e2: key store .* is accessible to group or others \(mode 640\); run chmod 600 on it; the server keeps using/);
  });
});

describe('KeyStore writes: directories', () => {
  it('creates missing directories 0700, several levels deep', () => {
    const deep = join(store.dir, 'a', 'b', 'keys.json');
    new KeyStore(deep, { generate }).create();
    expect(statSync(join(store.dir, 'a')).mode & 0o777).toBe(0o700);
    expect(statSync(join(store.dir, 'a', 'b')).mode & 0o777).toBe(0o700);
  });

  it('a file where the directory must be is ERR_KEY_STORE naming the directory', () => {
    const keys = new KeyStore(store.path, { generate });
    writeFileSync(dirname(store.path), 'in the way');
    const error = expectKeyStoreError(() => keys.create(), exactly(`cannot create the key store directory ${dirname(store.path)}`));
    expect((error.cause as { code?: string }).code).toMatch(/^E(EXIST|NOTDIR)$/);
  });

  it('checks the directory before the first key is written (no file yet), and leaves nothing there', () => {
    const sub = dirname(store.path);
    mkdirSync(sub, { mode: 0o700 });
    chmodSync(sub, 0o775);
    const keys = new KeyStore(store.path, { generate }); // nothing to read yet
    expectKeyStoreError(() => keys.create(), /is writable by group or others \(mode 775\); run chmod go-w on it$/);
    expect(readdirSync(sub)).toEqual([]);
  });
});

/** A lock of another host, `ageMs` old, at the store's lock path. */
function plantRemoteLock(ageMs: number): void {
  const lock = `${store.path}.lock`;
  mkdirSync(dirname(store.path), { recursive: true, mode: 0o700 });
  writeFileSync(`${lock}.planted`, JSON.stringify({ pid: 1, hostname: 'elsewhere.example', token: 'f'.repeat(32), created: 'then' }), { mode: 0o600 });
  const then = (Date.now() - ageMs) / 1000;
  utimesSync(`${lock}.planted`, then, then);
  renameSync(`${lock}.planted`, lock);
}

describe('KeyStore lock options', () => {
  it('staleLockMs defaults to 30 s: an older remote lock is taken over without waiting', () => {
    new KeyStore(store.path, { generate }).create('first');
    plantRemoteLock(31_000);
    new KeyStore(store.path, { generate, lockTimeoutMs: 0 }).create('second');
    expect(readdirSync(dirname(store.path))).toEqual(['keys.json']);
  });

  it('lockTimeoutMs and staleLockMs are used as given: no wait with 0, a wait until the lock turns stale with more', () => {
    new KeyStore(store.path, { generate }).create('first');
    // Three seconds short of stale (staleLockMs 60 s): refused at once when waiting is not allowed...
    plantRemoteLock(57_000);
    const impatient = new KeyStore(store.path, { generate, lockTimeoutMs: 0, staleLockMs: 60_000 });
    expectKeyStoreError(() => impatient.create('refused'), /locked by another process \(pid 1 on elsewhere\.example since then\)/);
    // ...and taken over once stale by a writer that may wait 20 s.
    const patient = new KeyStore(store.path, { generate, lockTimeoutMs: 20_000, staleLockMs: 60_000 });
    patient.create('after the wait');
    expect(patient.list().map((k) => k.label)).toEqual(['first', 'after the wait']);
  });
});
