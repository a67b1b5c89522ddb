/**
 * The server's API key store: one JSON file holding every key (id, secret, label, created,
 * revoked). Node only (it uses node:fs), POSIX file semantics.
 *
 * Durability: every change is written to a temporary file in the same directory (mode 0600,
 * created exclusively), fsync'ed, renamed over the store, and the directory is fsync'ed, so a
 * crash leaves either the old file or the new one, never a torn one (POSIX rename(2) is atomic).
 * Writers from several processes (the CLI while a server runs) serialise through a lock file that
 * survives writers killed at any point (keystore-lock.ts).
 *
 * Safety: the file is opened once without following links and checked on the descriptor (ours,
 * mode 0600, in directories only we or root can write) before it is read (keystore-file.ts).
 *
 * Freshness: `lookup()` lstats the file before answering and reloads it when it changed, so
 * `e2e2 keys revoke` in another process takes effect for the very next handshake, with no restart
 * and no signal. A file that turns corrupt or unsafe while a good copy is loaded does not stop the
 * server: the last good copy keeps answering, `onError` is told once per bad version, and the next
 * valid version is picked up by itself.
 *
 * Secrets are decoded once per load, in constant time, into 32-byte Uint8Arrays; the store keeps no
 * secret strings. They never appear in errors, logs or `list()`; only `create()` returns one, once.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { API_KEY_SECRET_BYTES } from '../e2e2/constants.js';
import { fromBase64UrlConstantTime } from '../e2e2/encoding.js';
import { KeyStoreError } from '../errors.js';
import { checkDirectories, currentFingerprint, fingerprintOf, readStoreFile, removeOrphanedTemps, replaceWith, unlinkQuietly, writeTemp } from './keystore-file.js';
import { removeLockLeftovers, StoreLock } from './keystore-lock.js';

/** One stored key as it is written in the file. */
export interface StoredKey {
  /** Public identifier the client sends in the handshake. */
  id: string;
  /** The pre-shared API key secret: 32 bytes, base64url without padding (SPEC.md §4). */
  secret: string;
  label: string;
  /** ISO 8601 creation time. */
  created: string;
  /** ISO 8601 revocation time, or null while the key is valid. */
  revoked: string | null;
}

/** A key as listed: everything but the secret. */
export type KeyInfo = Omit<StoredKey, 'secret'>;

/** Makes a new key's id and secret (32 bytes, base64url). The channel layer supplies one built on the E2-E2 key format. */
export type KeyGenerator = () => { id: string; secret: string };

/** Options of a KeyStore file (see openKeyStore). */
export interface KeyStoreOptions {
  /** How new keys are made. */
  generate: KeyGenerator;
  /** How long a writer waits for a live lock holder before giving up, ms. Default 5000. */
  lockTimeoutMs?: number;
  /**
   * A lock file older than this is stale whoever holds it, ms. Default 30000. Locks of dead
   * processes on this host are taken over at once; this bound is for other hosts and reused pids.
   */
  staleLockMs?: number;
  /**
   * Told when the file became unusable (corrupt, unsafe permissions, unreadable) while a good copy
   * is loaded, once per bad version of the file; lookups keep answering from the good copy.
   * Default: one line on console.error. The error's message never contains a secret.
   */
  onError?: (error: KeyStoreError) => void;
}

interface StoreFile {
  version: 1;
  keys: StoredKey[];
}

/** A validated version of the file: every key, and the decoded secrets of the valid (not revoked) ones. */
interface Loaded {
  keys: StoredKey[];
  secrets: Map<string, Uint8Array>;
}

const LABEL_MAX_CHARS = 200;
const SECRET_CHARS = Math.ceil((API_KEY_SECRET_BYTES * 4) / 3);

const wipeAll = (secrets: Iterable<Uint8Array>) => {
  for (const secret of secrets) secret.fill(0);
};

function reportToConsole(error: KeyStoreError): void {
  console.error(`e2e2: ${error.message}; the server keeps using the last good copy of the key store until the file is fixed`);
}

/** Check the structure and decode the valid keys' secrets. Messages name fields and ids, never secret values. */
function validate(data: unknown, path: string): Loaded {
  const fail = (why: string): never => {
    throw new KeyStoreError(`key store ${path} is malformed: ${why}`);
  };
  if (typeof data !== 'object' || data === null) fail('not a JSON object');
  const file = data as { version?: unknown; keys?: unknown };
  if (file.version !== 1) fail('unsupported version');
  if (!Array.isArray(file.keys)) fail('"keys" is not an array');
  const secrets = new Map<string, Uint8Array>();
  const ids = new Set<string>();
  try {
    for (const [index, key] of (file.keys as unknown[]).entries()) {
      if (typeof key !== 'object' || key === null) fail(`key #${index} is not an object`);
      const k = key as Record<string, unknown>;
      for (const field of ['id', 'secret', 'label', 'created'] as const) {
        if (typeof k[field] !== 'string') fail(`key #${index} has no string "${field}"`);
      }
      if (k.revoked !== null && typeof k.revoked !== 'string') fail(`key #${index} has an invalid "revoked"`);
      if (ids.has(k.id as string)) fail(`key id ${k.id as string} appears twice`);
      ids.add(k.id as string);
      const secret = (k.secret as string).length === SECRET_CHARS ? fromBase64UrlConstantTime(k.secret as string) : undefined;
      if (secret === undefined) fail(`key #${index} has a secret that is not ${API_KEY_SECRET_BYTES} bytes of base64url`);
      if (k.revoked === null) secrets.set(k.id as string, secret!);
      else secret!.fill(0); // a revoked key's secret is never needed again
    }
  } catch (error) {
    wipeAll(secrets.values());
    throw error;
  }
  return { keys: (file.keys as StoredKey[]).map(({ id, secret, label, created, revoked }) => ({ id, secret, label, created, revoked })), secrets };
}

/** Parse the file's bytes (wiping them). JSON.parse's own message quotes the text, so it is not kept as the cause. */
function parse(bytes: Buffer, path: string): Loaded {
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new KeyStoreError(`key store ${path} is malformed: not valid JSON`);
  } finally {
    bytes.fill(0);
  }
  return validate(data, path);
}

/** The file as it is now (an absent file is an empty store). */
function load(path: string): { loaded: Loaded; fingerprint: string } {
  const read = readStoreFile(path);
  if (read === undefined) return { loaded: { keys: [], secrets: new Map() }, fingerprint: fingerprintOf(undefined) };
  return { loaded: parse(read.bytes, path), fingerprint: read.fingerprint };
}

/** The fingerprint of the file just renamed into place; if even a stat fails now, one that forces a reload on the next lookup. */
function committedFingerprint(path: string): string {
  try {
    return currentFingerprint(path);
  } catch {
    return 'reload';
  }
}

/** API keys in a JSON file (mode 0600, written atomically under a lock): add, list, revoke; the server re-reads it when it changes. Open with openKeyStore(). */
export class KeyStore {
  /** Absolute path of the JSON file. */
  readonly path: string;
  readonly #generate: KeyGenerator;
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;
  readonly #onError: (error: KeyStoreError) => void;
  /** Every key of the loaded version, without secrets, in file order. */
  #info = new Map<string, KeyInfo>();
  /** Secrets of the loaded version's valid keys: one Map lookup per handshake, whether the id is known or not. */
  #secrets = new Map<string, Uint8Array>();
  #fingerprint: string | undefined;
  /** The version last reported as unusable, so each bad version is reported once. */
  #badFingerprint: string | undefined;
  #closed = false;

  /** Loads the file; a corrupt or unsafe store is an ERR_KEY_STORE error here (there is no good copy yet). */
  constructor(path: string, options: KeyStoreOptions) {
    this.path = resolve(path);
    this.#generate = options.generate;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 5000;
    this.#staleLockMs = options.staleLockMs ?? 30_000;
    this.#onError = options.onError ?? reportToConsole;
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
      const key: StoredKey = { id: generated.id, secret: generated.secret, label, created: new Date().toISOString(), revoked: null };
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
    return [...this.#info.values()].map((info) => ({ ...info }));
  }

  /**
   * The 32-byte secret of a valid key, or undefined when the id is unknown or revoked (the
   * handshake treats both exactly like a wrong key). Re-reads the file if another process changed
   * it. The bytes belong to the store: copy them before the next turn of the event loop and never
   * modify them (a reload wipes the replaced ones with setImmediate; close() wipes all at once).
   */
  lookup(id: string): Uint8Array | undefined {
    this.#refresh();
    return this.#secrets.get(id);
  }

  /** Wipe every secret held in memory; the store cannot be used afterwards. */
  close(): void {
    this.#closed = true;
    wipeAll(this.#secrets.values());
    this.#secrets = new Map();
    this.#info = new Map();
  }

  // ------------------------------------------------------------------ loading

  #assertOpen(): void {
    if (this.#closed) throw new KeyStoreError(`key store ${this.path} is closed`);
  }

  /** Load `loaded` as the current version; the replaced secrets are wiped once no handshake can still be copying them. */
  #adopt(loaded: Loaded, fingerprint: string): void {
    const replaced = [...this.#secrets.values()];
    this.#info = new Map(loaded.keys.map(({ secret: _secret, ...info }) => [info.id, info]));
    this.#secrets = loaded.secrets;
    this.#fingerprint = fingerprint;
    this.#badFingerprint = undefined;
    // A handshake copies what lookup() returned right after one await (microtasks only), so by the
    // time an immediate runs, nobody still holds these arrays uncopied.
    setImmediate(wipeAll, replaced);
  }

  /** Reload when the file changed; keep the last good copy (and report) when the new version is unusable. */
  #refresh(): void {
    this.#assertOpen();
    let fingerprint = 'cannot stat';
    try {
      fingerprint = currentFingerprint(this.path);
      if (fingerprint === this.#fingerprint || fingerprint === this.#badFingerprint) return;
      const { loaded, fingerprint: read } = load(this.path);
      this.#adopt(loaded, read);
    } catch (error) {
      if (this.#fingerprint === undefined || !(error instanceof KeyStoreError)) throw error;
      if (fingerprint === this.#badFingerprint) return; // a stat that keeps failing: reported already
      this.#badFingerprint = fingerprint;
      this.#report(error);
    }
  }

  #report(error: KeyStoreError): void {
    try {
      this.#onError(error);
    } catch {
      reportToConsole(error); // a throwing onError must not turn into failed handshakes
    }
  }

  // ------------------------------------------------------------------ writing

  /** Lock, clean up after killed writers, re-read the latest file, apply `change`, write atomically, unlock. */
  #update<T>(change: (keys: Map<string, StoredKey>) => T): T {
    this.#assertOpen();
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new KeyStoreError(`cannot create the key store directory ${dirname(this.path)}`, { cause: error });
    }
    checkDirectories(this.path);
    const lock = StoreLock.acquire(`${this.path}.lock`, { timeoutMs: this.#lockTimeoutMs, staleMs: this.#staleLockMs });
    try {
      removeOrphanedTemps(this.path);
      removeLockLeftovers(lock.path);
      // Strictly: a writer never replaces a file it cannot read (that would drop whatever it now says).
      const current = load(this.path).loaded;
      wipeAll(current.secrets.values()); // this process's copy for lookups is rebuilt from what gets written
      const keys = new Map(current.keys.map((key) => [key.id, key]));
      const result = change(keys);
      const file: StoreFile = { version: 1, keys: [...keys.values()] };
      const bytes = Buffer.from(`${JSON.stringify(file, null, 2)}\n`);
      let next: Loaded;
      try {
        // What we write must load: a bad generated secret fails here, before anything is written.
        next = validate(JSON.parse(bytes.toString('utf8')), this.path);
        try {
          // writeTemp and replaceWith remove the temporary file themselves when they fail.
          const tmp = writeTemp(this.path, bytes);
          try {
            // Checked right before the rename: a writer that lost the lock must not commit.
            lock.assertHeld();
          } catch (error) {
            unlinkQuietly(tmp);
            throw error;
          }
          replaceWith(tmp, this.path);
        } catch (error) {
          wipeAll(next.secrets.values());
          throw error;
        }
      } finally {
        bytes.fill(0);
      }
      this.#adopt(next, committedFingerprint(this.path));
      return result;
    } finally {
      lock.release();
    }
  }
}
