/**
 * The server's API key store: one JSON file holding every key (id, secret, label, created,
 * revoked). Node only (it uses node:fs).
 *
 * Durability: every change is written to a temporary file in the same directory (mode 0600,
 * created exclusively), fsync'ed, renamed over the store, and the directory is fsync'ed, so a
 * crash leaves either the old file or the new one, never a torn one (POSIX rename(2) is atomic).
 * Writers from several processes (the CLI while a server runs) serialise through a lock file
 * created with O_EXCL.
 *
 * Freshness: `lookup()` stats the file before answering and reloads it when its inode, size or
 * mtime changed, so `e2e2 keys revoke` in another process takes effect for the very next
 * handshake, with no restart and no signal.
 *
 * Secrets never appear in errors, logs or `list()`; only `create()` returns one, once.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KeyStoreError } from '../errors.js';

/** One stored key as it is written in the file. */
export interface StoredKey {
  /** Public identifier the client sends in the handshake. */
  id: string;
  /** The pre-shared API key secret (encoding defined by the E2-E2 layer). */
  secret: string;
  label: string;
  /** ISO 8601 creation time. */
  created: string;
  /** ISO 8601 revocation time, or null while the key is valid. */
  revoked: string | null;
}

/** A key as listed: everything but the secret. */
export type KeyInfo = Omit<StoredKey, 'secret'>;

interface StoreFile {
  version: 1;
  keys: StoredKey[];
}

/** Makes a new key's id and secret. The channel layer supplies one built on the E2-E2 key format. */
export type KeyGenerator = () => { id: string; secret: string };

export interface KeyStoreOptions {
  /** How new keys are made. */
  generate: KeyGenerator;
  /** How long a writer waits for the lock file before giving up, ms. Default 5000. */
  lockTimeoutMs?: number;
  /** A lock file older than this is taken to be left by a crashed writer and removed, ms. Default 30000. */
  staleLockMs?: number;
}

const FILE_MODE = 0o600;
const LABEL_MAX_CHARS = 200;

function isNodeError(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function validate(data: unknown, path: string): StoreFile {
  const fail = (why: string): never => {
    throw new KeyStoreError(`key store ${path} is malformed: ${why}`);
  };
  if (typeof data !== 'object' || data === null) fail('not a JSON object');
  const file = data as { version?: unknown; keys?: unknown };
  if (file.version !== 1) fail('unsupported version');
  if (!Array.isArray(file.keys)) fail('"keys" is not an array');
  const ids = new Set<string>();
  for (const [index, key] of (file.keys as unknown[]).entries()) {
    if (typeof key !== 'object' || key === null) fail(`key #${index} is not an object`);
    const k = key as Record<string, unknown>;
    for (const field of ['id', 'secret', 'label', 'created'] as const) {
      if (typeof k[field] !== 'string') fail(`key #${index} has no string "${field}"`);
    }
    if (k.revoked !== null && typeof k.revoked !== 'string') fail(`key #${index} has an invalid "revoked"`);
    if (ids.has(k.id as string)) fail(`key id ${k.id as string} appears twice`);
    ids.add(k.id as string);
  }
  return file as StoreFile;
}

export class KeyStore {
  /** Absolute path of the JSON file. */
  readonly path: string;
  readonly #generate: KeyGenerator;
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;
  #keys = new Map<string, StoredKey>();
  #fingerprint = '';

  constructor(path: string, options: KeyStoreOptions) {
    this.path = resolve(path);
    this.#generate = options.generate;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 5000;
    this.#staleLockMs = options.staleLockMs ?? 30_000;
    this.#refresh();
  }

  /** Create a key. The returned secret is the only time it leaves the store. */
  create(label = ''): StoredKey {
    if (typeof label !== 'string' || label.length > LABEL_MAX_CHARS || /[\u0000-\u001f\u007f]/.test(label)) {
      throw new KeyStoreError(`label must be a string of at most ${LABEL_MAX_CHARS} printable characters`);
    }
    return this.#update((keys) => {
      let generated = this.#generate();
      // Ids are random; a collision is astronomically unlikely, but never overwrite a key.
      while (keys.has(generated.id)) generated = this.#generate();
      const key: StoredKey = { ...generated, label, created: new Date().toISOString(), revoked: null };
      keys.set(key.id, key);
      return { ...key };
    });
  }

  /** Revoke a key: new handshakes with it fail as soon as the file is renamed into place. */
  revoke(id: string): KeyInfo {
    return this.#update((keys) => {
      const key = keys.get(id);
      if (key === undefined) throw new KeyStoreError(`no key with id ${JSON.stringify(id)}`);
      if (key.revoked === null) key.revoked = new Date().toISOString();
      const { secret: _secret, ...info } = key;
      return info;
    });
  }

  /** Every key, without secrets, oldest first. */
  list(): KeyInfo[] {
    this.#refresh();
    return [...this.#keys.values()].map(({ secret: _secret, ...info }) => info);
  }

  /**
   * The secret of a valid key, or undefined when the id is unknown or revoked (the handshake
   * treats both exactly like a wrong key). Re-reads the file if another process changed it.
   */
  lookup(id: string): string | undefined {
    this.#refresh();
    const key = this.#keys.get(id);
    return key !== undefined && key.revoked === null ? key.secret : undefined;
  }

  // ------------------------------------------------------------------ file handling

  #stat(): Stats | undefined {
    try {
      return statSync(this.path);
    } catch (error) {
      if (isNodeError(error, 'ENOENT')) return undefined;
      throw new KeyStoreError(`cannot stat key store ${this.path}`, { cause: error });
    }
  }

  /** Reload when the file changed (a rename gives a new inode; an in-place edit a new mtime or size). */
  #refresh(): void {
    const stats = this.#stat();
    const fingerprint = stats === undefined ? 'absent' : `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    if (fingerprint === this.#fingerprint) return;
    this.#keys = this.#read(stats);
    this.#fingerprint = fingerprint;
  }

  #read(stats: Stats | undefined): Map<string, StoredKey> {
    if (stats === undefined) return new Map();
    if ((stats.mode & 0o077) !== 0) {
      // Like ssh with private keys: a store others can read is treated as compromised.
      throw new KeyStoreError(`key store ${this.path} is readable by group or others; run chmod 600 on it`);
    }
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      throw new KeyStoreError(`cannot read key store ${this.path}`, { cause: error });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new KeyStoreError(`key store ${this.path} is malformed: not valid JSON`, { cause: error });
    }
    return new Map(validate(data, this.path).keys.map((k) => [k.id, { ...k }]));
  }

  /** Lock, re-read the latest file, apply `change`, write atomically, unlock. */
  #update<T>(change: (keys: Map<string, StoredKey>) => T): T {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const lock = `${this.path}.lock`;
    this.#acquire(lock);
    try {
      const stats = this.#stat();
      const keys = this.#read(stats);
      const result = change(keys);
      this.#write({ version: 1, keys: [...keys.values()] });
      this.#keys = keys;
      const after = this.#stat();
      this.#fingerprint = after === undefined ? 'absent' : `${after.ino}:${after.size}:${after.mtimeMs}`;
      return result;
    } finally {
      try {
        unlinkSync(lock);
      } catch {
        // Already removed as stale by another writer; nothing to release.
      }
    }
  }

  #acquire(lock: string): void {
    const deadline = Date.now() + this.#lockTimeoutMs;
    for (;;) {
      try {
        closeSync(openSync(lock, 'wx', FILE_MODE));
        return;
      } catch (error) {
        if (!isNodeError(error, 'EEXIST')) throw new KeyStoreError(`cannot create lock file ${lock}`, { cause: error });
      }
      try {
        if (Date.now() - statSync(lock).mtimeMs > this.#staleLockMs) unlinkSync(lock);
      } catch {
        // The holder released it between our open and stat: try again.
      }
      if (Date.now() > deadline) throw new KeyStoreError(`key store is locked by another process (${lock})`);
      sleepSync(10);
    }
  }

  #write(data: StoreFile): void {
    const tmp = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const fd = openSync(tmp, 'wx', FILE_MODE);
    try {
      const bytes = Buffer.from(`${JSON.stringify(data, null, 2)}\n`, 'utf8');
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      unlinkSync(tmp);
      throw new KeyStoreError(`cannot write key store ${this.path}`, { cause: error });
    }
    closeSync(fd);
    try {
      renameSync(tmp, this.path);
    } catch (error) {
      unlinkSync(tmp);
      throw new KeyStoreError(`cannot replace key store ${this.path}`, { cause: error });
    }
    // Make the rename itself durable. Not every platform can fsync a directory; that is not an error.
    try {
      const dir = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    } catch {
      // EISDIR/EPERM on some platforms: the data is written; only the rename's durability is best-effort.
    }
  }
}
