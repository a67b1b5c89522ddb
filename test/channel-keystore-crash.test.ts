import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { KeyStore } from '../bindings/channel/keystore.js';
import { readLock, removeIfSame } from '../bindings/channel/keystore-lock.js';
import { bundleKeyStore, expectKeyStoreError, generate, useTempStore } from './helpers/keystore.js';

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

/** A node process running the store (bundled: it starts in tens of ms) with its stdout split into lines. */
interface Writer {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  line: (pattern: RegExp) => Promise<void>;
  exited: Promise<void>;
}

function writerScript(module: string): string {
  return `
    import { createInterface } from 'node:readline';
    const { openKeyStore } = await import(${JSON.stringify(module)});
    const [path, mode, ...ids] = process.argv.slice(1);
    const store = openKeyStore(path, { lockTimeoutMs: 20000 });
    const say = (line) => process.stdout.write(line + '\\n');
    if (mode === 'loop') {
      say('ready');
      for (let n = 0; ; n++) {
        try {
          const valid = store.list().filter((k) => k.revoked === null);
          if (n % 2 === 0 || valid.length === 0) say('ok create ' + store.create('w' + process.pid + '-' + n).id);
          else say('ok revoke ' + store.revoke(valid[Math.floor(Math.random() * valid.length)].id).id);
        } catch (error) {
          say('err ' + error.code + ' ' + error.message);
        }
      }
    } else {
      say('ready');
      await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
      for (const id of ids) store.revoke(id);
      say('ok create ' + store.create('concurrent').id);
      process.exit(0);
    }
  `;
}

function startWriter(script: string, args: string[]): Writer {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, store.path, ...args]);
  const lines: string[] = [];
  const waiting: { pattern: RegExp; resolve: () => void }[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!; // a line cut by SIGKILL never counts
    for (const line of parts) {
      lines.push(line);
      for (const w of waiting.filter((w) => w.pattern.test(line))) w.resolve();
    }
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const line = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (lines.some((l) => pattern.test(l))) return resolve();
      waiting.push({ pattern, resolve });
      void exited.then(() => reject(new Error(`writer exited before printing ${pattern}: ${stderr}`)));
    });
  return { child, lines, line, exited };
}

describe('key store writers in separate processes', () => {
  it('concurrent writers lose no update: 8 processes each revoke their own key and create one, all at once', async () => {
    const keys = new KeyStore(store.path, { generate });
    const targets = Array.from({ length: 8 }, (_, i) => keys.create(`target ${i}`).id);
    const script = writerScript(bundleKeyStore(store.dir));
    const writers = targets.map((id) => startWriter(script, ['once', id]));
    await Promise.all(writers.map((w) => w.line(/^ready$/)));
    for (const w of writers) w.child.stdin.write('go\n');
    await Promise.all(writers.map((w) => w.exited));
    const created = writers.map((w) => w.lines.find((l) => l.startsWith('ok create '))?.slice('ok create '.length));
    expect(created.every((id) => id !== undefined)).toBe(true);
    const after = new Map(keys.list().map((k) => [k.id, k]));
    for (const id of targets) expect(after.get(id)?.revoked, id).not.toBeNull();
    for (const id of created) expect(after.get(id!)?.revoked).toBeNull();
    expect(after.size).toBe(16);
    expect(readdirSync(storeDir())).toEqual(['keys.json']);
  });

  it('kill -9 of writers at random moments: the store stays whole, every reported change survives, the next writer gets in at once', async () => {
    const KILLS = 200;
    const PARALLEL = 4;
    const BUDGET_MS = 40_000; // the whole file stays under a minute on a loaded 2-core machine
    const keys = new KeyStore(store.path, { generate });
    keys.create('seed');
    const script = writerScript(bundleKeyStore(store.dir));
    const created = new Set<string>();
    const revoked = new Set<string>();
    const errors: string[] = [];
    let kills = 0;
    let launched = 0;
    let heldLock = 0; // killed while holding the lock (seen right after its death, unless another writer was faster)
    let heldTemp = 0; // killed with a temporary copy of the store on disk
    const started = Date.now();
    const slot = async () => {
      while (launched < KILLS && Date.now() - started < BUDGET_MS) {
        launched++;
        const writer = startWriter(script, ['loop']);
        await writer.line(/^ready$/);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 120));
        writer.child.kill('SIGKILL');
        await writer.exited;
        kills++;
        const pid = writer.child.pid!;
        try {
          if ((JSON.parse(readFileSync(lockPath(), 'utf8')) as { pid: number }).pid === pid) heldLock++;
        } catch {
          // no lock, or one being replaced: not held by the dead writer
        }
        if (readdirSync(storeDir()).some((name) => name.startsWith(`keys.json.${pid}.`))) heldTemp++;
        for (const line of writer.lines) {
          const [word, op, id] = line.split(' ');
          if (word === 'ok' && op === 'create') created.add(id!);
          else if (word === 'ok' && op === 'revoke') revoked.add(id!);
          else if (word === 'err') errors.push(line);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, slot));
    const leftovers = readdirSync(storeDir()).filter((name) => name !== 'keys.json');

    // The next writer, with the default lock timeout (5 s) and stale age (30 s): it can only get in
    // through the dead-pid (or half-written-lock) takeover, not by waiting the stale age out.
    const t0 = performance.now();
    const next = new KeyStore(store.path, { generate });
    next.create('after the kills');
    const nextWriteMs = performance.now() - t0;
    console.log(
      `kill -9 test: ${kills} writers killed in ${((Date.now() - started) / 1000).toFixed(1)} s (${heldLock} seen holding the lock, ${heldTemp} with a temporary file),` +
        ` ${created.size} creates and ${revoked.size} revokes reported,` +
        ` ${errors.length} errors, leftovers before the next writer: ${JSON.stringify(leftovers)}; next write took ${nextWriteMs.toFixed(1)} ms`,
    );
    expect(kills).toBeGreaterThanOrEqual(20); // bounded by time on a loaded machine, but meaningful
    expect(created.size + revoked.size).toBeGreaterThan(0);
    expect(readdirSync(storeDir())).toEqual(['keys.json']);
    const after = new Map(new KeyStore(store.path, { generate }).list().map((k) => [k.id, k]));
    for (const id of created) expect(after.has(id), `created ${id}`).toBe(true);
    for (const id of revoked) expect(after.get(id)?.revoked, `revoked ${id}`).not.toBeNull();
    // The one failure a writer may report: a three-way race around a stale lock made it lose the lock
    // before committing; it then wrote nothing (and printed no "ok").
    for (const error of errors) expect(error).toMatch(/^err ERR_KEY_STORE lost the key store lock/);
  });
});
