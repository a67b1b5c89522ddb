/**
 * Tests that StrykerJS showed missing in bindings/channel/keystore-lock.ts (issue 13): which lock
 * contents count as a writer's (pid, host, token; at most 1 KiB), that "the same lock" means the
 * same inode and the same bytes, the errors of each step, the moved-lock leftovers by age and pid,
 * and a lock that cannot be moved away on release (a name too long for the moved copy).
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { KeyStore } from '../bindings/channel/keystore.js';
import { PARTIAL_LOCK_MS, readLock, removeIfSame, removeLockLeftovers, StoreLock } from '../bindings/channel/keystore-lock.js';
import { expectKeyStoreError, generate, useTempStore } from './helpers/keystore.js';

const store = useTempStore();
const lockPath = () => `${store.path}.lock`;
const sub = () => dirname(store.path);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const exactly = (message: string) => new RegExp(`^${escape(message)}$`);
const options = { timeoutMs: 0, staleMs: 60_000 };
/** The errno of an error's cause: the system error is kept for the operator. */
const causeCode = (error: Error) => (error.cause as { code?: string } | undefined)?.code;

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** A complete lock file appears at `path` at once (written beside it, renamed), optionally `ageMs` old. */
function plant(path: string, text: string, ageMs = 0): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(`${path}.planted`, text, { mode: 0o600 });
  if (ageMs > 0) utimesSync(`${path}.planted`, (Date.now() - ageMs) / 1000, (Date.now() - ageMs) / 1000);
  renameSync(`${path}.planted`, path);
}

const content = (fields: object) => JSON.stringify({ pid: process.pid, hostname: hostname(), token: 't', created: 'now', ...fields });

describe('what counts as a writer\'s lock', () => {
  it('a live writer needs a positive integer pid, a string hostname and a string token; anything else is unreadable', () => {
    new KeyStore(store.path, { generate }).create();
    const keys = new KeyStore(store.path, { generate, lockTimeoutMs: 0 });
    plant(lockPath(), content({}));
    expectKeyStoreError(() => keys.create(), new RegExp(`locked by another process \\(pid ${process.pid} on ${escape(hostname())} since now\\)`));
    for (const fields of [{ pid: 0 }, { pid: -1 }, { pid: 1.5 }, { pid: String(process.pid) }, { pid: undefined }, { hostname: 7 }, { hostname: undefined }, { token: 1 }, { token: undefined }]) {
      plant(lockPath(), content(fields));
      expectKeyStoreError(() => keys.create(), exactly(`key store is locked by another process (an unreadable lock): ${lockPath()}`));
    }
    for (const text of ['null', '5', '"pid"', '{']) {
      plant(lockPath(), text);
      expectKeyStoreError(() => keys.create(), /\(an unreadable lock\)/);
    }
  });

  it('a lock of up to 1024 bytes is read whole; a longer one is unreadable', () => {
    new KeyStore(store.path, { generate }).create();
    const keys = new KeyStore(store.path, { generate, lockTimeoutMs: 0 });
    const padded = (length: number) => {
      const text = content({});
      return text.slice(0, -1) + ' '.repeat(length - text.length) + '}';
    };
    plant(lockPath(), padded(1024));
    expectKeyStoreError(() => keys.create(), new RegExp(`\\(pid ${process.pid} on `));
    plant(lockPath(), padded(1025));
    expectKeyStoreError(() => keys.create(), /\(an unreadable lock\)/);
  });

  it('a lock of another host with a dead pid is respected (only age counts there); one of ours with a dead pid is not', () => {
    new KeyStore(store.path, { generate }).create();
    const keys = new KeyStore(store.path, { generate, lockTimeoutMs: 0 });
    const pid = deadPid();
    plant(lockPath(), content({ pid, hostname: `not-${hostname()}` }));
    expectKeyStoreError(() => keys.create(), /locked by another process/);
    plant(lockPath(), content({ pid }));
    keys.create('taken over');
  });

  it('a half-written lock younger than PARTIAL_LOCK_MS is waited for; an older one is taken over', () => {
    new KeyStore(store.path, { generate }).create();
    const keys = new KeyStore(store.path, { generate, lockTimeoutMs: 0 });
    plant(lockPath(), '{"pid":', PARTIAL_LOCK_MS / 2);
    expectKeyStoreError(() => keys.create(), /an unreadable lock/);
    plant(lockPath(), '{"pid":', PARTIAL_LOCK_MS * 3);
    keys.create('taken over');
  });
});

describe('removeIfSame', () => {
  it('the same bytes in another inode, or other bytes in the same inode, are not the same lock', () => {
    mkdirSync(sub(), { mode: 0o700 });
    plant(lockPath(), content({}));
    const judged = readLock(lockPath())!;
    plant(lockPath(), content({})); // same text, new file
    expect(removeIfSame(lockPath(), judged)).toBe(false);
    expect(readFileSync(lockPath(), 'utf8')).toBe(content({}));
    const now = readLock(lockPath())!;
    writeFileSync(lockPath(), content({ token: 'other' })); // same file, new text
    expect(statSync(lockPath()).ino).toBe(now.ino);
    expect(removeIfSame(lockPath(), now)).toBe(false);
    expect(readdirSync(sub())).toEqual(['keys.json.lock']);
    expect(removeIfSame(lockPath(), readLock(lockPath())!)).toBe(true);
    expect(removeIfSame(lockPath(), now)).toBe(false); // nothing there any more
    expect(readdirSync(sub())).toEqual([]);
  });

  it('a lock that cannot be moved aside is ERR_KEY_STORE', () => {
    // The moved copy's name (`<lock>.<pid>.<12 hex>.stale`) is longer than NAME_MAX allows.
    const long = join(store.dir, `${'k'.repeat(240)}.lock`);
    plant(long, content({}));
    expect(causeCode(expectKeyStoreError(() => removeIfSame(long, readLock(long)!), exactly(`cannot move lock file ${long}`)))).toBe('ENAMETOOLONG');
    expect(readFileSync(long, 'utf8')).toBe(content({}));
  });
});

describe('readLock and acquire errors', () => {
  it('a symbolic link or a directory at the lock path is ERR_KEY_STORE, not a lock', () => {
    new KeyStore(store.path, { generate }).create();
    const keys = new KeyStore(store.path, { generate, lockTimeoutMs: 0 });
    writeFileSync(join(sub(), 'target'), content({}), { mode: 0o600 });
    symlinkSync(join(sub(), 'target'), lockPath());
    expect(causeCode(expectKeyStoreError(() => keys.create(), exactly(`cannot read lock file ${lockPath()}`)))).toBe('ELOOP');
    unlinkSync(lockPath());
    mkdirSync(lockPath());
    expect(causeCode(expectKeyStoreError(() => keys.create(), exactly(`cannot read lock file ${lockPath()}`)))).toBe('EISDIR');
    expect(readLock(join(sub(), 'absent'))).toBeUndefined();
  });

  it('a lock that cannot be created is ERR_KEY_STORE naming it', () => {
    const path = join(store.dir, 'missing', 'keys.json.lock');
    expect(causeCode(expectKeyStoreError(() => StoreLock.acquire(path, options), exactly(`cannot create lock file ${path}`)))).toBe('ENOENT');
  });
});

describe('StoreLock', () => {
  it('holds a lock with our pid, host and a token, asserts it while held, and removes it on release', () => {
    mkdirSync(sub(), { mode: 0o700 });
    const lock = StoreLock.acquire(lockPath(), options);
    expect(lock.path).toBe(lockPath());
    const text = JSON.parse(readFileSync(lockPath(), 'utf8')) as Record<string, unknown>;
    expect(text).toEqual({ pid: process.pid, hostname: hostname(), token: expect.stringMatching(/^[0-9a-f]{32}$/), created: expect.any(String) });
    expect(statSync(lockPath()).mode & 0o777).toBe(0o600);
    lock.assertHeld();
    lock.assertHeld();
    lock.release();
    expect(readdirSync(sub())).toEqual([]);
    expect(() => lock.assertHeld()).toThrow(/lost the key store lock/);
  });

  it('after a release that could not remove the lock, the holder no longer holds it', () => {
    const long = join(store.dir, `${'k'.repeat(240)}.lock`);
    const lock = StoreLock.acquire(long, options);
    lock.release(); // the rename aside fails (name too long): the file stays, but it is no longer ours to commit under
    expect(readdirSync(store.dir)).toContain(`${'k'.repeat(240)}.lock`);
    expectKeyStoreError(() => lock.assertHeld(), exactly(`lost the key store lock ${long} to another writer; the change was not written`));
  });

  it("a robbed writer's release does not touch the new holder's lock (not even moved and linked back)", () => {
    const keys = new KeyStore(store.path, { generate });
    keys.create('first');
    let planted: { ino: number; ctimeMs: number; nlink: number } | undefined;
    const robbed = new KeyStore(store.path, {
      generate: () => {
        plant(lockPath(), content({ token: 'the new holder' }));
        const { ino, ctimeMs, nlink } = statSync(lockPath());
        planted = { ino, ctimeMs, nlink };
        return generate();
      },
    });
    expectKeyStoreError(() => robbed.create('lost'), /lost the key store lock/);
    const { ino, ctimeMs, nlink } = statSync(lockPath());
    expect({ ino, ctimeMs, nlink }).toEqual(planted);
  });
});

describe('removeLockLeftovers', () => {
  it('removes moved locks of dead pids, and old ones of live pids; keeps fresh ones of live pids and everything else', () => {
    mkdirSync(sub(), { mode: 0o700 });
    const old = (name: string) => {
      writeFileSync(join(sub(), name), '', { mode: 0o600 });
      const then = (Date.now() - PARTIAL_LOCK_MS * 5) / 1000;
      utimesSync(join(sub(), name), then, then);
    };
    const fresh = (name: string) => writeFileSync(join(sub(), name), '', { mode: 0o600 });
    const dead = deadPid();
    fresh(`keys.json.lock.${dead}.0123456789ab.stale`);
    old(`keys.json.lock.${process.pid}.0123456789ab.stale`);
    const kept = [`keys.json.lock.${process.pid}.abcdef012345.stale`, 'keys.json', 'keys.json.lock', 'keys.json.backup', `keys.json.lock.${dead}.0123456789ab.stale.x`, `keysXjson.lock.${dead}.0123456789ab.stale`];
    fresh(kept[0]!);
    for (const name of kept.slice(1)) old(name);
    expect(removeLockLeftovers(lockPath())).toBe(2);
    expect(readdirSync(sub()).sort()).toEqual(kept.sort());
  });
});
