/**
 * Tests that kill mutants of bindings/e2e2/handshake.ts (issue 13): the exact message of every
 * caller error, the server's classification of message 1 by length under each postQuantum mode,
 * the trace stages, the fixed test inputs being copies, and the wipes of the handshake state, the
 * PSK copy and the dummy key (held through the real HandshakeState's methods, spied on).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClientHandshake, createServerHandshake, generateApiKey, type TraceEvent } from '../bindings/index.js';
import { HandshakeState } from '../bindings/noise/handshake-state.js';
import { expectCode, expectCodeAsync } from './oracle/harness.js';
import { bytesFromSeed } from './helpers/random.js';

const KEY = generateApiKey();
const zero = (a: Uint8Array): boolean => a.every((b) => b === 0);
const v1Message1 = () => createClientHandshake({ apiKey: KEY.token }).writeMessage1();
const hybridMessage1 = () => createClientHandshake({ apiKey: KEY.token, postQuantum: true }).writeMessage1();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('E2-E2 handshake options: exact messages', () => {
  it('client options', () => {
    const apiKey = KEY.token;
    expectCode(() => createClientHandshake({ apiKey, fixedEphemeralPrivateKeyForTestingOnly: new Uint8Array(31) }), 'ERR_INVALID_KEY_LENGTH', 'fixedEphemeralPrivateKeyForTestingOnly must be 32 bytes');
    expectCode(() => createClientHandshake({ apiKey, fixedKemSeedForTestingOnly: new Uint8Array(63) }), 'ERR_INVALID_KEY_LENGTH', 'fixedKemSeedForTestingOnly must be 64 bytes');
    expectCode(() => createClientHandshake({ apiKey, fixedKemSeedForTestingOnly: [...new Uint8Array(64)] as never }), 'ERR_INVALID_KEY_LENGTH', 'fixedKemSeedForTestingOnly must be 64 bytes');
    expectCode(() => createClientHandshake({ apiKey, postQuantum: 'yes' as never }), 'ERR_INVALID_ARGUMENT', 'postQuantum must be a boolean');
    for (const rekeyAfterRecords of [0, -1, 1.5, Number.NaN, 2 ** 53]) {
      expectCode(() => createClientHandshake({ apiKey, rekeyAfterRecords }), 'ERR_INVALID_ARGUMENT', 'rekeyAfterRecords must be a positive integer or Infinity');
    }
    expect(createClientHandshake({ apiKey, postQuantum: false }).postQuantum).toBe(false);
    expect(createClientHandshake({ apiKey, postQuantum: true }).postQuantum).toBe(true);
    expect(createClientHandshake({ apiKey }).postQuantum).toBe(false);
  });

  it('server options', () => {
    const resolveKey = () => KEY.secret;
    expectCode(() => createServerHandshake('x' as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
    expectCode(() => createServerHandshake({ resolveKey: 'k' as never }), 'ERR_INVALID_ARGUMENT', 'resolveKey must be a function');
    expectCode(() => createServerHandshake({ resolveKey, postQuantum: 'always' as never }), 'ERR_INVALID_ARGUMENT', "postQuantum must be 'accept', 'require' or 'refuse'");
    expectCode(() => createServerHandshake({ resolveKey, fixedKemMessageForTestingOnly: new Uint8Array(33) }), 'ERR_INVALID_KEY_LENGTH', 'fixedKemMessageForTestingOnly must be 32 bytes');
    expectCode(() => createServerHandshake({ resolveKey, fixedEphemeralPrivateKeyForTestingOnly: new Uint8Array(1) }), 'ERR_INVALID_KEY_LENGTH', 'fixedEphemeralPrivateKeyForTestingOnly must be 32 bytes');
    expectCode(() => createServerHandshake({ resolveKey, eapiClockSkewMs: -1 }), 'ERR_INVALID_ARGUMENT', 'eapiClockSkewMs must be an integer ≥ 0');
    expectCode(() => createServerHandshake({ resolveKey, eapiReplayCacheEntries: 0 }), 'ERR_INVALID_ARGUMENT', 'eapiReplayCacheEntries must be an integer ≥ 1');
    expectCode(() => createServerHandshake({ resolveKey, eapiReplayCacheEntries: 1.5 }), 'ERR_INVALID_ARGUMENT', 'eapiReplayCacheEntries must be an integer ≥ 1');
    for (const postQuantum of ['accept', 'require', 'refuse'] as const) expect(createServerHandshake({ resolveKey, postQuantum }).state).toBe('initial');
  });
});

describe('message 1 on the server: type, size and version (SPEC.md §5, §13)', () => {
  const server = (postQuantum?: 'accept' | 'require' | 'refuse') => createServerHandshake({ resolveKey: () => KEY.secret, ...(postQuantum ? { postQuantum } : {}) });

  it('not bytes, too large, and each wrong length, with the lengths the mode allows', async () => {
    await expectCodeAsync(() => server().respond('m' as never), 'ERR_INVALID_ARGUMENT', 'message 1 must be a Uint8Array');
    await expectCodeAsync(() => server().respond(new Uint8Array(65_536)), 'ERR_MESSAGE_TOO_LARGE', 'message 1 exceeds 65535 bytes (Noise §3)');
    await expectCodeAsync(() => server().respond(new Uint8Array(61)), 'ERR_MALFORMED_MESSAGE', 'message 1 must be exactly 60 bytes (v1) or 1260 bytes (v2-hybrid)');
    await expectCodeAsync(() => server('accept').respond(new Uint8Array(1259)), 'ERR_MALFORMED_MESSAGE', 'message 1 must be exactly 60 bytes (v1) or 1260 bytes (v2-hybrid)');
    await expectCodeAsync(() => server('require').respond(new Uint8Array(61)), 'ERR_MALFORMED_MESSAGE', 'message 1 must be exactly 1260 bytes');
    await expectCodeAsync(() => server('refuse').respond(new Uint8Array(61)), 'ERR_MALFORMED_MESSAGE', 'message 1 must be exactly 60 bytes');
  });

  it('each mode takes exactly the versions it allows', async () => {
    expect((await server().respond(v1Message1())).session.postQuantum).toBe(false);
    expect((await server('accept').respond(hybridMessage1())).session.postQuantum).toBe(true);
    expect((await server('require').respond(hybridMessage1())).session.postQuantum).toBe(true);
    expect((await server('refuse').respond(v1Message1())).session.postQuantum).toBe(false);
    await expectCodeAsync(() => server('require').respond(v1Message1()), 'ERR_PQ_REQUIRED', 'this server requires the post-quantum handshake (E2-E2 v2-hybrid)');
    await expectCodeAsync(() => server('refuse').respond(hybridMessage1()), 'ERR_MALFORMED_MESSAGE', 'message 1 must be exactly 60 bytes');
  });
});

describe('message 2 on the client: exact messages', () => {
  it('not bytes, too large, and a wrong length for v1 and for v2-hybrid', () => {
    const c = createClientHandshake({ apiKey: KEY.token });
    c.writeMessage1();
    expectCode(() => c.readMessage2('m' as never), 'ERR_INVALID_ARGUMENT', 'message 2 must be a Uint8Array');
    expectCode(() => c.readMessage2(new Uint8Array(65_536)), 'ERR_MESSAGE_TOO_LARGE', 'message 2 exceeds 65535 bytes (Noise §3)');
    expectCode(() => c.readMessage2(new Uint8Array(49)), 'ERR_MALFORMED_MESSAGE', 'message 2 must be exactly 48 bytes');
    const h = createClientHandshake({ apiKey: KEY.token, postQuantum: true });
    h.writeMessage1();
    expectCode(() => h.readMessage2(new Uint8Array(48)), 'ERR_MALFORMED_MESSAGE', 'message 2 must be exactly 1152 bytes');
  });
});

describe('trace: the key stages in order, equal on both sides', () => {
  it('v1 reports K1, K2, K3; v2-hybrid K1, KEM, K2, K3; both sides agree', async () => {
    for (const postQuantum of [false, true]) {
      const client: TraceEvent[] = [];
      const server: TraceEvent[] = [];
      const c = createClientHandshake({ apiKey: KEY.token, postQuantum, trace: (e) => client.push(e) });
      const s = createServerHandshake({ resolveKey: () => KEY.secret, trace: (e) => server.push(e) });
      const { message2 } = await s.respond(c.writeMessage1());
      c.readMessage2(message2);
      const stages = postQuantum ? ['K1', 'KEM', 'K2', 'K3'] : ['K1', 'K2', 'K3'];
      expect(client.map((e) => e.stage)).toStrictEqual(stages);
      expect(server).toStrictEqual(client);
      expect(new Set(client.map((e) => e.fingerprint)).size).toBe(stages.length);
      for (const e of client) expect(e.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    }
  });
});

describe('the fixed test inputs are copies: the caller’s arrays are never written to', () => {
  it('client and server fixed ephemerals, KEM seed and KEM randomness', async () => {
    const ephemeral = bytesFromSeed(61, 32);
    const seed = bytesFromSeed(62, 64);
    const kemMessage = bytesFromSeed(63, 32);
    const serverEphemeral = bytesFromSeed(64, 32);
    const c = createClientHandshake({ apiKey: KEY.token, postQuantum: true, fixedEphemeralPrivateKeyForTestingOnly: ephemeral, fixedKemSeedForTestingOnly: seed });
    const s = createServerHandshake({ resolveKey: () => KEY.secret, fixedEphemeralPrivateKeyForTestingOnly: serverEphemeral, fixedKemMessageForTestingOnly: kemMessage });
    const m1 = c.writeMessage1();
    const { message2 } = await s.respond(m1);
    c.readMessage2(message2);
    for (const a of [ephemeral, seed, kemMessage, serverEphemeral]) expect(zero(a)).toBe(false);
    // The same fixed inputs give the same messages again.
    const c2 = createClientHandshake({ apiKey: KEY.token, postQuantum: true, fixedEphemeralPrivateKeyForTestingOnly: ephemeral, fixedKemSeedForTestingOnly: seed });
    const s2 = createServerHandshake({ resolveKey: () => KEY.secret, fixedEphemeralPrivateKeyForTestingOnly: serverEphemeral, fixedKemMessageForTestingOnly: kemMessage });
    const again = c2.writeMessage1();
    expect(Buffer.from(again).equals(Buffer.from(m1))).toBe(true);
    expect(Buffer.from((await s2.respond(again)).message2).equals(Buffer.from(message2))).toBe(true);
  });
});

describe('wipes on the server and after completion', () => {
  /** Every HandshakeState that runs readMessage while `run` runs (the server's, here). */
  async function handshakeStatesDuring(run: () => Promise<unknown>): Promise<HandshakeState[]> {
    const states: HandshakeState[] = [];
    const original = HandshakeState.prototype.readMessage;
    vi.spyOn(HandshakeState.prototype, 'readMessage').mockImplementation(function (this: HandshakeState, message: Uint8Array) {
      states.push(this);
      return original.call(this, message);
    });
    try {
      await run();
    } catch {
      // the failure is the test's subject; the states are checked by the caller
    }
    vi.restoreAllMocks();
    return states;
  }
  const allZero = (states: HandshakeState[]) => states.length === 1 && states[0]!.liveSecretsForTestingOnly().every(zero);

  it('respond(): the server’s Noise state once message 2 is out, and after a resolver that throws', async () => {
    const m1 = v1Message1();
    expect(allZero(await handshakeStatesDuring(() => createServerHandshake({ resolveKey: () => KEY.secret }).respond(m1)))).toBe(true);
    const failing = createServerHandshake({
      resolveKey: () => {
        throw new Error('store down');
      },
    });
    expect(allZero(await handshakeStatesDuring(() => failing.respond(m1)))).toBe(true);
    expect(failing.state).toBe('initial');
  });

  it('respond(): the PSK copy, for a known key and for the dummy key of an unknown key id', async () => {
    for (const resolved of [KEY.secret, undefined]) {
      const m1 = v1Message1();
      const psks: Uint8Array[] = [];
      const original = HandshakeState.prototype.setPsk;
      vi.spyOn(HandshakeState.prototype, 'setPsk').mockImplementation(function (this: HandshakeState, psk: Uint8Array) {
        psks.push(psk);
        original.call(this, psk);
      });
      await createServerHandshake({ resolveKey: () => resolved }).respond(m1);
      vi.restoreAllMocks();
      expect(psks.length).toBe(1);
      expect(psks[0]).not.toBe(KEY.secret);
      expect(zero(psks[0]!)).toBe(true);
    }
    expect(zero(KEY.secret)).toBe(false); // the resolver's array is the caller's
  });

  it('client: once complete it holds only its wiped API key copy', async () => {
    const c = createClientHandshake({ apiKey: KEY.token });
    const { message2 } = await createServerHandshake({ resolveKey: () => KEY.secret }).respond(c.writeMessage1());
    c.readMessage2(message2);
    const live = c.liveSecretsForTestingOnly();
    expect(live.length).toBe(1);
    expect(zero(live[0]!)).toBe(true);
  });
});
