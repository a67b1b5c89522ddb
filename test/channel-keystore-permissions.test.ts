import { describe, expect, it } from 'vitest';
import { chmodSync, chownSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { KeyStore } from '../bindings/channel/keystore.js';
import { OTHER_UID, canChown, expectKeyStoreError, generate, useTempStore } from './helpers/keystore.js';

const store = useTempStore();
const ROOT = canChown();

/** A store with one key, and its file's text. */
function populated(): { id: string; text: string } {
  const { id } = new KeyStore(store.path, { generate }).create('k');
  return { id, text: readFileSync(store.path, 'utf8') };
}

describe('KeyStore refuses files others could read or swap', () => {
  it('a file readable or writable by group or others', () => {
    populated();
    for (const mode of [0o640, 0o604, 0o620, 0o602, 0o610]) {
      chmodSync(store.path, mode);
      expectKeyStoreError(() => new KeyStore(store.path, { generate }), new RegExp(`accessible to group or others \\(mode ${mode.toString(8)}\\); run chmod 600`));
    }
    chmodSync(store.path, 0o400);
    expect(new KeyStore(store.path, { generate }).list()).toHaveLength(1);
  });

  it.skipIf(!ROOT)('a file owned by another user', () => {
    populated();
    chownSync(store.path, OTHER_UID, OTHER_UID);
    expectKeyStoreError(() => new KeyStore(store.path, { generate }), new RegExp(`owned by uid ${OTHER_UID}, not by this user \\(uid 0\\); run chown`));
  });

  it('a symbolic link at the store path, even to a good file', () => {
    const { text } = populated();
    const real = join(store.dir, 'real.json');
    writeFileSync(real, text, { mode: 0o600 });
    renameSync(store.path, `${store.path}.old`);
    symlinkSync(real, store.path);
    expectKeyStoreError(() => new KeyStore(store.path, { generate }), /is a symbolic link; point to the file itself/);
    expect(new KeyStore(real, { generate }).list()).toHaveLength(1);
  });

  it('something other than a regular file (a FIFO does not hang the open)', () => {
    mkdirSync(dirname(store.path), { mode: 0o700 });
    const made = spawnSync('mkfifo', ['-m', '600', store.path]);
    if (made.error !== undefined || made.status !== 0) throw new Error(`mkfifo failed: ${String(made.error ?? made.stderr)}`);
    expectKeyStoreError(() => new KeyStore(store.path, { generate }), /is not a regular file/);
  });

  it('a store directory writable by group or others (sticky or not), on read and on write', () => {
    populated();
    const sub = dirname(store.path);
    for (const mode of [0o770, 0o707, 0o1777]) {
      chmodSync(sub, mode);
      expectKeyStoreError(() => new KeyStore(store.path, { generate }), new RegExp(`directory ${sub} is writable by group or others \\(mode ${mode.toString(8)}\\); run chmod go-w`));
    }
    chmodSync(sub, 0o755);
    const keys = new KeyStore(store.path, { generate });
    chmodSync(sub, 0o775);
    expectKeyStoreError(() => keys.create(), /is writable by group or others/);
  });

  it('an ancestor directory writable by group or others; a root-owned sticky one such as /tmp is fine', () => {
    populated();
    chmodSync(store.dir, 0o777);
    expectKeyStoreError(() => new KeyStore(store.path, { generate }), new RegExp(`directory ${store.dir} is writable by group or others \\(mode 777\\)`));
    chmodSync(store.dir, 0o1777); // sticky, but ours: not an exception (only root's sticky directories are)
    if (ROOT) {
      expect(new KeyStore(store.path, { generate }).list()).toHaveLength(1); // as root, this directory is root's
    } else {
      expectKeyStoreError(() => new KeyStore(store.path, { generate }), /is writable by group or others/);
    }
    chmodSync(store.dir, 0o700);
    expect(new KeyStore(store.path, { generate }).list()).toHaveLength(1); // under os.tmpdir(), itself usually 1777 root
  });

  it.skipIf(!ROOT)('a directory, or an ancestor, owned by another user', () => {
    populated();
    const sub = dirname(store.path);
    chownSync(sub, OTHER_UID, OTHER_UID);
    expectKeyStoreError(() => new KeyStore(store.path, { generate }), new RegExp(`directory ${sub} is owned by uid ${OTHER_UID}, not by this user \\(uid 0\\) or root`));
    chownSync(sub, 0, 0);
    chownSync(store.dir, OTHER_UID, OTHER_UID);
    expectKeyStoreError(() => new KeyStore(store.path, { generate }), new RegExp(`directory ${store.dir} is owned by uid ${OTHER_UID}`));
  });
});
