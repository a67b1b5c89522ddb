/**
 * Protocol-level differential test: randomized E2-E2 handshakes, record streams (data, explicit
 * and automatic rekeys, close) and EAPI signatures, computed by e2e2 and by the noble oracle
 * (test/oracle/), compared byte for byte.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createClientHandshake, createServerHandshake, type Session, type TraceEvent } from '../bindings/index.js';
import * as oracle from './oracle/e2e2.js';
import { cat } from './oracle/noise.js';
import { hexOf } from './oracle/harness.js';
import { FUZZ_RUNS } from './helpers/vectors.js';

type Step = { from: 'client' | 'server'; kind: 'data' | 'rekey'; data: Uint8Array };

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => k.some((b) => b !== 0));
const step: fc.Arbitrary<Step> = fc.record({
  from: fc.constantFrom('client' as const, 'server' as const),
  kind: fc.constantFrom('data' as const, 'data' as const, 'data' as const, 'rekey' as const),
  data: fc.uint8Array({ maxLength: 96 }),
});
const scopeToken = fc.stringMatching(/^[a-z:*]{1,10}$/);

/** The oracle's own auto-rekey bookkeeping, from SPEC.md §7.3 (not from session.ts). */
class OracleSender {
  sentUnderKey = 0;
  constructor(
    readonly cipher: oracle.OracleHandshake['client']['send'],
    readonly rekeyAfter: number,
  ) {}
  seal(kind: 'data' | 'rekey' | 'close', data: Uint8Array): Uint8Array {
    let type: oracle.RecordType = kind;
    if (kind === 'data' && this.sentUnderKey + 1 >= this.rekeyAfter) type = 'rekey';
    const record = oracle.sealRecord(this.cipher, type, data);
    this.sentUnderKey = type === 'rekey' ? 0 : this.sentUnderKey + 1;
    return record;
  }
}

describe('E2-E2 vs the noble oracle, randomized', () => {
  it('handshakes, record streams and EAPIs agree byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        key32,
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 48 }),
        key32,
        key32,
        fc.constantFrom(1, 2, 3, 5, Infinity),
        fc.array(step, { maxLength: 12 }),
        fc.array(scopeToken, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 2 ** 52 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        async (secret, keyIdBytes, context, clientEph, serverEph, rekeyAfter, steps, scopes, index, expiresAt, nonce) => {
          const keyId = hexOf(keyIdBytes);
          const events: { client: TraceEvent[]; server: TraceEvent[] } = { client: [], server: [] };
          const c = createClientHandshake({ apiKey: { keyId, secret }, context, rekeyAfterRecords: rekeyAfter, fixedEphemeralPrivateKeyForTestingOnly: clientEph, trace: (e) => events.client.push(e) });
          const s = createServerHandshake({ resolveKey: (id) => (id === keyId ? secret : undefined), context, rekeyAfterRecords: rekeyAfter, fixedEphemeralPrivateKeyForTestingOnly: serverEph, trace: (e) => events.server.push(e) });
          const o = oracle.handshake({ context, keyId, clientSecret: secret, clientEphemeralPrivate: clientEph, serverEphemeralPrivate: serverEph });

          const message1 = c.writeMessage1();
          expect(hexOf(message1)).toBe(hexOf(o.message1));
          const { message2, session: server } = await s.respond(message1);
          expect(hexOf(message2)).toBe(hexOf(o.message2));
          const client = c.readMessage2(message2);
          expect(client.sessionId).toBe(hexOf(o.k3.sessionId));
          expect(server.sessionId).toBe(hexOf(o.k3.sessionId));
          expect(events.client.map((e) => e.fingerprint)).toEqual([
            oracle.fingerprintOf(o.k1),
            oracle.fingerprintOf(o.k2),
            oracle.fingerprintOf(cat(o.k3.initiatorToResponder, o.k3.responderToInitiator, o.k3.exporter)),
          ]);
          expect(events.server).toEqual(events.client);

          // The client speaks first (the server is pending until then).
          const all: Step[] = [{ from: 'client', kind: 'data', data: new Uint8Array(0) }, ...steps];
          const senders = { client: new OracleSender(o.client.send, rekeyAfter), server: new OracleSender(o.server.send, rekeyAfter) };
          const receivers = { client: o.client.receive, server: o.server.receive };
          const sessions: Record<'client' | 'server', Session> = { client, server };
          for (const { from, kind, data } of all) {
            const to = from === 'client' ? 'server' : 'client';
            const record = kind === 'rekey' ? sessions[from].rekey(data) : sessions[from].seal(data);
            expect(hexOf(record)).toBe(hexOf(senders[from].seal(kind, data)));
            const opened = sessions[to].open(record);
            const expected = oracle.openRecord(receivers[to], record);
            expect(opened.type).toBe(expected.type);
            if (opened.type !== 'close') expect(hexOf(opened.data)).toBe(hexOf(expected.body));
          }

          // EAPI: same secret and same header as the oracle.
          const scope = scopes.join(' ');
          const request = { method: 'PATCH', path: `/r/${index}`, body: nonce, timestamp: expiresAt - 1, nonce };
          const eapi = client.issueEapi({ scope, expiresAt, index });
          const expectedEapi = oracle.eapiAuthorization(o.k3, index, scope, expiresAt, request);
          expect(hexOf(eapi.secretForTestingOnly())).toBe(hexOf(expectedEapi.secret));
          const header = eapi.sign(request);
          expect(header).toBe(expectedEapi.header);
          expect(server.verifyEapi({ authorization: header, ...request, now: request.timestamp, requiredScope: scopes[0]! }).index).toBe(index);

          // Close both ways.
          const closeRecord = client.close();
          expect(hexOf(closeRecord)).toBe(hexOf(senders.client.seal('close', new Uint8Array(0))));
          expect(server.open(closeRecord).type).toBe('close');
          expect(client.open(server.close()).type).toBe('close');
          expect([client.state, server.state]).toEqual(['closed', 'closed']);
        },
      ),
      { numRuns: Math.max(40, Math.floor(FUZZ_RUNS / 25)) },
    );
  });
});
