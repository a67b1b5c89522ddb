/**
 * The key store's writer lock in this process (keystore-lock.ts): takeover of dead, remote, half-written
 * and stale locks, atomic removal, a robbed holder that does not commit, leftovers of killed writers.
 * The writers in separate processes (kill -9) are in channel-keystore-crash.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { KeyStore } from '../bindings/channel/keystore.js';
import { readLock, removeIfSame } from '../bindings/channel/keystore-lock.js';
import { expectKeyStoreError, generate, useTempStore } from './helpers/keystore.js';

const store = useTempStore();
const lockPath = () => `${store.path}.lock`;
const storeDir = () => dirname(store.path);

function lockText(pid: number, host = hostname()): string {
  return JSON.stringify({ pid, hostname: host, token: 'f'.repeat(32), created: new Date().toISOString() });
}

/** The pid of a process that has exited (pids are not reused that quickly). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** Put a lock in place the way a writer does: a complete file appears at once. */
function plantLock(text: string, ageMs = 0): void {
  writeFileSync(`${lockPath()}.planted`, text, { mode: 0o600 });
  if (ageMs > 0) utimesSync(`${lockPath()}.planted`, (Date.now() - ageMs) / 1000, (Date.now() - ageMs) / 1000);
  renameSync(`${lockPath()}.planted`, lockPath());
}

describe('key store lock', () => {
  it("a dead writer's lock is taken over at once (no waiting allowed), and nothing is left behind", () => {
    new KeyStore(store.path, { generate }).create('first');
    plantLock(lockText(deadPid()));
    const keys = new KeyStore(store.path, { generate, lockTimeoutMs: 0 });
    keys.create('second');
    expect(keys.list().map((k) => k.label)).toEqual(['first', 'second']);
    expect(readdirSync(storeDir())).toEqual(['keys.json']);
  });

  it("a live process's lock is respected until it exits; then taken over at once", async () => {
    new KeyStore(store.path, { generate }).create('first');
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      const text = lockText(holder.pid!);
      plantLock(text);
      const keys = new KeyStore(store.path, { generate, lockTimeoutMs: 200 });
      expectKeyStoreError(() => keys.create(), new RegExp(`locked by another process \\(pid ${holder.pid} on ${hostname()} since .*\\): ${lockPath()}`));
      expect(readFileSync(lockPath(), 'utf8')).toBe(text);
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
      new KeyStore(store.path, { generate, lockTimeoutMs: 0 }).create('second');
      expect(readdirSync(storeDir())).toEqual(['keys.json']);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it("another host's lock counts only by age; an empty (half-written) lock is waited for, then taken over after a second", () => {
    new KeyStore(store.path, { generate }).create('first');
    const keys = new KeyStore(store.path, { generate, lockTimeoutMs: 100, staleLockMs: 60_000 });
    plantLock(lockText(deadPid(), 'elsewhere.example'));
    expectKeyStoreError(() => keys.create(), /locked by another process \(pid \d+ on elsewhere\.example/);
    plantLock(lockText(deadPid(), 'elsewhere.example'), 61_000);
    keys.create('after a stale remote lock');
    plantLock('');
    expectKeyStoreError(() => keys.create(), /locked by another process \(an unreadable lock\)/);
    plantLock('', 1500);
    keys.create('after a half-written lock');
    expect(keys.list()).toHaveLength(3);
    expect(readdirSync(storeDir())).toEqual(['keys.json']);
  });

  it('removing a lock is atomic: a lock that replaced the one judged stale is put back, not deleted', () => {
    new KeyStore(store.path, { generate }).create('first');
    plantLock(lockText(deadPid()));
    const judged = readLock(lockPath())!;
    const live = lockText(process.pid);
    plantLock(live); // another writer took over and locked between our judgement and our move
    const liveInode = statSync(lockPath()).ino;
    expect(removeIfSame(lockPath(), judged)).toBe(false);
    expect(readFileSync(lockPath(), 'utf8')).toBe(live);
    expect(statSync(lockPath()).ino).toBe(liveInode); // the same file, linked back
    expect(removeIfSame(lockPath(), readLock(lockPath())!)).toBe(true);
    expect(readdirSync(storeDir())).toEqual(['keys.json']);
  });

  it('a writer whose lock was taken over does not commit, and its release leaves the new holder\'s lock alone', () => {
    const keys = new KeyStore(store.path, { generate });
    keys.create('first');
    const before = readFileSync(store.path, 'utf8');
    const other = lockText(process.pid);
    // The generator runs while the lock is held: there, stand in for a writer that took the lock over.
    const robbed = new KeyStore(store.path, {
      generate: () => {
        plantLock(other);
        return generate();
      },
    });
    expectKeyStoreError(() => robbed.create('lost'), /lost the key store lock .* to another writer; the change was not written/);
    expect(readFileSync(store.path, 'utf8')).toBe(before);
    expect(readFileSync(lockPath(), 'utf8')).toBe(other);
    expect(readdirSync(storeDir()).sort()).toEqual(['keys.json', 'keys.json.lock']);
  });

  it('temporary files and moved locks left by killed writers are removed by the next writer', () => {
    const keys = new KeyStore(store.path, { generate });
    keys.create('first');
    const secretCopy = readFileSync(store.path);
    const dead = deadPid();
    writeFileSync(join(storeDir(), `keys.json.${dead}.0123456789ab.tmp`), secretCopy, { mode: 0o600 });
    writeFileSync(join(storeDir(), `keys.json.lock.${dead}.0123456789ab.stale`), lockText(dead), { mode: 0o600 });
    writeFileSync(join(storeDir(), 'keys.json.backup'), 'not ours to remove', { mode: 0o600 });
    keys.create('second');
    expect(readdirSync(storeDir()).sort()).toEqual(['keys.json', 'keys.json.backup']);
  });
});
