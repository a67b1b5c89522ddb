/**
 * E2-E2 sessions (SPEC.md §7): records, close, rekey (explicit and automatic), nonce limits,
 * lifecycle, framing, and every attack on the record stream with its error code.
 */
import { describe, expect, it } from 'vitest';
import { createClientHandshake, createServerHandshake, encodeFrame, FrameDecoder, generateApiKey, type ClientSession, type ServerSession } from '../bindings/index.js';
import { sessionSnapshotForTestingOnly, setSessionNoncesForTestingOnly, type Session } from '../bindings/e2e2/session.js';
import { AUTHENTICATION_FAILED_MESSAGE } from '../bindings/noise/failures.js';
import * as noise from './oracle/noise.js';
import * as oracle from './oracle/e2e2.js';
import { expectCode, flipBit, hexOf, utf8Of } from './oracle/harness.js';
import { bytesFromSeed } from './helpers/random.js';

const KEY = generateApiKey();
const CLIENT_EPH = bytesFromSeed(21, 32);
const SERVER_EPH = bytesFromSeed(22, 32);

async function sessions(options: { rekeyAfterRecords?: number } = {}): Promise<{ client: ClientSession; server: ServerSession; o: oracle.OracleHandshake }> {
  const c = createClientHandshake({ apiKey: KEY.token, fixedEphemeralPrivateKeyForTestingOnly: CLIENT_EPH, ...options });
  const s = createServerHandshake({ resolveKey: () => KEY.secret, fixedEphemeralPrivateKeyForTestingOnly: SERVER_EPH, ...options });
  const { message2, session: server } = await s.respond(c.writeMessage1());
  const client = c.readMessage2(message2);
  const o = oracle.handshake({ context: new Uint8Array(0), keyId: KEY.keyId, clientSecret: KEY.secret, clientEphemeralPrivate: CLIENT_EPH, serverEphemeralPrivate: SERVER_EPH });
  return { client, server, o };
}

/** Established on both sides (the server has opened one client record). */
async function established(options: { rekeyAfterRecords?: number } = {}) {
  const pair = await sessions(options);
  pair.server.open(pair.client.seal(new Uint8Array(0)));
  oracle.openRecord(pair.o.server.receive, oracle.sealRecord(pair.o.client.send, 'data', new Uint8Array(0)));
  return pair;
}

const snap = (s: Session): string => JSON.stringify(sessionSnapshotForTestingOnly(s), (_k, v) => (v instanceof Uint8Array ? hexOf(v) : typeof v === 'bigint' ? v.toString() : v));

describe('records (SPEC.md §7.1)', () => {
  it('seal/open both ways, byte-identical to the oracle; record = data + 17 bytes', async () => {
    const { client, server, o } = await sessions();
    for (const size of [0, 1, 100, 65518]) {
      const data = bytesFromSeed(size + 1, size);
      const record = client.seal(data);
      expect(record.length).toBe(size + 17);
      expect(hexOf(record)).toBe(hexOf(oracle.sealRecord(o.client.send, 'data', data)));
      expect(server.open(record)).toEqual({ type: 'data', data });
      const back = server.seal(data);
      expect(hexOf(back)).toBe(hexOf(oracle.sealRecord(o.server.send, 'data', data)));
      expect(client.open(back)).toEqual({ type: 'data', data });
    }
  });

  it('sizes: data > 65,518 → ERR_PAYLOAD_TOO_LARGE; record > 65,535 → ERR_MESSAGE_TOO_LARGE; < 17 → ERR_MALFORMED_MESSAGE', async () => {
    const { client, server } = await established();
    expectCode(() => client.seal(new Uint8Array(65519)), 'ERR_PAYLOAD_TOO_LARGE');
    expectCode(() => server.open(new Uint8Array(65536)), 'ERR_MESSAGE_TOO_LARGE');
    for (let n = 0; n < 17; n++) expectCode(() => server.open(new Uint8Array(n)), 'ERR_MALFORMED_MESSAGE');
    expectCode(() => client.seal('text' as unknown as Uint8Array), 'ERR_INVALID_ARGUMENT');
    expectCode(() => client.open([1, 2] as unknown as Uint8Array), 'ERR_INVALID_ARGUMENT');
  });

  it('every truncation and every single-bit flip of the first record each way fails, consumes no nonce, and the real record still opens', async () => {
    const { client, server } = await sessions();
    const first = client.seal(utf8Of('first client record'));
    const before = snap(server);
    for (let length = 0; length < first.length; length++) {
      expectCode(() => server.open(first.subarray(0, length)), length < 17 ? 'ERR_MALFORMED_MESSAGE' : 'ERR_AUTHENTICATION_FAILED');
    }
    for (let bit = 0; bit < first.length * 8; bit++) {
      expectCode(() => server.open(flipBit(first, bit)), 'ERR_AUTHENTICATION_FAILED', AUTHENTICATION_FAILED_MESSAGE);
    }
    expect(snap(server)).toBe(before);
    expect(server.state).toBe('pending');
    expect(server.open(first).type).toBe('data');
    expect(server.state).toBe('established');
    const reply = server.seal(utf8Of('first server record'));
    const clientBefore = snap(client);
    for (let bit = 0; bit < reply.length * 8; bit++) expectCode(() => client.open(flipBit(reply, bit)), 'ERR_AUTHENTICATION_FAILED');
    expect(snap(client)).toBe(clientBefore);
    expect(client.open(reply)).toEqual({ type: 'data', data: utf8Of('first server record') });
  });

  it('replayed, reordered, dropped and reflected records fail with ERR_AUTHENTICATION_FAILED', async () => {
    const { client, server } = await established();
    const r1 = client.seal(utf8Of('1'));
    const r2 = client.seal(utf8Of('2'));
    const r3 = client.seal(utf8Of('3'));
    expectCode(() => server.open(r2), 'ERR_AUTHENTICATION_FAILED'); // reordered
    expectCode(() => client.open(r1), 'ERR_AUTHENTICATION_FAILED'); // reflected back to its sender
    expect(server.open(r1).type).toBe('data');
    expectCode(() => server.open(r1), 'ERR_AUTHENTICATION_FAILED'); // replayed
    // r2 dropped: r3 can never open (the receiver waits for nonce 2 forever).
    expectCode(() => server.open(r3), 'ERR_AUTHENTICATION_FAILED');
    expect(server.open(r2)).toEqual({ type: 'data', data: utf8Of('2') });
    expect(server.open(r3)).toEqual({ type: 'data', data: utf8Of('3') });
    // Server → client records never open on the server, client → server never on the client.
    const s1 = server.seal(utf8Of('s'));
    expectCode(() => server.open(s1), 'ERR_AUTHENTICATION_FAILED');
    expect(client.open(s1).type).toBe('data');
  });

  it('authentic but malformed records (unknown type, close with a body) → ERR_MALFORMED_MESSAGE, nothing consumed', async () => {
    const { client, server, o } = await established();
    const sendKey = sessionSnapshotForTestingOnly(client).sendKey as Uint8Array;
    for (const plaintext of [Uint8Array.of(0x00), Uint8Array.of(0x04, 1), Uint8Array.of(0xff), Uint8Array.of(0x02, 0x00)]) {
      const before = snap(server);
      const record = noise.ENCRYPT(sendKey, o.client.send.n, new Uint8Array(0), plaintext);
      expectCode(() => server.open(record), 'ERR_MALFORMED_MESSAGE');
      expect(snap(server)).toBe(before);
    }
    expect(server.open(client.seal(utf8Of('fine')))).toEqual({ type: 'data', data: utf8Of('fine') });
  });
});

describe('close (SPEC.md §7.2)', () => {
  it('close records end one direction; half-close; states closing → closed; later calls → ERR_SESSION_CLOSED', async () => {
    const { client, server, o } = await established();
    const closeRecord = client.close();
    expect(hexOf(closeRecord)).toBe(hexOf(oracle.sealRecord(o.client.send, 'close', new Uint8Array(0))));
    expect(client.state).toBe('closing');
    expectCode(() => client.seal(utf8Of('x')), 'ERR_SESSION_CLOSED');
    expectCode(() => client.close(), 'ERR_SESSION_CLOSED');
    expectCode(() => client.rekey(), 'ERR_SESSION_CLOSED');
    expect(server.open(closeRecord)).toEqual({ type: 'close' });
    expect(server.state).toBe('closing');
    expectCode(() => server.open(closeRecord), 'ERR_SESSION_CLOSED');
    // Half-close: the server may still send, the client still receives.
    expect(client.open(server.seal(utf8Of('last words')))).toEqual({ type: 'data', data: utf8Of('last words') });
    expect(client.open(server.close())).toEqual({ type: 'close' });
    expect(client.state).toBe('closed');
    expect(server.state).toBe('closed');
    expectCode(() => client.open(new Uint8Array(17)), 'ERR_SESSION_CLOSED');
  });

  it('truncation is visible: a stream cut before the close record leaves the receiver not closed', async () => {
    const { client, server } = await established();
    server.open(client.seal(utf8Of('part 1')));
    // (the transport drops here, the close record never arrives)
    expect(server.state).toBe('established');
  });
});

describe('rekey (SPEC.md §7.3)', () => {
  it('explicit rekey(): the peer sees type rekey (with optional data); keys follow the oracle; n continues', async () => {
    const { client, server, o } = await established();
    const before = sessionSnapshotForTestingOnly(client);
    const record = client.rekey(utf8Of('with data'));
    expect(hexOf(record)).toBe(hexOf(oracle.sealRecord(o.client.send, 'rekey', utf8Of('with data'))));
    const after = sessionSnapshotForTestingOnly(client);
    expect(hexOf(after.sendKey as Uint8Array)).toBe(hexOf(noise.REKEY(before.sendKey as Uint8Array)));
    expect(after.sendNonce).toBe((before.sendNonce as bigint) + 1n);
    expect(server.open(record)).toEqual({ type: 'rekey', data: utf8Of('with data') });
    const next = client.seal(utf8Of('after'));
    expect(hexOf(next)).toBe(hexOf(oracle.sealRecord(o.client.send, 'data', utf8Of('after'))));
    expect(server.open(next)).toEqual({ type: 'data', data: utf8Of('after') });
    expect(server.open(client.rekey())).toEqual({ type: 'rekey', data: new Uint8Array(0) });
  });

  it('a receiver that misses a rekey record cannot open anything after it', async () => {
    const { client, server } = await established();
    client.rekey();
    expectCode(() => server.open(client.seal(utf8Of('x'))), 'ERR_AUTHENTICATION_FAILED');
  });

  it('automatic: with rekeyAfterRecords = 3, every third record from each side is a REKEY record', async () => {
    const { client, server, o } = await sessions({ rekeyAfterRecords: 3 });
    const types: string[] = [];
    for (let i = 0; i < 8; i++) {
      const data = utf8Of(`m${i}`);
      const record = client.seal(data);
      const opened = server.open(record);
      types.push(opened.type);
      const expectedType = opened.type === 'rekey' ? 'rekey' : 'data';
      // The oracle decides nothing: it replays the type the session chose, and must agree on bytes.
      const oracleRecord = oracle.sealRecord(o.client.send, expectedType, data);
      expect(hexOf(record)).toBe(hexOf(oracleRecord));
      if (opened.type !== 'close') expect(hexOf(opened.data)).toBe(hexOf(data));
    }
    expect(types).toEqual(['data', 'data', 'rekey', 'data', 'data', 'rekey', 'data', 'data']);
    const reply = server.seal(utf8Of('r'));
    expect(client.open(reply).type).toBe('data');
  });

  it('rekeyAfterRecords = 1: every record is a REKEY record; Infinity: never', async () => {
    const one = await sessions({ rekeyAfterRecords: 1 });
    for (let i = 0; i < 3; i++) expect(one.server.open(one.client.seal(utf8Of('x'))).type).toBe('rekey');
    const never = await sessions({ rekeyAfterRecords: Infinity });
    for (let i = 0; i < 100; i++) expect(never.server.open(never.client.seal(new Uint8Array(0))).type).toBe('data');
  });
});

describe('nonce limit (SPEC.md §7.5)', () => {
  it('nonce 2^64-1 is never used: the record at 2^64-2 works, the next seal/open → ERR_NONCE_EXHAUSTED', async () => {
    const { client, server } = await established({ rekeyAfterRecords: Infinity });
    const last = (1n << 64n) - 2n;
    setSessionNoncesForTestingOnly(client, { send: last });
    setSessionNoncesForTestingOnly(server, { receive: last });
    const record = client.seal(utf8Of('last one'));
    expect(server.open(record)).toEqual({ type: 'data', data: utf8Of('last one') });
    expectCode(() => client.seal(utf8Of('one more')), 'ERR_NONCE_EXHAUSTED');
    expectCode(() => client.close(), 'ERR_NONCE_EXHAUSTED');
    expectCode(() => server.open(record), 'ERR_NONCE_EXHAUSTED');
  });
});

describe('lifecycle (SPEC.md §7.6)', () => {
  it('dispose wipes the keys; every later call → ERR_SESSION_DISPOSED; dispose is idempotent', async () => {
    const { client, server } = await established();
    const record = client.seal(utf8Of('x'));
    client.dispose();
    client.dispose();
    expect(client.state).toBe('disposed');
    const wiped = sessionSnapshotForTestingOnly(client);
    expect(wiped.sendKey).toBeNull();
    expect(wiped.receiveKey).toBeNull();
    expect(hexOf(wiped.exporter as Uint8Array)).toBe('00'.repeat(32));
    expectCode(() => client.seal(utf8Of('y')), 'ERR_SESSION_DISPOSED');
    expectCode(() => client.open(record), 'ERR_SESSION_DISPOSED');
    expectCode(() => client.close(), 'ERR_SESSION_DISPOSED');
    expectCode(() => client.rekey(), 'ERR_SESSION_DISPOSED');
    expectCode(() => client.issueEapi({ scope: 'a', expiresAt: 1 }), 'ERR_SESSION_DISPOSED');
    server.dispose();
    expectCode(() => server.open(record), 'ERR_SESSION_DISPOSED');
  });

  it('keys do not leak through inspection or JSON', async () => {
    const { client } = await established();
    const snapshot = sessionSnapshotForTestingOnly(client);
    const key = hexOf(snapshot.sendKey as Uint8Array);
    const { inspect } = await import('node:util');
    const shown = inspect(client, { showHidden: true, depth: 10 }) + JSON.stringify(client);
    expect(shown).not.toContain(key);
    expect(Object.keys(client)).toEqual([]);
  });
});

describe('byte-stream framing (SPEC.md §7.4)', () => {
  it('u16be length prefix; frames reassembled from chunks of any size', async () => {
    const { client, server } = await established();
    const records = [client.seal(utf8Of('a')), client.seal(new Uint8Array(65518)), client.close()];
    const stream = noise.cat(...records.map(encodeFrame));
    expect(hexOf(stream.subarray(0, 2))).toBe((records[0]!.length).toString(16).padStart(4, '0'));
    for (const chunk of [1, 2, 3, 1000, stream.length]) {
      const decoder = new FrameDecoder();
      const out: Uint8Array[] = [];
      for (let i = 0; i < stream.length; i += chunk) out.push(...decoder.push(stream.subarray(i, i + chunk)));
      expect(out.map(hexOf)).toEqual(records.map(hexOf));
      expect(decoder.bufferedBytes).toBe(0);
    }
    for (const r of records) server.open(r);
    expect(server.state).toBe('closing');
  });

  it('a zero-length frame is malformed and poisons the decoder; bad frame inputs are caller errors', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(Uint8Array.of(0x00))).toEqual([]);
    expectCode(() => decoder.push(Uint8Array.of(0x00)), 'ERR_MALFORMED_MESSAGE');
    expectCode(() => decoder.push(encodeFrame(Uint8Array.of(1))), 'ERR_MALFORMED_MESSAGE');
    expectCode(() => encodeFrame(new Uint8Array(0)), 'ERR_INVALID_ARGUMENT');
    expectCode(() => encodeFrame(new Uint8Array(65536)), 'ERR_PAYLOAD_TOO_LARGE');
    expect(encodeFrame(new Uint8Array(65535)).length).toBe(65537);
  });
});

describe('no key material left in WASM memory (DEVELOPERS.md: wipe after each call)', () => {
  it('after a handshake, records both ways, a rekey and an EAPI signature, no key appears in WASM memory', async () => {
    const { wasmMemorySnapshotForTestingOnly } = await import('../bindings/core/wasm.js');
    const { containsBytes } = await import('./helpers/random.js');
    const { client, server, o } = await established();
    server.open(client.seal(utf8Of('data')));
    client.open(server.rekey(utf8Of('rekeyed')));
    const eapi = client.issueEapi({ scope: 's', expiresAt: 2 ** 40 });
    const header = eapi.sign({ method: 'GET', path: '/', timestamp: 2 ** 40 - 1 });
    server.verifyEapi({ authorization: header, method: 'GET', path: '/', now: 2 ** 40 - 1, requiredScope: 's' });
    const heap = wasmMemorySnapshotForTestingOnly();
    const secrets: [string, Uint8Array][] = [
      ['API key secret', KEY.secret],
      ['ephemeral private keys', CLIENT_EPH],
      ['ephemeral private keys', SERVER_EPH],
      ['K1', o.k1],
      ['K2', o.k2],
      ['K3 c1', o.k3.initiatorToResponder],
      ['K3 c2', o.k3.responderToInitiator],
      ['exporter', o.k3.exporter],
      ['EAPI secret', eapi.secretForTestingOnly()],
      ['server send key', sessionSnapshotForTestingOnly(server).sendKey as Uint8Array],
    ];
    for (const [name, secret] of secrets) expect(containsBytes(heap, secret), name).toBe(false);
  });
});
