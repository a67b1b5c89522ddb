/**
 * Tests that StrykerJS showed missing in bindings/channel/keystore-file.ts (issue 13): the helpers
 * called directly where the store's own checks make a failure unreachable from KeyStore (a
 * directory that is a file, a listing of a missing directory), the temporary files' names, the
 * errors of each step, and no descriptor leaked per read or write.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { KeyStore } from '../bindings/channel/keystore.js';
import { checkDirectories, escapeRegExp, isNodeError, listDirectory, removeOrphanedTemps, replaceWith, writeTemp } from '../bindings/channel/keystore-file.js';
import { expectKeyStoreError, generate, useTempStore } from './helpers/keystore.js';

const store = useTempStore();
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const exactly = (message: string) => new RegExp(`^${escape(message)}$`);
const sub = () => dirname(store.path);
/** The errno of an error's cause: the system error is kept for the operator. */
const causeCode = (error: Error) => (error.cause as { code?: string } | undefined)?.code;

describe('isNodeError', () => {
  it('is true only for an object whose code is one of those named', () => {
    expect(isNodeError(Object.assign(new Error('x'), { code: 'ENOENT' }), 'EEXIST', 'ENOENT')).toBe(true);
    expect(isNodeError({ code: 'ENOENT' }, 'EEXIST')).toBe(false);
    expect(isNodeError(new Error('no code'), 'ENOENT')).toBe(false);
    for (const notAnObject of [null, undefined, 'ENOENT', 2]) expect(isNodeError(notAnObject, 'ENOENT')).toBe(false);
  });
});

describe('escapeRegExp', () => {
  it('escapes every character a RegExp gives a meaning to', () => {
    const special = '.*+?^${}()|[]\\';
    expect(escapeRegExp(special)).toBe([...special].map((c) => `\\${c}`).join(''));
    expect(new RegExp(`^${escapeRegExp(special)}$`).test(special)).toBe(true);
    expect(escapeRegExp('keys-1_a/b')).toBe('keys-1_a/b');
  });
});

describe('checkDirectories', () => {
  it('a directory that does not exist, or is a file, is ERR_KEY_STORE naming it', () => {
    const missing = expectKeyStoreError(() => checkDirectories(join(store.dir, 'missing', 'keys.json')), exactly(`cannot resolve the key store directory ${join(store.dir, 'missing')}`));
    expect(causeCode(missing)).toBe('ENOENT');
    const file = join(store.dir, 'file');
    writeFileSync(file, '', { mode: 0o600 });
    expectKeyStoreError(() => checkDirectories(join(file, 'keys.json')), exactly(`${file} is not a directory`));
    expect(() => checkDirectories(join(store.dir, 'keys.json'))).not.toThrow();
  });
});

describe('temporary files', () => {
  it('writeTemp makes a 0600 file whose name removeOrphanedTemps recognises, and only such names are removed', () => {
    mkdirSync(sub(), { mode: 0o700 });
    const tmp = writeTemp(store.path, Buffer.from('content'));
    expect(dirname(tmp)).toBe(sub());
    expect(basename(tmp)).toMatch(new RegExp(`^keys\\.json\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
    expect(statSync(tmp).mode & 0o777).toBe(0o600);
    expect(readFileSync(tmp, 'utf8')).toBe('content');
    const others = [
      'keys.json',
      'keysXjson.1.0123456789ab.tmp',
      'xkeys.json.1.0123456789ab.tmp',
      'keys.json.1.0123456789ab.tmp.old',
      'keys.json.1.0123456789abc.tmp',
      'keys.json.1.0123456789a.tmp',
      'keys.json.a.0123456789ab.tmp',
      'keys.json..0123456789ab.tmp',
      'keys.json.1.0123456789AB.tmp',
      'keys.json.1.0123456789ab.stale',
    ];
    for (const name of others) writeFileSync(join(sub(), name), '', { mode: 0o600 });
    writeFileSync(join(sub(), 'keys.json.12.0123456789ab.tmp'), '', { mode: 0o600 });
    expect(removeOrphanedTemps(store.path)).toBe(2);
    expect(readdirSync(sub()).sort()).toEqual(others.sort());
  });

  it('a store name with RegExp characters in it has its temporary files removed, and nothing else', () => {
    mkdirSync(sub(), { mode: 0o700 });
    const odd = join(sub(), 'k+(1).json');
    writeTemp(odd, Buffer.from('x'));
    writeFileSync(join(sub(), 'kk(1).json.1.0123456789ab.tmp'), '', { mode: 0o600 });
    expect(removeOrphanedTemps(odd)).toBe(1);
    expect(readdirSync(sub())).toEqual(['kk(1).json.1.0123456789ab.tmp']);
  });

  it('each step that fails is ERR_KEY_STORE naming the store, and leaves no temporary file', () => {
    const missing = join(store.dir, 'missing', 'keys.json');
    expect(causeCode(expectKeyStoreError(() => writeTemp(missing, Buffer.from('x')), exactly(`cannot create a temporary file beside key store ${missing}`)))).toBe('ENOENT');
    expect(causeCode(expectKeyStoreError(() => listDirectory(missing), exactly(`cannot list the key store directory ${dirname(missing)}`)))).toBe('ENOENT');
    expectKeyStoreError(() => removeOrphanedTemps(missing), /^cannot list the key store directory/);
    // rename(2) cannot replace a non-empty directory.
    mkdirSync(join(store.path, 'occupied'), { recursive: true, mode: 0o700 });
    const tmp = writeTemp(store.path, Buffer.from('x'));
    expect(causeCode(expectKeyStoreError(() => replaceWith(tmp, store.path), exactly(`cannot replace key store ${store.path}`)))).toMatch(/^E(ISDIR|NOTEMPTY|EXIST)$/);
    expect(existsSync(tmp)).toBe(false);
  });

  it('a write that fails closes and removes its temporary file, keeping the error as cause', () => {
    mkdirSync(sub(), { mode: 0o700 });
    const openDescriptors = () => readdirSync('/proc/self/fd').length;
    const before = process.platform === 'linux' ? openDescriptors() : 0;
    // Something writeSync refuses stands for a full disk (ENOSPC), which a test cannot arrange.
    const refused = { length: 3 } as unknown as Uint8Array;
    const error = expectKeyStoreError(() => writeTemp(store.path, refused), exactly(`cannot write key store ${store.path}`));
    expect(causeCode(error)).toBe('ERR_INVALID_ARG_TYPE');
    expect(readdirSync(sub())).toEqual([]);
    if (process.platform === 'linux') expect(openDescriptors()).toBe(before);
  });

  it('replaceWith renames the temporary file over the store', () => {
    mkdirSync(sub(), { mode: 0o700 });
    writeFileSync(store.path, 'old', { mode: 0o600 });
    const tmp = writeTemp(store.path, Buffer.from('new'));
    replaceWith(tmp, store.path);
    expect(readFileSync(store.path, 'utf8')).toBe('new');
    expect(readdirSync(sub())).toEqual(['keys.json']);
  });
});

describe('reading the store', () => {
  it('something at the path that cannot be opened (a UNIX socket) is ERR_KEY_STORE', async () => {
    mkdirSync(sub(), { mode: 0o700 });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(store.path, resolve));
    try {
      expect(causeCode(expectKeyStoreError(() => new KeyStore(store.path, { generate }), exactly(`cannot open key store ${store.path}`)))).toBe('ENXIO');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it.skipIf(process.platform !== 'linux')('reads and writes close every descriptor they open (Linux: /proc/self/fd)', () => {
    const openDescriptors = () => readdirSync('/proc/self/fd').length;
    const keys = new KeyStore(store.path, { generate });
    const key = keys.create();
    const reader = new KeyStore(store.path, { generate });
    const before = openDescriptors();
    for (let i = 0; i < 40; i++) {
      keys.create(`k${i}`); // lock, temporary file, directory fsync
      reader.lookup(key.id); // a reload each time
    }
    // Other code in this worker may open a few; a leak here would be 40 or more.
    expect(openDescriptors() - before).toBeLessThan(20);
  });
});
