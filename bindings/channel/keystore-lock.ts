/**
 * The key store's writer lock, safe against writers killed at any instant:
 *
 * - Acquire: create `<store>.lock` with O_EXCL holding {pid, hostname, token, created}.
 * - Stale: its pid is dead on this host (kill(pid, 0) → ESRCH), or it is empty or not our JSON and
 *   older than PARTIAL_LOCK_MS (a writer killed between create and write), or older than staleMs
 *   (another host's writer, or a reused pid).
 * - Takeover and release are the same atomic step: rename the lock to a unique name, read it back,
 *   and unlink it only if it is exactly the lock we meant (same inode, same bytes); otherwise we
 *   moved a live lock that replaced it meanwhile, so link() it back and carry on.
 * - A holder checks the lock is still exactly its own right before the rename that commits a change
 *   (assertHeld) and gives up with ERR_KEY_STORE otherwise.
 */
import { closeSync, constants, fstatSync, linkSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { KeyStoreError } from '../errors.js';
import { escapeRegExp, isNodeError, listDirectory, unlinkQuietly } from './keystore-file.js';

/** A lock that is empty or unparsable may be one a writer is filling in right now; after this long it is a dead writer's, ms. */
export const PARTIAL_LOCK_MS = 1000;
/** Takeovers in one acquire before giving up: bounds the loop if stale locks keep reappearing. */
const MAX_TAKEOVERS = 100;
const LOCK_MAX_BYTES = 1024;
const MAX_PAUSE_MS = 50;

export interface LockOptions {
  /** How long to wait for a live holder, ms (0: do not wait; stale locks are still taken over). */
  timeoutMs: number;
  /** A lock older than this is stale whoever holds it, ms. */
  staleMs: number;
}

export interface LockSnapshot {
  dev: number;
  ino: number;
  mtimeMs: number;
  text: string;
}

interface LockContent {
  pid: number;
  hostname: string;
  token: string;
  created: string;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const same = (a: LockSnapshot, b: LockSnapshot) => a.dev === b.dev && a.ino === b.ino && a.text === b.text;

/** What is at `path` now (undefined if nothing), read through one descriptor without following a link. */
export function readLock(path: string): LockSnapshot | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (isNodeError(error, 'ENOENT')) return undefined;
    throw new KeyStoreError(`cannot read lock file ${path}`, { cause: error });
  }
  try {
    const { dev, ino, mtimeMs } = fstatSync(fd);
    const buffer = Buffer.alloc(LOCK_MAX_BYTES + 1);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return { dev, ino, mtimeMs, text: buffer.toString('utf8', 0, length) };
  } catch (error) {
    throw new KeyStoreError(`cannot read lock file ${path}`, { cause: error }); // e.g. a directory there
  } finally {
    closeSync(fd);
  }
}

function parseLock(text: string): LockContent | undefined {
  if (text.length > LOCK_MAX_BYTES) return undefined;
  let value: Partial<LockContent> | null;
  try {
    value = JSON.parse(text) as Partial<LockContent> | null;
  } catch {
    return undefined;
  }
  const valid = Number.isSafeInteger(value?.pid) && value!.pid! > 0 && typeof value!.hostname === 'string' && typeof value!.token === 'string';
  return valid ? (value as LockContent) : undefined;
}

/** kill(pid, 0) sends nothing: ESRCH means no such process; EPERM means it exists (another user's). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !isNodeError(error, 'ESRCH');
  }
}

function isStale(lock: LockSnapshot, staleMs: number): boolean {
  const age = Date.now() - lock.mtimeMs;
  if (age > staleMs) return true;
  const content = parseLock(lock.text);
  if (content === undefined) return age > PARTIAL_LOCK_MS;
  // A pid says nothing about another host's processes: there only the age counts.
  return content.hostname === hostname() && !processAlive(content.pid);
}

function describe(lock: LockSnapshot): string {
  const content = parseLock(lock.text);
  return content === undefined ? 'an unreadable lock' : `pid ${content.pid} on ${content.hostname} since ${content.created}`;
}

// `<store>.lock.<pid>.<12 hex>.stale`: where a lock is moved while it is checked before unlinking.
const movedName = (lock: string) => `${lock}.${process.pid}.${randomBytes(6).toString('hex')}.stale`;

/**
 * Remove the lock at `path` only if it is `expected`, atomically: a plain stat-then-unlink could
 * delete a lock another writer created in between. Returns whether it was removed.
 */
export function removeIfSame(path: string, expected: LockSnapshot): boolean {
  const moved = movedName(path);
  try {
    renameSync(path, moved);
  } catch (error) {
    if (isNodeError(error, 'ENOENT')) return false; // released or taken over meanwhile
    throw new KeyStoreError(`cannot move lock file ${path}`, { cause: error });
  }
  let back: LockSnapshot | undefined;
  try {
    back = readLock(moved);
  } catch {
    back = undefined;
  }
  const removed = back !== undefined && same(back, expected);
  if (!removed) {
    try {
      linkSync(moved, path);
    } catch {
      // EEXIST: a third writer locked in the meantime. The holder we displaced then fails its
      // assertHeld(); if it already passed it, the new holder removes its temporary file before
      // reading the store (removeOrphanedTemps), so its change is either read or refused, not lost.
    }
  }
  unlinkQuietly(moved);
  return removed;
}

/**
 * Remove moved locks (`.stale`) that a writer killed during a takeover or release left: those whose
 * pid is dead, or that are older than PARTIAL_LOCK_MS (a live mover needs microseconds).
 */
export function removeLockLeftovers(lock: string): number {
  const pattern = new RegExp(`^${escapeRegExp(basename(lock))}\\.(\\d+)\\.[0-9a-f]{12}\\.stale$`);
  let removed = 0;
  for (const name of listDirectory(lock)) {
    const match = pattern.exec(name);
    if (match === null) continue;
    const path = join(dirname(lock), name);
    let old: boolean;
    try {
      old = Date.now() - statSync(path).mtimeMs > PARTIAL_LOCK_MS;
    } catch {
      continue; // its mover finished with it
    }
    if (old || !processAlive(Number(match[1]))) {
      unlinkQuietly(path);
      removed++;
    }
  }
  return removed;
}

export class StoreLock {
  readonly path: string;
  readonly #mine: LockSnapshot;
  #held = true;

  private constructor(path: string, mine: LockSnapshot) {
    this.path = path;
    this.#mine = mine;
  }

  /** Wait (sleeping, synchronously) for the lock; take over stale ones at once. */
  static acquire(path: string, options: LockOptions): StoreLock {
    const text = JSON.stringify({ pid: process.pid, hostname: hostname(), token: randomBytes(16).toString('hex'), created: new Date().toISOString() });
    const deadline = Date.now() + options.timeoutMs;
    let pause = 2;
    for (let takeovers = 0; ; ) {
      const mine = StoreLock.#create(path, text);
      if (mine !== undefined) return new StoreLock(path, mine);
      const current = readLock(path);
      if (current === undefined) continue; // released between our open and our read
      if (isStale(current, options.staleMs)) {
        if (++takeovers > MAX_TAKEOVERS) throw new KeyStoreError(`cannot take over the stale lock ${path}`);
        removeIfSame(path, current);
        continue;
      }
      if (Date.now() >= deadline) throw new KeyStoreError(`key store is locked by another process (${describe(current)}): ${path}`);
      // Random pauses keep waiting writers from retrying in lockstep.
      sleepSync(pause + Math.random() * pause);
      pause = Math.min(pause * 2, MAX_PAUSE_MS);
    }
  }

  static #create(path: string, text: string): LockSnapshot | undefined {
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (error) {
      if (isNodeError(error, 'EEXIST')) return undefined;
      throw new KeyStoreError(`cannot create lock file ${path}`, { cause: error });
    }
    try {
      const { dev, ino, mtimeMs } = fstatSync(fd);
      const bytes = Buffer.from(text);
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written);
      return { dev, ino, mtimeMs, text };
    } catch (error) {
      // What got written stays: empty or cut JSON is not a writer's lock, so it is taken over after
      // PARTIAL_LOCK_MS, like the lock of a writer killed between create and write.
      throw new KeyStoreError(`cannot write lock file ${path}`, { cause: error });
    } finally {
      closeSync(fd);
    }
  }

  /** Throws ERR_KEY_STORE unless the lock file is still exactly ours (it may have been judged stale and taken over). */
  assertHeld(): void {
    const current = this.#held ? readLock(this.path) : undefined;
    if (current === undefined || !same(current, this.#mine)) {
      throw new KeyStoreError(`lost the key store lock ${this.path} to another writer; the change was not written`);
    }
  }

  /** Remove the lock if it is still ours; never someone else's. */
  release(): void {
    this.#held = false;
    try {
      // Look first, so that a lock that is visibly someone else's is not even moved.
      const current = readLock(this.path);
      if (current !== undefined && same(current, this.#mine)) removeIfSame(this.path, this.#mine);
    } catch {
      // Cannot rename the lock (the directory became read-only?): it is stale once this process exits.
    }
  }
}
