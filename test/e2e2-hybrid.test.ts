/**
 * E2-E2 v2-hybrid (SPEC.md §13): the client's postQuantum option, the server's accept / require /
 * refuse, the message sizes, K2 depending on X25519, ML-KEM-768 and the API key, and the
 * committed vector test/vectors/e2e2-v2-hybrid.json recomputed by the noble oracle and reproduced
 * by e2e2.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createClientHandshake, createServerHandshake, generateApiKey, type TraceEvent } from '../bindings/index.js';
import { MESSAGE1_BYTES, MESSAGE1_HYBRID_BYTES, MESSAGE2_HYBRID_BYTES, NOISE_PROTOCOL_NAME_HYBRID } from '../bindings/e2e2/constants.js';
import { sessionSnapshotForTestingOnly } from '../bindings/e2e2/session.js';
import { hybridHandshake } from './oracle/e2e2-hybrid.js';
import { HFS_PROTOCOL_NAME } from './oracle/noise-hfs.js';
import * as oracle from './oracle/e2e2.js';
import { expectCode, expectCodeAsync, hexOf } from './oracle/harness.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

async function run(clientOptions: { postQuantum?: boolean } = {}, serverOptions: { postQuantum?: 'accept' | 'require' | 'refuse' } = {}) {
  const key = generateApiKey();
  const trace: TraceEvent[] = [];
  const client = createClientHandshake({ apiKey: key, context: 'ctx', trace: (e) => trace.push(e), ...clientOptions });
  const server = createServerHandshake({ resolveKey: (id) => (id === key.keyId ? key.secret : undefined), context: 'ctx', ...serverOptions });
  const message1 = client.writeMessage1();
  const { message2, session } = await server.respond(message1);
  const clientSession = client.readMessage2(message2);
  return { message1, message2, clientSession, serverSession: session, trace };
}

describe('E2-E2 v2-hybrid handshake', () => {
  it('postQuantum: 1,260 and 1,152 byte messages, sessions marked postQuantum, records both ways, the KEM stage traced', async () => {
    const { message1, message2, clientSession, serverSession, trace } = await run({ postQuantum: true });
    expect(message1.length).toBe(MESSAGE1_HYBRID_BYTES);
    expect(message1.length).toBe(1260);
    expect(message2.length).toBe(MESSAGE2_HYBRID_BYTES);
    expect(message2.length).toBe(1152);
    expect(clientSession.postQuantum).toBe(true);
    expect(serverSession.postQuantum).toBe(true);
    expect(clientSession.sessionId).toBe(serverSession.sessionId);
    const opened = serverSession.open(clientSession.seal(utf8('pq hello')));
    expect(opened.type === 'data' && new TextDecoder().decode(opened.data)).toBe('pq hello');
    expect(trace.map((t) => t.stage)).toEqual(['K1', 'KEM', 'K2', 'K3']);
    expect(NOISE_PROTOCOL_NAME_HYBRID).toBe(HFS_PROTOCOL_NAME);
  });

  it('a default server accepts both handshakes; v1 stays v1', async () => {
    const v1 = await run();
    expect(v1.message1.length).toBe(MESSAGE1_BYTES);
    expect(v1.clientSession.postQuantum).toBe(false);
    expect(v1.serverSession.postQuantum).toBe(false);
    const pq = await run({ postQuantum: true }, { postQuantum: 'accept' });
    expect(pq.serverSession.postQuantum).toBe(true);
  });

  it("a server that requires it refuses v1 with ERR_PQ_REQUIRED; one that refuses it takes only v1; respond() can then run again", async () => {
    const key = generateApiKey();
    const requiring = createServerHandshake({ resolveKey: () => key.secret, postQuantum: 'require' });
    const v1Message = createClientHandshake({ apiKey: key }).writeMessage1();
    await expectCodeAsync(() => requiring.respond(v1Message), 'ERR_PQ_REQUIRED', 'this server requires the post-quantum handshake (E2-E2 v2-hybrid)');
    const pqClient = createClientHandshake({ apiKey: key, postQuantum: true });
    const { message2 } = await requiring.respond(pqClient.writeMessage1());
    expect(pqClient.readMessage2(message2).postQuantum).toBe(true);
    const refusing = createServerHandshake({ resolveKey: () => key.secret, postQuantum: 'refuse' });
    await expectCodeAsync(() => refusing.respond(createClientHandshake({ apiKey: key, postQuantum: true }).writeMessage1()), 'ERR_MALFORMED_MESSAGE', 'message 1 must be exactly 60 bytes');
    const accepting = createServerHandshake({ resolveKey: () => key.secret });
    await expectCodeAsync(() => accepting.respond(new Uint8Array(61)), 'ERR_MALFORMED_MESSAGE', 'message 1 must be exactly 60 bytes (v1) or 1260 bytes (v2-hybrid)');
    expect(() => createServerHandshake({ resolveKey: () => key.secret, postQuantum: 'yes' as never })).toThrow("postQuantum must be 'accept', 'require' or 'refuse'");
    expect(() => createClientHandshake({ apiKey: key, postQuantum: 'yes' as never })).toThrow('postQuantum must be a boolean');
  });

  it('a wrong API key fails the same way as in v1: ERR_AUTHENTICATION_FAILED on message 2', async () => {
    const key = generateApiKey();
    const other = generateApiKey();
    const client = createClientHandshake({ apiKey: key, postQuantum: true });
    const server = createServerHandshake({ resolveKey: () => other.secret });
    const { message2 } = await server.respond(client.writeMessage1());
    expectCode(() => client.readMessage2(message2), 'ERR_AUTHENTICATION_FAILED');
    // A v1-sized message 2 is the wrong length for a hybrid client; the handshake is unchanged.
    const fresh = createClientHandshake({ apiKey: key, postQuantum: true });
    fresh.writeMessage1();
    expectCode(() => fresh.readMessage2(new Uint8Array(48)), 'ERR_MALFORMED_MESSAGE', 'message 2 must be exactly 1152 bytes');
    expect(fresh.state).toBe('sent');
  });
});

interface HybridVector {
  inputs: { context: string; apiKey: string; keyId: string; secret: string; clientEphemeralPrivate: string; serverEphemeralPrivate: string; kemSeed: string; kemMessage: string };
  prologue: string;
  message1: string;
  message2: string;
  k1: string;
  kemOutput: string;
  k2: string;
  handshakeHash: string;
  k3: { initiatorToResponder: string; responderToInitiator: string; exporter: string };
  sessionId: string;
  eapiRoot: string;
  records: { from: 'client' | 'server'; data: string; record: string }[];
}
const vector = JSON.parse(readFileSync(new URL('./vectors/e2e2-v2-hybrid.json', import.meta.url), 'utf8')) as HybridVector;

describe('test/vectors/e2e2-v2-hybrid.json', () => {
  it('the oracle (noble + @noble/post-quantum) recomputes every intermediate value', () => {
    const v = vector;
    const o = hybridHandshake({
      context: utf8(v.inputs.context),
      keyId: v.inputs.keyId,
      secret: bytes(v.inputs.secret),
      clientEphemeralPrivate: bytes(v.inputs.clientEphemeralPrivate),
      serverEphemeralPrivate: bytes(v.inputs.serverEphemeralPrivate),
      kemSeed: bytes(v.inputs.kemSeed),
      kemMessage: bytes(v.inputs.kemMessage),
    });
    expect(hexOf(o.prologue)).toBe(v.prologue);
    expect(hexOf(o.message1)).toBe(v.message1);
    expect(hexOf(o.message2)).toBe(v.message2);
    expect(hexOf(o.k1)).toBe(v.k1);
    expect(hexOf(o.kemOutput)).toBe(v.kemOutput);
    expect(hexOf(o.k2)).toBe(v.k2);
    expect(hexOf(o.handshakeHash)).toBe(v.handshakeHash);
    expect(hexOf(o.k3.initiatorToResponder)).toBe(v.k3.initiatorToResponder);
    expect(hexOf(o.k3.responderToInitiator)).toBe(v.k3.responderToInitiator);
    expect(hexOf(o.k3.exporter)).toBe(v.k3.exporter);
    expect(hexOf(o.k3.sessionId)).toBe(v.sessionId);
    expect(hexOf(o.eapiRoot)).toBe(v.eapiRoot);
    expect(hexOf(oracle.sealRecord(o.client.send, 'data', bytes(v.records[0]!.data)))).toBe(v.records[0]!.record);
    expect(hexOf(oracle.sealRecord(o.server.send, 'data', bytes(v.records[1]!.data)))).toBe(v.records[1]!.record);
  });

  it('e2e2 reproduces both messages, K3, the session id and the records', async () => {
    const v = vector;
    const client = createClientHandshake({ apiKey: v.inputs.apiKey, context: v.inputs.context, postQuantum: true, fixedEphemeralPrivateKeyForTestingOnly: bytes(v.inputs.clientEphemeralPrivate), fixedKemSeedForTestingOnly: bytes(v.inputs.kemSeed) });
    const server = createServerHandshake({ resolveKey: () => bytes(v.inputs.secret), context: v.inputs.context, fixedEphemeralPrivateKeyForTestingOnly: bytes(v.inputs.serverEphemeralPrivate), fixedKemMessageForTestingOnly: bytes(v.inputs.kemMessage) });
    const message1 = client.writeMessage1();
    expect(hexOf(message1)).toBe(v.message1);
    const { message2, session } = await server.respond(message1);
    expect(hexOf(message2)).toBe(v.message2);
    const clientSession = client.readMessage2(message2);
    expect(clientSession.sessionId).toBe(v.sessionId);
    expect(hexOf(sessionSnapshotForTestingOnly(session).exporter as Uint8Array)).toBe(v.k3.exporter);
    const toServer = clientSession.seal(bytes(v.records[0]!.data));
    expect(hexOf(toServer)).toBe(v.records[0]!.record);
    session.open(toServer); // the key confirmation: the server session is established
    expect(hexOf(session.seal(bytes(v.records[1]!.data)))).toBe(v.records[1]!.record);
  });

  it('differs from v1 with the same inputs: the protocol name, the prologue and the KEM output all enter K2', () => {
    const v = vector;
    const v1 = oracle.handshake({ context: utf8(v.inputs.context), keyId: v.inputs.keyId, clientSecret: bytes(v.inputs.secret), clientEphemeralPrivate: bytes(v.inputs.clientEphemeralPrivate), serverEphemeralPrivate: bytes(v.inputs.serverEphemeralPrivate) });
    expect(hexOf(v1.k1)).toBe(v.k1); // the same X25519 K1 ...
    expect(hexOf(v1.k2)).not.toBe(v.k2); // ... and a different K2
    const otherKem = hybridHandshake({ context: utf8(v.inputs.context), keyId: v.inputs.keyId, secret: bytes(v.inputs.secret), clientEphemeralPrivate: bytes(v.inputs.clientEphemeralPrivate), serverEphemeralPrivate: bytes(v.inputs.serverEphemeralPrivate), kemSeed: bytes(v.inputs.kemSeed), kemMessage: new Uint8Array(32).fill(1) });
    expect(hexOf(otherKem.k1)).toBe(v.k1);
    expect(hexOf(otherKem.kemOutput)).not.toBe(v.kemOutput);
    expect(hexOf(otherKem.k2)).not.toBe(v.k2); // only the KEM randomness changed
  });
});

describe('SPEC.md §13', () => {
  it('prints the protocol name, the sizes and the committed vector values', () => {
    const spec = readFileSync(new URL('../SPEC.md', import.meta.url), 'utf8');
    for (const value of [NOISE_PROTOCOL_NAME_HYBRID, '1,260 bytes', '1,152 bytes', vector.message1.slice(0, 32), vector.message2.slice(0, 32), vector.k1, vector.kemOutput, vector.k2, vector.handshakeHash, vector.k3.exporter, vector.sessionId, vector.eapiRoot, '`ERR_PQ_REQUIRED`', '| 4010 |']) {
      expect(spec, `SPEC.md is missing ${value.slice(0, 24)}`).toContain(value);
    }
  });
});
