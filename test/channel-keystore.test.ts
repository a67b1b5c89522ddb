import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { spawnSync } from 'node:child_process';
import { KeyStore } from '../bindings/channel/keystore.js';
import { keyStoreResolver } from '../bindings/channel/keys.js';
import { KeyStoreError } from '../bindings/errors.js';
import { expectKeyStoreError, generate, useTempStore } from './helpers/keystore.js';

const store = useTempStore();
const bytes = (secret: string) => new Uint8Array(Buffer.from(secret, 'base64url'));

/** Replace the file the way an editor or another writer would: a new file renamed over it. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.edit`, text, { mode: 0o600 });
  renameSync(`${path}.edit`, path);
}

describe('KeyStore', () => {
  it('starts empty without creating a file, and creates it 0600 on the first key', () => {
    const keys = new KeyStore(store.path, { generate });
    expect(keys.list()).toEqual([]);
    expect(existsSync(store.path)).toBe(false);
    const key = keys.create('laptop');
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(key.label).toBe('laptop');
    expect(key.revoked).toBeNull();
    expect(Date.parse(key.created)).toBeGreaterThan(0);
    const file = JSON.parse(readFileSync(store.path, 'utf8'));
    expect(file).toEqual({ version: 1, keys: [key] });
  });

  it('lists keys without secrets and looks secrets up by id, as the 32 decoded bytes', () => {
    const keys = new KeyStore(store.path, { generate });
    const a = keys.create('a');
    const b = keys.create('b');
    const listed = keys.list();
    expect(listed.map((k) => k.id)).toEqual([a.id, b.id]);
    for (const k of listed) expect(k).not.toHaveProperty('secret');
    expect(JSON.stringify(listed)).not.toContain(a.secret);
    expect(keys.lookup(a.id)).toEqual(bytes(a.secret));
    expect(keys.lookup(b.id)).toEqual(bytes(b.secret));
    expect(keys.lookup('0'.repeat(24))).toBeUndefined();
    // Decoded once at load: every lookup, and the resolver, hand out the same stored array.
    expect(keys.lookup(a.id)).toBe(keys.lookup(a.id));
    expect(keyStoreResolver(keys)(a.id)).toBe(keys.lookup(a.id));
    expect(keyStoreResolver(keys)('f'.repeat(24))).toBeUndefined();
  });

  it('revocation is immediate, also when another process revokes', () => {
    const server = new KeyStore(store.path, { generate });
    const key = server.create('victim');
    const other = server.create('other');
    expect(server.lookup(key.id)).toEqual(bytes(key.secret));
    // A second store object on the same file stands for the CLI in another process.
    const cli = new KeyStore(store.path, { generate });
    const info = cli.revoke(key.id);
    expect(info.revoked).not.toBeNull();
    expect(info).not.toHaveProperty('secret');
    expect(server.lookup(key.id)).toBeUndefined();
    expect(server.lookup(other.id)).toEqual(bytes(other.secret));
    expect(server.list().find((k) => k.id === key.id)?.revoked).toBe(info.revoked);
    // Revoking twice keeps the first time.
    expect(cli.revoke(key.id).revoked).toBe(info.revoked);
  });

  it('revocation from a separate OS process is seen by the next lookup', () => {
    const server = new KeyStore(store.path, { generate });
    const key = server.create('x');
    const script = `
      import { KeyStore } from ${JSON.stringify(new URL('../bindings/channel/keystore.ts', import.meta.url).pathname)};
      new KeyStore(${JSON.stringify(store.path)}, { generate: () => { throw new Error('unused'); } }).revoke(${JSON.stringify(key.id)});
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(server.lookup(key.id)).toBeUndefined();
  });

  it('rejects unknown ids on revoke, bad labels, bad generated secrets, and never overwrites on an id collision', () => {
    const secret = generate().secret;
    const ids = ['aa', 'aa', 'bb'];
    const keys = new KeyStore(store.path, { generate: () => ({ id: ids.shift()!, secret }) });
    keys.create();
    expect(keys.create().id).toBe('bb');
    expectKeyStoreError(() => keys.revoke('cc'), /no key with id "cc"/);
    expectKeyStoreError(() => keys.create('a\nb'), /label/);
    expectKeyStoreError(() => keys.create('x'.repeat(201)), /label/);
    const before = readFileSync(store.path, 'utf8');
    for (const bad of ['s', secret.slice(0, 42), `${secret.slice(0, 42)}B`, `${secret.slice(0, 42)}=`]) {
      const broken = new KeyStore(store.path, { generate: () => ({ id: 'cc', secret: bad }) });
      expectKeyStoreError(() => broken.create(), /key #2 has a secret that is not 32 bytes of base64url/);
    }
    expect(readFileSync(store.path, 'utf8')).toBe(before);
    expect(readdirSync(join(store.dir, 'sub')).sort()).toEqual(['keys.json']);
  });

  it('refuses malformed files at startup', () => {
    const keys = new KeyStore(store.path, { generate });
    const { secret } = keys.create();
    const entry = (fields: object) => JSON.stringify({ version: 1, keys: [{ id: 'a', secret, label: '', created: 't', revoked: null, ...fields }] });
    for (const [content, why] of [
      ['not json', /not valid JSON/],
      ['[]', /unsupported version/],
      ['{"version":1,"keys":{}}', /not an array/],
      [entry({ revoked: 5 }), /"revoked"/],
      [entry({ secret: 1 }), /"secret"/],
      [entry({ secret: 's' }), /key #0 has a secret that is not 32 bytes of base64url/],
      [entry({ secret: `${secret.slice(0, 42)}!` }), /key #0 has a secret that is not 32 bytes/],
      [`{"version":1,"keys":[${JSON.parse(entry({})).keys.map(JSON.stringify).concat(JSON.parse(entry({})).keys.map(JSON.stringify)).join(',')}]}`, /twice/],
    ] as const) {
      replaceFile(store.path, content);
      expectKeyStoreError(() => new KeyStore(store.path, { generate }), why);
    }
  });

  it('error messages and causes never contain a secret', () => {
    // A secret JSON.parse reads as an unexpected token (not a number or true/false/null), so its message quotes it.
    const quotable = () => {
      for (;;) {
        const key = generate();
        if (/^[A-Za-eg-mo-su-z]/.test(key.secret)) return key;
      }
    };
    const keys = new KeyStore(store.path, { generate: quotable });
    const key = keys.create();
    // JSON.parse's own message quotes the text around the error, which here is the secret.
    const text = readFileSync(store.path, 'utf8').replace(`"${key.secret}"`, key.secret);
    expect(() => JSON.parse(text)).toThrow(key.secret.slice(0, 8));
    replaceFile(store.path, text);
    const error = expectKeyStoreError(() => new KeyStore(store.path, { generate }), /not valid JSON/);
    expect(inspect(error, { depth: 10 })).not.toContain(key.secret.slice(0, 8));
    replaceFile(store.path, readFileSync(store.path, 'utf8').replace('"version": 1', '"version": 2').replace(key.secret, `"${key.secret}"`));
    expect(inspect(expectKeyStoreError(() => new KeyStore(store.path, { generate }), /unsupported version/), { depth: 10 })).not.toContain(key.secret);
  });
});

describe('KeyStore while running', () => {
  it('keeps the last good copy when the file turns corrupt, reports each bad version once, and recovers', () => {
    const reported: KeyStoreError[] = [];
    const writer = new KeyStore(store.path, { generate });
    const a = writer.create('a');
    const b = writer.create('b');
    const good = readFileSync(store.path, 'utf8');
    const server = new KeyStore(store.path, { generate, onError: (error) => reported.push(error) });
    expect(server.lookup(a.id)).toEqual(bytes(a.secret));

    writeFileSync(store.path, good.slice(0, good.length / 2)); // torn in place, as a careless editor would
    for (let i = 0; i < 5; i++) {
      expect(server.lookup(a.id)).toEqual(bytes(a.secret));
      expect(server.lookup(b.id)).toEqual(bytes(b.secret));
    }
    expect(server.list().map((k) => k.id)).toEqual([a.id, b.id]);
    expect(reported).toHaveLength(1);
    expect(reported[0]!.code).toBe('ERR_KEY_STORE');
    expect(reported[0]!.message).toMatch(/is malformed: not valid JSON/);

    replaceFile(store.path, good.replace('"version": 1', '"version": 3')); // a second bad version
    expect(server.lookup(a.id)).toEqual(bytes(a.secret));
    expect(server.lookup(a.id)).toEqual(bytes(a.secret));
    expect(reported.map((e) => e.message)).toEqual([expect.stringMatching(/not valid JSON/), expect.stringMatching(/unsupported version/)]);
    for (const error of reported) expect(inspect(error, { depth: 10 })).not.toMatch(new RegExp(`${a.secret.slice(0, 20)}|${b.secret.slice(0, 20)}`));

    // A writer never replaces a file it cannot read (that would drop whatever the file now says).
    expectKeyStoreError(() => writer.revoke(a.id), /unsupported version/);

    // Fixed, with a revocation made meanwhile: picked up by the next lookup, nothing more reported.
    replaceFile(store.path, good);
    writer.revoke(a.id);
    expect(server.lookup(a.id)).toBeUndefined();
    expect(server.lookup(b.id)).toEqual(bytes(b.secret));
    expect(reported).toHaveLength(2);
  });

  it('keeps the last good copy when the file becomes unsafe, and reports it', () => {
    const reported: string[] = [];
    const writer = new KeyStore(store.path, { generate });
    const a = writer.create('a');
    const server = new KeyStore(store.path, { generate, onError: (error) => reported.push(error.message) });
    chmodSync(store.path, 0o644);
    expect(server.lookup(a.id)).toEqual(bytes(a.secret));
    expect(server.lookup(a.id)).toEqual(bytes(a.secret));
    expect(reported).toEqual([expect.stringMatching(/accessible to group or others \(mode 644\); run chmod 600/)]);
    chmodSync(store.path, 0o600);
    writer.revoke(a.id);
    expect(server.lookup(a.id)).toBeUndefined();
  });

  it('by default reports on console.error, one fixed line per bad version, never a secret', () => {
    const keys = new KeyStore(store.path, { generate });
    const key = keys.create();
    const script = `
      import { writeFileSync } from 'node:fs';
      import { KeyStore } from ${JSON.stringify(new URL('../bindings/channel/keystore.ts', import.meta.url).pathname)};
      const store = new KeyStore(${JSON.stringify(store.path)}, { generate: () => { throw new Error('unused'); } });
      writeFileSync(${JSON.stringify(store.path)}, '{"version":1,"keys":[{"id":"x","secret":"');
      for (let i = 0; i < 3; i++) if (store.lookup(${JSON.stringify(key.id)})?.length !== 32) process.exit(3);
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(
      `e2e2: key store ${store.path} is malformed: not valid JSON; the server keeps using the last good copy of the key store until the file is fixed\n`,
    );
  });

  it('wipes replaced secrets once no handshake can still be copying them, and everything on close()', async () => {
    const writer = new KeyStore(store.path, { generate });
    const a = writer.create('a');
    const server = new KeyStore(store.path, { generate });
    const before = server.lookup(a.id)!;
    writer.create('b'); // the server reloads on its next lookup
    const after = server.lookup(a.id)!;
    expect(after).not.toBe(before);
    expect(after).toEqual(bytes(a.secret));
    // What a handshake does: one await, then copy. The replaced array is still intact then.
    await Promise.resolve();
    expect(before.slice()).toEqual(bytes(a.secret));
    await new Promise((resolve) => setImmediate(resolve));
    expect(before.every((byte) => byte === 0)).toBe(true);

    server.close();
    expect(after.every((byte) => byte === 0)).toBe(true);
    expectKeyStoreError(() => server.lookup(a.id), /is closed/);
    expectKeyStoreError(() => server.create(), /is closed/);
    expect(writer.lookup(a.id)).toEqual(bytes(a.secret)); // other store objects are unaffected
  });
});
