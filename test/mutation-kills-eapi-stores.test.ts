/**
 * Tests that kill mutants of bindings/e2e2/eapi-stores.ts (issue 13; SPEC.md §8.7): every refused
 * argument with its message, the defaults, the bounds of expiry and capacity, when expired entries
 * are swept (only when room is needed, or on access), and that every stored EAPI root is wiped when
 * it is dropped. The stored copies are observed through a Uint8Array subclass whose slice() keeps
 * a reference to each copy it makes (the registry copies with slice()).
 */
import { describe, expect, it } from 'vitest';
import { MemoryReplayStore, MemorySessionRegistry, type EapiSessionRecord } from '../bindings/e2e2/eapi-stores.js';
import { expectCode, expectCodeAsync } from './oracle/harness.js';

const id = (n: number): string => n.toString(16).padStart(32, '0');
const root = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);

/** A root whose copies (and the copies of those) are all recorded in `copies`, in order. */
function recordingRoot(fill: number): { root: Uint8Array; copies: Uint8Array[] } {
  const copies: Uint8Array[] = [];
  class Recording extends Uint8Array {
    override slice(start?: number, end?: number): Recording {
      const copy = super.slice(start, end) as Recording;
      copies.push(copy);
      return copy;
    }
  }
  return { root: new Recording(32).fill(fill), copies };
}
const zero = (bytes: Uint8Array | undefined): boolean => bytes !== undefined && bytes.length === 32 && bytes.every((b) => b === 0);

describe('MemorySessionRegistry', () => {
  it('maxEntries: a positive integer, 1 included; the default clock is Date.now', async () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN, 2 ** 53, '3'])
      expectCode(() => new MemorySessionRegistry({ maxEntries: maxEntries as number }), 'ERR_INVALID_ARGUMENT', 'maxEntries must be a positive integer');
    const one = new MemorySessionRegistry({ maxEntries: 1 });
    await one.register(id(1), { eapiRoot: root(1), keyId: 'k', expiresAt: Date.now() + 60_000 });
    await expectCodeAsync(() => one.register(id(2), { eapiRoot: root(1), keyId: 'k', expiresAt: Date.now() + 60_000 }), 'ERR_STORE_UNAVAILABLE', 'session registry is full (1 sessions)');
    const registry = new MemorySessionRegistry();
    await registry.register(id(1), { eapiRoot: root(1), keyId: 'k', expiresAt: Date.now() + 60_000 });
    await registry.register(id(2), { eapiRoot: root(2), keyId: 'k', expiresAt: Date.now() - 1 });
    expect(await registry.lookup(id(1))).toStrictEqual({ eapiRoot: root(1), keyId: 'k', expiresAt: expect.any(Number) });
    expect(await registry.lookup(id(2))).toBeUndefined();
    expect(registry.size).toBe(1);
  });

  it('refuses each malformed id and record field with its message; expiresAt 0 is a time', async () => {
    const registry = new MemorySessionRegistry({ now: () => 0 });
    const good: EapiSessionRecord = { eapiRoot: root(1), keyId: 'k', expiresAt: 0 };
    for (const sessionId of [id(1).slice(1), `${id(1)}0`, `x${id(1).slice(1)}`, `${id(1).slice(1)}x`, id(1).toUpperCase().replace(/0/g, 'A'), 5, { toString: () => id(1) }])
      await expectCodeAsync(() => registry.register(sessionId as string, good), 'ERR_INVALID_ARGUMENT', 'sessionId must be 32 lowercase hex characters');
    for (const record of [null, undefined, 'record', 7])
      await expectCodeAsync(() => registry.register(id(1), record as never), 'ERR_INVALID_ARGUMENT', 'record must be an object');
    for (const eapiRoot of [new Uint8Array(31), new Uint8Array(33), Array.from(root(1)), undefined])
      await expectCodeAsync(() => registry.register(id(1), { ...good, eapiRoot: eapiRoot as Uint8Array }), 'ERR_INVALID_ARGUMENT', 'eapiRoot must be 32 bytes');
    for (const keyId of [undefined, 5, null])
      await expectCodeAsync(() => registry.register(id(1), { ...good, keyId: keyId as unknown as string }), 'ERR_INVALID_ARGUMENT', 'keyId must be a string');
    for (const expiresAt of [-1, 1.5, Number.NaN, 2 ** 53, '5', undefined])
      await expectCodeAsync(() => registry.register(id(1), { ...good, expiresAt: expiresAt as number }), 'ERR_INVALID_ARGUMENT', 'expiresAt must be a time in ms since the Unix epoch');
    expect(registry.size).toBe(0);
    await registry.register(id(1), { ...good, keyId: '' });
    expect(registry.size).toBe(1);
  });

  it('an entry is live until the ms before expiresAt; expired entries stay counted until accessed or room is needed', async () => {
    let now = 0;
    const registry = new MemorySessionRegistry({ maxEntries: 3, now: () => now });
    await registry.register(id(1), { eapiRoot: root(1), keyId: 'k', expiresAt: 10 });
    await registry.register(id(2), { eapiRoot: root(2), keyId: 'k', expiresAt: 10 });
    now = 9;
    expect((await registry.lookup(id(1)))?.keyId).toBe('k');
    now = 10;
    // Not full: registering does not sweep, the expired entry is still counted.
    await registry.register(id(3), { eapiRoot: root(3), keyId: 'k', expiresAt: 20 });
    expect(registry.size).toBe(3);
    // Full, the new id needs room: the sweep drops both expired entries.
    await registry.register(id(4), { eapiRoot: root(4), keyId: 'k', expiresAt: 20 });
    expect(registry.size).toBe(2);
    // Full again with live entries only, but a known id is replaced without needing room.
    await registry.register(id(5), { eapiRoot: root(5), keyId: 'k', expiresAt: 20 });
    await registry.register(id(5), { eapiRoot: root(6), keyId: 'k2', expiresAt: 30 });
    expect(registry.size).toBe(3);
    expect(await registry.lookup(id(5))).toStrictEqual({ eapiRoot: root(6), keyId: 'k2', expiresAt: 30 });
    await expectCodeAsync(() => registry.register(id(6), { eapiRoot: root(1), keyId: 'k', expiresAt: 30 }), 'ERR_STORE_UNAVAILABLE', 'session registry is full (3 sessions)');
    await registry.close();
    expect(registry.size).toBe(0);
    expect(await registry.lookup(id(5))).toBeUndefined();
  });

  it('wipes its copy of a root when the entry is unregistered, replaced, expires on lookup, is swept, or the registry closes', async () => {
    let now = 0;
    const registry = new MemorySessionRegistry({ maxEntries: 2, now: () => now });
    const a = recordingRoot(1);
    await registry.register(id(1), { eapiRoot: a.root, keyId: 'k', expiresAt: 100 });
    const stored = a.copies[0]!;
    const handedOut = (await registry.lookup(id(1)))!.eapiRoot;
    expect(handedOut).not.toBe(stored);
    expect(zero(stored)).toBe(false);
    await registry.unregister(id(1));
    expect(zero(stored)).toBe(true);
    expect(handedOut.every((b) => b === 1)).toBe(true); // copies handed out are the caller's
    expect(a.root.every((b) => b === 1)).toBe(true); // and so is the array registered

    const b = recordingRoot(2);
    await registry.register(id(2), { eapiRoot: b.root, keyId: 'k', expiresAt: 100 });
    await registry.register(id(2), { eapiRoot: root(3), keyId: 'k', expiresAt: 100 });
    expect(zero(b.copies[0])).toBe(true);

    const c = recordingRoot(4);
    await registry.register(id(3), { eapiRoot: c.root, keyId: 'k', expiresAt: 50 });
    now = 50;
    expect(await registry.lookup(id(3))).toBeUndefined();
    expect(zero(c.copies[0])).toBe(true);
    expect(c.copies.length).toBe(1);

    const d = recordingRoot(5);
    await registry.register(id(4), { eapiRoot: d.root, keyId: 'k', expiresAt: 60 });
    now = 60;
    await registry.register(id(5), { eapiRoot: root(6), keyId: 'k', expiresAt: 200 }); // full: the sweep drops id(4)
    expect(zero(d.copies[0])).toBe(true);

    const e = recordingRoot(7);
    await registry.unregister(id(5));
    await registry.register(id(6), { eapiRoot: e.root, keyId: 'k', expiresAt: 200 });
    await registry.close();
    expect(zero(e.copies[0])).toBe(true);
  });
});

describe('MemoryReplayStore', () => {
  it('maxEntries: a positive integer, 1 included; the default clock is Date.now', async () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN, 2 ** 53, '3'])
      expectCode(() => new MemoryReplayStore({ maxEntries: maxEntries as number }), 'ERR_INVALID_ARGUMENT', 'maxEntries must be a positive integer');
    const one = new MemoryReplayStore({ maxEntries: 1 });
    expect(await one.claim('a', 60_000)).toBe(true);
    await expectCodeAsync(() => one.claim('b', 60_000), 'ERR_STORE_UNAVAILABLE', 'replay store is full (1 live nonces)');
    const store = new MemoryReplayStore();
    expect(await store.claim('a', 60_000)).toBe(true);
    expect(await store.claim('a', 60_000)).toBe(false);
    expect(store.size).toBe(1);
    await store.close();
    expect(store.size).toBe(0);
    expect(await store.claim('a', 60_000)).toBe(true);
  });

  it('refuses keys and ttls with their messages; ttl 1 is the smallest', async () => {
    const store = new MemoryReplayStore({ now: () => 0 });
    for (const key of ['', 5, undefined, { length: 3 }]) await expectCodeAsync(() => store.claim(key as string, 1), 'ERR_INVALID_ARGUMENT', 'key must be a non-empty string');
    for (const ttl of [0, -1, 1.5, Number.NaN, 2 ** 53, '5']) await expectCodeAsync(() => store.claim('k', ttl as number), 'ERR_INVALID_ARGUMENT', 'ttlMs must be a positive integer');
    expect(store.size).toBe(0);
    expect(await store.claim('k', 1)).toBe(true);
    expect(await store.claim('k', 1)).toBe(false);
  });

  it('sweeps expired nonces only when a new key needs room', async () => {
    let now = 0;
    const store = new MemoryReplayStore({ maxEntries: 3, now: () => now });
    expect(await store.claim('a', 10)).toBe(true);
    expect(await store.claim('b', 10)).toBe(true);
    now = 10;
    // Not full: no sweep, the expired nonces are still counted.
    expect(await store.claim('c', 100)).toBe(true);
    expect(store.size).toBe(3);
    // Full, but 'a' is known (expired): claimed again in its own slot, without a sweep.
    expect(await store.claim('a', 100)).toBe(true);
    expect(store.size).toBe(3);
    // A new key when full: the sweep drops the expired 'b'.
    expect(await store.claim('d', 100)).toBe(true);
    expect(store.size).toBe(3);
    await expectCodeAsync(() => store.claim('b', 100), 'ERR_STORE_UNAVAILABLE', 'replay store is full (3 live nonces)');
  });

  it('full of live nonces: a new key is refused, a known one is still a replay', async () => {
    const store = new MemoryReplayStore({ maxEntries: 2, now: () => 0 });
    expect(await store.claim('a', 10)).toBe(true);
    expect(await store.claim('b', 10)).toBe(true);
    await expectCodeAsync(() => store.claim('c', 10), 'ERR_STORE_UNAVAILABLE', 'replay store is full (2 live nonces)');
    expect(await store.claim('b', 10)).toBe(false);
    expect(store.size).toBe(2);
  });
});
