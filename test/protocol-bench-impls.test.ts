/**
 * The benchmark's peer implementations (bench/protocol/: libsodium-wrappers-sumo, node:crypto)
 * must run the same protocol as e2e2, or the comparison means nothing: with the fixed inputs of
 * vector "basic" they must produce its messages, session id and records byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { BenchProtocol, type Primitives } from '../bench/protocol/core.js';
import { libsodiumPrimitives, sodium } from '../bench/protocol/libsodium.js';
import { nodePrimitives } from '../bench/protocol/node.js';
import { bytesOf, hexOf } from './oracle/harness.js';
import type { E2E2Case } from './oracle/vector-types.js';

const basic = (JSON.parse(readFileSync(new URL('./vectors/e2e2-v1.json', import.meta.url), 'utf8')) as { cases: E2E2Case[] }).cases[0]!;

describe.each([
  ['libsodium-wrappers-sumo', libsodiumPrimitives],
  ['node:crypto', nodePrimitives],
] as [string, Primitives][])('bench implementation on %s', (_name, primitives) => {
  it('reproduces vector "basic" (messages, session id, exporter, data records)', async () => {
    await sodium.ready;
    const protocol = new BenchProtocol(primitives);
    const prologue = bytesOf(basic.prologue);
    const secret = bytesOf(basic.apiKey.secret);
    const ce = primitives.ephemeralFrom(bytesOf(basic.clientEphemeralPrivate), bytesOf(basic.clientEphemeralPublic));
    const se = primitives.ephemeralFrom(bytesOf(basic.serverEphemeralPrivate), bytesOf(basic.serverEphemeralPublic));
    const { message1, state } = protocol.clientStart(bytesOf(basic.apiKey.keyId), prologue, ce);
    expect(hexOf(message1)).toBe(basic.message1);
    const { message2, session: server } = protocol.serverRespond(message1, (id) => (hexOf(id) === basic.apiKey.keyId ? secret : new Uint8Array(32)), prologue, se);
    expect(hexOf(message2)).toBe(basic.message2);
    const client = protocol.clientFinish(state, message2, secret);
    expect(hexOf(client.sessionId)).toBe(basic.sessionId);
    expect(hexOf(server.sessionId)).toBe(basic.sessionId);
    expect(hexOf(client.exporter)).toBe(basic.k3.exporter);
    // The first two records of the vector are DATA records, one each way.
    const [r1, r2] = basic.records;
    const first = client.seal(bytesOf(r1!.data));
    expect(hexOf(first)).toBe(r1!.record);
    expect(hexOf(server.open(first))).toBe(r1!.data);
    const second = server.seal(bytesOf(r2!.data));
    expect(hexOf(second)).toBe(r2!.record);
    expect(hexOf(client.open(second))).toBe(r2!.data);
  });

  it('rejects a wrong API key (the tag check is real)', async () => {
    await sodium.ready;
    const protocol = new BenchProtocol(primitives);
    const prologue = bytesOf(basic.prologue);
    const { message1, state } = protocol.clientStart(bytesOf(basic.apiKey.keyId), prologue);
    const { message2 } = protocol.serverRespond(message1, () => new Uint8Array(32).fill(9), prologue);
    expect(() => protocol.clientFinish(state, message2, bytesOf(basic.apiKey.secret))).toThrow();
  });
});
