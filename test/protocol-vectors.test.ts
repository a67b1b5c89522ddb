/**
 * The committed vectors (test/vectors/, written by scripts/gen-protocol-vectors.ts from e2e2):
 * 1. the noble oracle recomputes every value from the inputs, byte for byte, so a wrong
 *    committed vector fails here;
 * 2. e2e2 reproduces every message, record and EAPI header from the same inputs;
 * 3. SPEC.md quotes vector "basic" (the spec cannot drift from the code).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHandshake } from '../bindings/noise/index.js';
import { createClientHandshake, createServerHandshake, type Session } from '../bindings/index.js';
import * as noise from './oracle/noise.js';
import * as oracle from './oracle/e2e2.js';
import { bytesOf, hexOf } from './oracle/harness.js';
import type { E2E2Case, NoiseVector } from './oracle/vector-types.js';

const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8')) as T;
const e2e2 = load<{ cases: E2E2Case[] }>('e2e2-v1.json');
const noiseVectors = load<{ vectors: NoiseVector[] }>('noise-nnpsk2.json');

describe('committed E2-E2 vectors', () => {
  it('cover at least the two documented cases', () => {
    expect(e2e2.cases.map((c) => c.name)).toEqual(['basic', 'context-and-rekey-with-data']);
  });

  for (const v of e2e2.cases) {
    describe(v.name, () => {
      it('the oracle recomputes every intermediate value', () => {
        expect(oracle.formatToken(v.apiKey.keyId, bytesOf(v.apiKey.secret))).toBe(v.apiKey.token);
        expect(oracle.parseToken(v.apiKey.token).keyId).toBe(v.apiKey.keyId);
        expect(hexOf(oracle.prologueFor(bytesOf(v.context)))).toBe(v.prologue);
        expect(hexOf(noise.publicKeyOf(bytesOf(v.clientEphemeralPrivate)))).toBe(v.clientEphemeralPublic);
        expect(hexOf(noise.publicKeyOf(bytesOf(v.serverEphemeralPrivate)))).toBe(v.serverEphemeralPublic);
        const o = oracle.handshake({
          context: bytesOf(v.context),
          keyId: v.apiKey.keyId,
          clientSecret: bytesOf(v.apiKey.secret),
          clientEphemeralPrivate: bytesOf(v.clientEphemeralPrivate),
          serverEphemeralPrivate: bytesOf(v.serverEphemeralPrivate),
        });
        expect(hexOf(o.message1)).toBe(v.message1);
        expect(hexOf(o.message2)).toBe(v.message2);
        expect(hexOf(o.k1)).toBe(v.k1);
        expect(hexOf(o.k2)).toBe(v.k2);
        expect(hexOf(o.handshakeHash)).toBe(v.handshakeHash);
        expect(hexOf(o.k3.initiatorToResponder)).toBe(v.k3.initiatorToResponder);
        expect(hexOf(o.k3.responderToInitiator)).toBe(v.k3.responderToInitiator);
        expect(hexOf(o.k3.exporter)).toBe(v.k3.exporter);
        expect(hexOf(o.k3.sessionId)).toBe(v.sessionId);
        expect(oracle.fingerprintOf(o.k1)).toBe(v.fingerprints.k1);
        expect(oracle.fingerprintOf(o.k2)).toBe(v.fingerprints.k2);
        expect(oracle.fingerprintOf(noise.cat(o.k3.initiatorToResponder, o.k3.responderToInitiator, o.k3.exporter))).toBe(v.fingerprints.k3);
        // The per-operation trace: the oracle's client-side trace has the same operations and values.
        const expected = o.clientTrace.map((t) => ({ ck: hexOf(t.ck), h: hexOf(t.h), k: t.k === null ? null : hexOf(t.k) }));
        expect(v.trace.map((t) => ({ ck: t.ck, h: t.h, k: t.k }))).toEqual(expected);
        expect(v.trace.length).toBe(10);
        // Records, in order, with the oracle's ciphers (rekeys included).
        for (const r of v.records) {
          const sender = r.from === 'client' ? o.client.send : o.server.send;
          const receiver = r.from === 'client' ? o.server.receive : o.client.receive;
          expect(hexOf(sender.k!)).toBe(r.key);
          expect(Number(sender.n)).toBe(r.nonce);
          const record = oracle.sealRecord(sender, r.type, bytesOf(r.data));
          expect(hexOf(record)).toBe(r.record);
          if (r.keyAfter !== undefined) expect(hexOf(sender.k!)).toBe(r.keyAfter);
          const opened = oracle.openRecord(receiver, record);
          expect(opened.type).toBe(r.type);
          expect(hexOf(opened.body)).toBe(r.data);
        }
        // EAPIs and signed requests.
        expect(hexOf(oracle.eapiRoot(o.k3.exporter))).toBe(v.eapiRoot);
        for (const e of v.eapis) {
          expect(hexOf(oracle.eapiSecret(o.k3.exporter, e.index, e.scope, e.expiresAt))).toBe(e.secret);
          for (const q of e.requests) {
            const { header, signature } = oracle.eapiAuthorization(o.k3, e.index, e.scope, e.expiresAt, { method: q.method, path: q.path, body: bytesOf(q.body), timestamp: q.timestamp, nonce: bytesOf(q.nonce) });
            expect(hexOf(signature)).toBe(q.signature);
            expect(header).toBe(q.authorization);
          }
        }
      });

      it('e2e2 reproduces every message, record and EAPI header', async () => {
        const secret = bytesOf(v.apiKey.secret);
        const context = bytesOf(v.context);
        const c = createClientHandshake({ apiKey: v.apiKey.token, context, fixedEphemeralPrivateKeyForTestingOnly: bytesOf(v.clientEphemeralPrivate) });
        const s = createServerHandshake({ resolveKey: (id) => (id === v.apiKey.keyId ? secret : undefined), context, fixedEphemeralPrivateKeyForTestingOnly: bytesOf(v.serverEphemeralPrivate) });
        const message1 = c.writeMessage1();
        expect(hexOf(message1)).toBe(v.message1);
        const { message2, session: server } = await s.respond(message1);
        expect(hexOf(message2)).toBe(v.message2);
        const client = c.readMessage2(message2);
        expect(client.sessionId).toBe(v.sessionId);
        const sessions: Record<'client' | 'server', Session> = { client, server };
        for (const r of v.records) {
          const data = bytesOf(r.data);
          const record = r.type === 'close' ? sessions[r.from].close() : r.type === 'rekey' ? sessions[r.from].rekey(data) : sessions[r.from].seal(data);
          expect(hexOf(record)).toBe(r.record);
          expect(sessions[r.from === 'client' ? 'server' : 'client'].open(record).type).toBe(r.type);
        }
        const c2 = createClientHandshake({ apiKey: v.apiKey.token, context, fixedEphemeralPrivateKeyForTestingOnly: bytesOf(v.clientEphemeralPrivate) });
        const s2 = createServerHandshake({ resolveKey: () => secret, context, fixedEphemeralPrivateKeyForTestingOnly: bytesOf(v.serverEphemeralPrivate) });
        const second = await s2.respond(c2.writeMessage1());
        const eapiClient = c2.readMessage2(second.message2);
        for (const e of v.eapis) {
          const eapi = eapiClient.issueEapi({ index: e.index, scope: e.scope, expiresAt: e.expiresAt });
          expect(hexOf(eapi.secretForTestingOnly())).toBe(e.secret);
          for (const q of e.requests) {
            const header = eapi.sign({ method: q.method, path: q.path, body: bytesOf(q.body), timestamp: q.timestamp, nonce: bytesOf(q.nonce) });
            expect(header).toBe(q.authorization);
            expect(second.session.verifyEapi({ authorization: header, method: q.method, path: q.path, body: bytesOf(q.body), now: q.timestamp, requiredScope: e.scope.split(' ')[0]! }).index).toBe(e.index);
          }
        }
      });
    });
  }

  it('SPEC.md quotes vector "basic" verbatim', () => {
    const spec = readFileSync(new URL('../SPEC.md', import.meta.url), 'utf8').replace(/\s+/g, '');
    const v = e2e2.cases[0]!;
    const quoted = [
      v.apiKey.token,
      v.clientEphemeralPrivate,
      v.clientEphemeralPublic,
      v.serverEphemeralPrivate,
      v.serverEphemeralPublic,
      v.prologue,
      v.message1,
      v.message2,
      v.k1,
      v.k2,
      v.handshakeHash,
      v.k3.initiatorToResponder,
      v.k3.responderToInitiator,
      v.k3.exporter,
      v.sessionId,
      v.eapiRoot,
      v.records[0]!.record,
      v.records[1]!.record,
      v.eapis[0]!.secret,
      v.eapis[0]!.requests[0]!.authorization.replace(/\s+/g, ''),
    ];
    for (const value of quoted) expect(spec, `SPEC.md is missing ${value.slice(0, 24)}…`).toContain(value);
  });
});

describe('committed Noise vectors (cacophony layout)', () => {
  for (const [n, v] of noiseVectors.vectors.entries()) {
    it(`vector ${n + 1}: the oracle and e2e2/noise both reproduce it`, () => {
      expect(v.protocol_name).toBe('Noise_NNpsk2_25519_ChaChaPoly_SHA256');
      const psk = bytesOf(v.init_psks[0]!);
      const prologue = bytesOf(v.init_prologue);
      // Oracle.
      const oi = noise.initialize(true, prologue, psk, bytesOf(v.init_ephemeral));
      const or = noise.initialize(false, bytesOf(v.resp_prologue), bytesOf(v.resp_psks[0]!), bytesOf(v.resp_ephemeral));
      const [m1, m2, ...transport] = v.messages;
      expect(hexOf(noise.writeMessage1(oi, bytesOf(m1!.payload)))).toBe(m1!.ciphertext);
      expect(hexOf(noise.readMessage1(or, bytesOf(m1!.ciphertext)))).toBe(m1!.payload);
      expect(hexOf(noise.writeMessage2(or, bytesOf(m2!.payload)))).toBe(m2!.ciphertext);
      expect(hexOf(noise.readMessage2(oi, bytesOf(m2!.ciphertext)))).toBe(m2!.payload);
      expect(hexOf(oi.s.h)).toBe(v.handshake_hash);
      const [ois, oir] = noise.transportFor(oi);
      const [ors, orr] = noise.transportFor(or);
      transport.forEach((m, i) => {
        const [send, receive] = i % 2 === 0 ? [ois, orr] : [ors, oir];
        expect(hexOf(noise.encryptWithAd(send!, new Uint8Array(0), bytesOf(m.payload)))).toBe(m.ciphertext);
        expect(hexOf(noise.decryptWithAd(receive!, new Uint8Array(0), bytesOf(m.ciphertext)))).toBe(m.payload);
      });
      // e2e2/noise.
      const i = createHandshake({ role: 'initiator', psk, prologue, fixedEphemeralPrivateKeyForTestingOnly: bytesOf(v.init_ephemeral) });
      const r = createHandshake({ role: 'responder', psk: bytesOf(v.resp_psks[0]!), prologue: bytesOf(v.resp_prologue), fixedEphemeralPrivateKeyForTestingOnly: bytesOf(v.resp_ephemeral) });
      expect(hexOf(i.writeMessage(bytesOf(m1!.payload)))).toBe(m1!.ciphertext);
      expect(hexOf(r.readMessage(bytesOf(m1!.ciphertext)))).toBe(m1!.payload);
      expect(hexOf(r.writeMessage(bytesOf(m2!.payload)))).toBe(m2!.ciphertext);
      expect(hexOf(i.readMessage(bytesOf(m2!.ciphertext)))).toBe(m2!.payload);
      expect(hexOf(i.getHandshakeHash())).toBe(v.handshake_hash);
      expect(hexOf(r.getHandshakeHash())).toBe(v.handshake_hash);
      const [a, b] = [i.split(), r.split()];
      transport.forEach((m, k) => {
        const [send, receive] = k % 2 === 0 ? [a, b] : [b, a];
        expect(hexOf(send.encrypt(bytesOf(m.payload)))).toBe(m.ciphertext);
        expect(hexOf(receive.decrypt(bytesOf(m.ciphertext)))).toBe(m.payload);
      });
    });
  }
});
