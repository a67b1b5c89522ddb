/**
 * The key store's file handling: opening it safely (one descriptor, checked with fstat, owner and
 * directories included, as ssh checks private keys), writing a replacement durably (temporary
 * file, fsync, rename, directory fsync), and removing the temporary files killed writers left.
 * POSIX file semantics (Linux, macOS).
 */
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KeyStoreError } from '../errors.js';

const FILE_MODE = 0o600;
const GROUP_OTHER_ANY = 0o077;
const GROUP_OTHER_WRITE = 0o022;
const STICKY = 0o1000;
// O_NOFOLLOW: a symbolic link at the store's path is refused, not followed (ELOOP). O_NONBLOCK: a FIFO
// planted there cannot hang open(); the fstat check then refuses it.
const OPEN_READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const OPEN_CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export function isNodeError(error: unknown, ...codes: string[]): boolean {
  return typeof error === 'object' && error !== null && codes.includes((error as { code?: unknown }).code as string);
}

export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (another writer's cleanup) or never created: nothing to remove.
  }
}

/** One version of a file: a rename gives a new inode; an in-place edit a new size, mtime or ctime (chmod and chown too). */
export function fingerprintOf(stats: Stats | undefined): string {
  return stats === undefined ? 'absent' : `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

/** The fingerprint of what is at `path` now, without following a symbolic link. */
export function currentFingerprint(path: string): string {
  try {
    return fingerprintOf(lstatSync(path, { throwIfNoEntry: false }));
  } catch (error) {
    throw new KeyStoreError(`cannot stat key store ${path}`, { cause: error });
  }
}

const uid = (): number | undefined => process.getuid?.();

/** ssh's rule: the file is ours, and nobody else can read or write it. */
function checkFile(path: string, stats: Stats): void {
  if (!stats.isFile()) throw new KeyStoreError(`key store ${path} is not a regular file`);
  const me = uid();
  if (me !== undefined && stats.uid !== me) {
    throw new KeyStoreError(`key store ${path} is owned by uid ${stats.uid}, not by this user (uid ${me}); run chown on it`);
  }
  if ((stats.mode & GROUP_OTHER_ANY) !== 0) {
    // Like ssh with private keys: a store others can read is treated as compromised.
    throw new KeyStoreError(`key store ${path} is accessible to group or others (mode ${(stats.mode & 0o777).toString(8)}); run chmod 600 on it`);
  }
}

/**
 * Whoever can write a directory on the way to the store can swap the file (or the directory) for
 * their own, so, as ssh's StrictModes does, every directory from the store's up to / must be owned
 * by us or root and not writable by group or others. One exception, for ancestors only: a
 * root-owned sticky directory such as /tmp, where others cannot rename or remove our entries. The
 * store's own directory gets no exception: others could create the lock file there.
 */
export function checkDirectories(storePath: string): void {
  const me = uid();
  if (me === undefined) return;
  const dir = dirname(storePath);
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (error) {
    throw new KeyStoreError(`cannot resolve the key store directory ${dir}`, { cause: error });
  }
  for (let current = real, own = true; ; own = false) {
    let stats: Stats;
    try {
      stats = statSync(current);
    } catch (error) {
      throw new KeyStoreError(`cannot stat the key store directory ${current}`, { cause: error });
    }
    if (!stats.isDirectory()) throw new KeyStoreError(`${current} is not a directory`);
    if (stats.uid !== me && stats.uid !== 0) {
      throw new KeyStoreError(`key store directory ${current} is owned by uid ${stats.uid}, not by this user (uid ${me}) or root`);
    }
    const sheltered = !own && stats.uid === 0 && (stats.mode & STICKY) !== 0;
    if ((stats.mode & GROUP_OTHER_WRITE) !== 0 && !sheltered) {
      throw new KeyStoreError(`key store directory ${current} is writable by group or others (mode ${(stats.mode & 0o7777).toString(8)}); run chmod go-w on it`);
    }
    const parent = dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/**
 * The store's bytes and the fingerprint of the version they came from, read from one descriptor
 * that was checked first (no stat-then-read-by-path race); undefined when there is no file. The
 * caller wipes the returned buffer.
 */
export function readStoreFile(path: string): { bytes: Buffer; fingerprint: string } | undefined {
  let fd: number;
  try {
    fd = openSync(path, OPEN_READ);
  } catch (error) {
    if (isNodeError(error, 'ENOENT')) return undefined;
    if (isNodeError(error, 'ELOOP', 'EMLINK')) throw new KeyStoreError(`key store ${path} is a symbolic link; point to the file itself`);
    throw new KeyStoreError(`cannot open key store ${path}`, { cause: error });
  }
  try {
    const stats = fstatSync(fd);
    checkFile(path, stats);
    checkDirectories(path);
    return { bytes: readFileSync(fd), fingerprint: fingerprintOf(stats) };
  } catch (error) {
    if (error instanceof KeyStoreError) throw error;
    throw new KeyStoreError(`cannot read key store ${path}`, { cause: error });
  } finally {
    closeSync(fd);
  }
}

// `<store>.<pid>.<12 hex>.tmp`: nothing else in the directory has this shape, so it is safe to remove.
const tempName = (store: string) => `${basename(store)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Remove every temporary file of this store. Called with the lock held, before the store is read:
 * temporary files are only made under the lock, so any that exists belongs to a writer that died or
 * lost the lock. Removing it before reading also protects a writer whose lock was taken from it
 * after its ownership check: its rename either happened before this (and this writer reads its
 * change) or fails for want of the file (and it reports the failure) — no change is lost.
 */
export function removeOrphanedTemps(store: string): number {
  const pattern = new RegExp(`^${escapeRegExp(basename(store))}\\.\\d+\\.[0-9a-f]{12}\\.tmp$`);
  let removed = 0;
  for (const name of listDirectory(store)) {
    if (!pattern.test(name)) continue;
    unlinkQuietly(join(dirname(store), name));
    removed++;
  }
  return removed;
}

/** Write `bytes` to a new temporary file beside the store (mode 0600, O_EXCL), fsync'ed; returns its path. Never leaves it behind on failure. */
export function writeTemp(store: string, bytes: Uint8Array): string {
  const tmp = join(dirname(store), tempName(store));
  let fd: number;
  try {
    fd = openSync(tmp, OPEN_CREATE, FILE_MODE);
  } catch (error) {
    throw new KeyStoreError(`cannot create a temporary file beside key store ${store}`, { cause: error });
  }
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkQuietly(tmp);
    throw new KeyStoreError(`cannot write key store ${store}`, { cause: error });
  }
  closeSync(fd);
  return tmp;
}

/** The names in the store's directory. */
export function listDirectory(store: string): string[] {
  try {
    return readdirSync(dirname(store));
  } catch (error) {
    throw new KeyStoreError(`cannot list the key store directory ${dirname(store)}`, { cause: error });
  }
}

/** Rename the temporary file over the store (atomic, POSIX rename(2)) and make the rename durable. */
export function replaceWith(tmp: string, store: string): void {
  try {
    renameSync(tmp, store);
  } catch (error) {
    unlinkQuietly(tmp);
    throw new KeyStoreError(`cannot replace key store ${store}`, { cause: error });
  }
  try {
    const dir = openSync(dirname(store), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Not every platform can fsync a directory: the data is written; only the rename's durability is best-effort.
  }
}
