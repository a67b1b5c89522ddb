import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { KeyStore } from '../bindings/channel/keystore.js';
import { isE2E2Error } from '../bindings/errors.js';

const generate = () => ({ id: randomBytes(12).toString('hex'), secret: randomBytes(32).toString('base64url') });

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'e2e2-keystore-'));
  path = join(dir, 'sub', 'keys.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function expectKeyStoreError(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(isE2E2Error(error, 'ERR_KEY_STORE')).toBe(true);
    expect((error as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected ERR_KEY_STORE');
}

describe('KeyStore', () => {
  it('starts empty without creating a file, and creates it 0600 on the first key', () => {
    const store = new KeyStore(path, { generate });
    expect(store.list()).toEqual([]);
    expect(existsSync(path)).toBe(false);
    const key = store.create('laptop');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(key.label).toBe('laptop');
    expect(key.revoked).toBeNull();
    expect(Date.parse(key.created)).toBeGreaterThan(0);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    expect(file).toEqual({ version: 1, keys: [key] });
  });

  it('lists keys without secrets and looks secrets up by id', () => {
    const store = new KeyStore(path, { generate });
    const a = store.create('a');
    const b = store.create('b');
    const listed = store.list();
    expect(listed.map((k) => k.id)).toEqual([a.id, b.id]);
    for (const k of listed) expect(k).not.toHaveProperty('secret');
    expect(JSON.stringify(listed)).not.toContain(a.secret);
    expect(store.lookup(a.id)).toBe(a.secret);
    expect(store.lookup(b.id)).toBe(b.secret);
    expect(store.lookup('0'.repeat(24))).toBeUndefined();
  });

  it('revocation is immediate, also when another process revokes', () => {
    const server = new KeyStore(path, { generate });
    const key = server.create('victim');
    const other = server.create('other');
    expect(server.lookup(key.id)).toBe(key.secret);
    // A second store object on the same file stands for the CLI in another process.
    const cli = new KeyStore(path, { generate });
    const info = cli.revoke(key.id);
    expect(info.revoked).not.toBeNull();
    expect(info).not.toHaveProperty('secret');
    expect(server.lookup(key.id)).toBeUndefined();
    expect(server.lookup(other.id)).toBe(other.secret);
    expect(server.list().find((k) => k.id === key.id)?.revoked).toBe(info.revoked);
    // Revoking twice keeps the first time.
    expect(cli.revoke(key.id).revoked).toBe(info.revoked);
  });

  it('revocation from a separate OS process is seen by the next lookup', () => {
    const server = new KeyStore(path, { generate });
    const key = server.create('x');
    const script = `
      import { KeyStore } from ${JSON.stringify(new URL('../bindings/channel/keystore.ts', import.meta.url).pathname)};
      new KeyStore(${JSON.stringify(path)}, { generate: () => { throw new Error('unused'); } }).revoke(${JSON.stringify(key.id)});
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(server.lookup(key.id)).toBeUndefined();
  });

  it('rejects unknown ids on revoke, bad labels, and never overwrites on an id collision', () => {
    const ids = ['aa', 'aa', 'bb'];
    const store = new KeyStore(path, { generate: () => ({ id: ids.shift()!, secret: 's' }) });
    store.create();
    expect(store.create().id).toBe('bb');
    expectKeyStoreError(() => store.revoke('cc'), /no key with id "cc"/);
    expectKeyStoreError(() => store.create('a\nb'), /label/);
    expectKeyStoreError(() => store.create('x'.repeat(201)), /label/);
  });

  it('refuses a store readable by group or others, and malformed files', () => {
    const store = new KeyStore(path, { generate });
    store.create();
    chmodSync(path, 0o644);
    expectKeyStoreError(() => new KeyStore(path, { generate }), /readable by group or others/);
    for (const [content, why] of [
      ['not json', /not valid JSON/],
      ['[]', /unsupported version/],
      ['{"version":1,"keys":{}}', /not an array/],
      ['{"version":1,"keys":[{"id":"a","secret":"s","label":"","created":"t"}]}', /"revoked"/],
      ['{"version":1,"keys":[{"id":"a","secret":1,"label":"","created":"t","revoked":null}]}', /"secret"/],
      ['{"version":1,"keys":[{"id":"a","secret":"s","label":"","created":"t","revoked":null},{"id":"a","secret":"s","label":"","created":"t","revoked":null}]}', /twice/],
    ] as const) {
      writeFileSync(path, content, { mode: 0o600 });
      chmodSync(path, 0o600);
      expectKeyStoreError(() => new KeyStore(path, { generate }), why);
    }
  });

  it('leaves no temporary or lock files behind, and waits for (then breaks) a stale lock', () => {
    const store = new KeyStore(path, { generate, lockTimeoutMs: 200, staleLockMs: 60_000 });
    store.create();
    store.create();
    expect(readdirSync(join(dir, 'sub')).sort()).toEqual(['keys.json']);
    writeFileSync(`${path}.lock`, '');
    expectKeyStoreError(() => store.create(), /locked by another process/);
    const patient = new KeyStore(path, { generate, lockTimeoutMs: 2000, staleLockMs: 0 });
    expect(patient.create().id).toHaveLength(24);
    expect(readdirSync(join(dir, 'sub')).sort()).toEqual(['keys.json']);
    expect(patient.list()).toHaveLength(3);
  });

  it('error messages never contain a secret', () => {
    const store = new KeyStore(path, { generate });
    const key = store.create();
    writeFileSync(path, readFileSync(path, 'utf8').replace('"version": 1', '"version": 2'));
    try {
      store.lookup(key.id);
      throw new Error('expected an error');
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(key.secret);
    }
  });
});
