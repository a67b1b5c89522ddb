/**
 * E2-E2 API keys and handshake (SPEC.md §4-5): happy paths, the K1/K2/K3 stages, and every
 * negative path with its error code. Every failure must leave the handshake usable.
 */
import { describe, expect, it } from 'vitest';
import {
  createClientHandshake,
  createServerHandshake,
  formatApiKey,
  generateApiKey,
  parseApiKey,
  type TraceEvent,
} from '../bindings/index.js';
import { isE2E2Error } from '../bindings/errors.js';
import { AUTHENTICATION_FAILED_MESSAGE } from '../bindings/noise/failures.js';
import * as noise from './oracle/noise.js';
import * as oracle from './oracle/e2e2.js';
import { LOW_ORDER_POINTS } from './oracle/low-order.js';
import { expectCode, expectCodeAsync, flipBit, hexOf, utf8Of } from './oracle/harness.js';
import { bytesFromSeed } from './helpers/random.js';

const KEY = generateApiKey();
const CLIENT_EPH = bytesFromSeed(11, 32);
const SERVER_EPH = bytesFromSeed(12, 32);

function client(options: Partial<Parameters<typeof createClientHandshake>[0]> = {}) {
  return createClientHandshake({ apiKey: KEY.token, fixedEphemeralPrivateKeyForTestingOnly: CLIENT_EPH, ...options });
}

function server(options: Partial<Parameters<typeof createServerHandshake>[0]> = {}) {
  return createServerHandshake({ resolveKey: (id) => (id === KEY.keyId ? KEY.secret : undefined), fixedEphemeralPrivateKeyForTestingOnly: SERVER_EPH, ...options });
}

async function connect(clientOptions = {}, serverOptions = {}) {
  const c = client(clientOptions);
  const s = server(serverOptions);
  const message1 = c.writeMessage1();
  const { message2, session: serverSession } = await s.respond(message1);
  const clientSession = c.readMessage2(message2);
  return { c, s, message1, message2, clientSession, serverSession };
}

describe('API keys (SPEC.md §4)', () => {
  it('generateApiKey: canonical token, 12-byte id, 32-byte secret, parse round trip', () => {
    const key = generateApiKey();
    expect(key.token).toMatch(/^e2e2_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
    expect(key.token.length).toBe(73);
    expect(key.secret.length).toBe(32);
    const parsed = parseApiKey(key.token);
    expect(parsed.keyId).toBe(key.keyId);
    expect(hexOf(parsed.secret)).toBe(hexOf(key.secret));
    expect(formatApiKey(parsed)).toBe(key.token);
    expect(oracle.formatToken(key.keyId, key.secret)).toBe(key.token);
    expect(generateApiKey().token).not.toBe(key.token);
  });

  it('parseApiKey rejects every other form with ERR_INVALID_API_KEY and never echoes the token', () => {
    const good = KEY.token;
    const [, id, secret] = /^e2e2_(.{24})_(.{43})$/.exec(good)!;
    const lastValue = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(secret!.at(-1)!);
    const nonCanonicalLast = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[lastValue ^ 1]!; // sets an unused low bit or clears one
    const bad = [
      '',
      good.slice(1),
      good + 'A',
      good.slice(0, -1),
      good.replace('e2e2_', 'E2E2_'),
      good.replace('e2e2_', 'e2e3_'),
      `e2e2_${id!.toUpperCase().replace(/[0-9]/g, 'A')}_${secret}`,
      `e2e2_${id}-${secret}`,
      `e2e2_${id}_${secret}=`,
      `e2e2_${id}_${secret!.slice(0, -1)}${nonCanonicalLast}`,
      `e2e2_${id}_${secret!.slice(0, 42)}+`,
      `e2e2_${id}_${'A'.repeat(43)}`, // all-zero secret
      ` ${good}`,
      `${good}\n`,
      'correct horse battery staple',
    ];
    for (const token of bad) {
      const error = expectCode(() => parseApiKey(token), 'ERR_INVALID_API_KEY');
      if (token.length > 10) expect(error.message).not.toContain(token.slice(5, 40));
    }
    expectCode(() => parseApiKey(42 as unknown as string), 'ERR_INVALID_API_KEY');
  });

  it('the client accepts { keyId, secret } and rejects weaker secrets', () => {
    expect(() => createClientHandshake({ apiKey: { keyId: KEY.keyId, secret: KEY.secret } })).not.toThrow();
    expectCode(() => createClientHandshake({ apiKey: { keyId: KEY.keyId, secret: new Uint8Array(16).fill(1) } }), 'ERR_INVALID_API_KEY');
    expectCode(() => createClientHandshake({ apiKey: { keyId: KEY.keyId, secret: new Uint8Array(32) } }), 'ERR_INVALID_API_KEY');
    expectCode(() => createClientHandshake({ apiKey: { keyId: 'short', secret: KEY.secret } }), 'ERR_INVALID_API_KEY');
    expectCode(() => createClientHandshake({ apiKey: 'hunter2' }), 'ERR_INVALID_API_KEY');
    expectCode(() => createClientHandshake({ apiKey: { keyId: KEY.keyId, secret: 'x'.repeat(32) as unknown as Uint8Array } }), 'ERR_INVALID_API_KEY');
  });
});

describe('handshake (SPEC.md §5)', () => {
  it('completes: 60-byte message 1, 48-byte message 2, equal session ids, pending server until the first record', async () => {
    const { c, s, message1, message2, clientSession, serverSession } = await connect();
    expect(message1.length).toBe(60);
    expect(message2.length).toBe(48);
    expect(c.state).toBe('complete');
    expect(s.state).toBe('complete');
    expect(clientSession.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(clientSession.sessionId).toBe(serverSession.sessionId);
    expect(clientSession.keyId).toBe(KEY.keyId);
    expect(serverSession.keyId).toBe(KEY.keyId);
    expect(clientSession.state).toBe('established');
    expect(serverSession.state).toBe('pending');
    expectCode(() => serverSession.seal(utf8Of('too early')), 'ERR_INVALID_STATE');
    expect(serverSession.open(clientSession.seal(utf8Of('hi')))).toEqual({ type: 'data', data: utf8Of('hi') });
    expect(serverSession.state).toBe('established');
    expect(clientSession.open(serverSession.seal(utf8Of('hello')))).toEqual({ type: 'data', data: utf8Of('hello') });
  });

  it('matches the oracle byte for byte (messages, session id)', async () => {
    const { message1, message2, clientSession } = await connect({ context: 'ctx' }, { context: 'ctx' });
    const o = oracle.handshake({ context: utf8Of('ctx'), keyId: KEY.keyId, clientSecret: KEY.secret, clientEphemeralPrivate: CLIENT_EPH, serverEphemeralPrivate: SERVER_EPH });
    expect(hexOf(message1)).toBe(hexOf(o.message1));
    expect(hexOf(message2)).toBe(hexOf(o.message2));
    expect(clientSession.sessionId).toBe(hexOf(o.k3.sessionId));
  });

  it('the key id in message 1 is readable by anyone (public values only)', () => {
    const message1 = client().writeMessage1();
    const eavesdropper = noise.initialize(false, oracle.prologueFor(new Uint8Array(0)), new Uint8Array(32), bytesFromSeed(5, 32));
    expect(hexOf(noise.readMessage1(eavesdropper, message1))).toBe(KEY.keyId);
  });

  it('trace reports K1, K2, K3 fingerprints, equal on both sides and equal to the oracle', async () => {
    const seen: { client: TraceEvent[]; server: TraceEvent[] } = { client: [], server: [] };
    await connect({ trace: (e: TraceEvent) => seen.client.push(e) }, { trace: (e: TraceEvent) => seen.server.push(e) });
    expect(seen.client.map((e) => e.stage)).toEqual(['K1', 'K2', 'K3']);
    expect(seen.client).toEqual(seen.server);
    const o = oracle.handshake({ context: new Uint8Array(0), keyId: KEY.keyId, clientSecret: KEY.secret, clientEphemeralPrivate: CLIENT_EPH, serverEphemeralPrivate: SERVER_EPH });
    expect(seen.client[0]!.fingerprint).toBe(oracle.fingerprintOf(o.k1));
    expect(seen.client[1]!.fingerprint).toBe(oracle.fingerprintOf(o.k2));
    expect(seen.client[2]!.fingerprint).toBe(oracle.fingerprintOf(noise.cat(o.k3.initiatorToResponder, o.k3.responderToInitiator, o.k3.exporter)));
    for (const e of seen.client) expect(e.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('an async resolver works; a throwing resolver fails respond() and leaves it retryable', async () => {
    const c = client();
    const message1 = c.writeMessage1();
    let attempts = 0;
    const s = server({
      resolveKey: async (id: string) => {
        attempts += 1;
        if (attempts === 1) throw new Error('key store offline');
        await new Promise((resolve) => setTimeout(resolve, 1));
        return id === KEY.keyId ? KEY.secret : undefined;
      },
    });
    await expect(s.respond(message1)).rejects.toThrow('key store offline');
    expect(s.state).toBe('initial');
    const { message2, session } = await s.respond(message1);
    const clientSession = c.readMessage2(message2);
    expect(session.open(clientSession.seal(utf8Of('x'))).type).toBe('data');
  });

  it('random ephemerals by default: every handshake has fresh messages and session ids', async () => {
    const run = async () => {
      const c = createClientHandshake({ apiKey: KEY.token });
      const s = createServerHandshake({ resolveKey: () => KEY.secret });
      const m1 = c.writeMessage1();
      const { message2 } = await s.respond(m1);
      return [hexOf(m1), c.readMessage2(message2).sessionId];
    };
    const [a, b] = [await run(), await run()];
    expect(a[0]).not.toBe(b[0]);
    expect(a[1]).not.toBe(b[1]);
  });
});

describe('authentication failures are indistinguishable (SPEC.md §5.4)', () => {
  it('wrong API key: the client fails on message 2 with ERR_AUTHENTICATION_FAILED', async () => {
    const wrong = generateApiKey();
    const c = client();
    const s = server({ resolveKey: () => wrong.secret });
    const { message2, session } = await s.respond(c.writeMessage1());
    expect(message2.length).toBe(48);
    expect(session.state).toBe('pending');
    const error = expectCode(() => c.readMessage2(message2), 'ERR_AUTHENTICATION_FAILED', AUTHENTICATION_FAILED_MESSAGE);
    expect((error.cause as { reason: string }).reason).toBe('message 2 payload');
  });

  it('unknown key id: same server behaviour (message 2 of 48 bytes, pending session), same client error', async () => {
    const c = client();
    const s = server({ resolveKey: () => undefined });
    const { message2, session } = await s.respond(c.writeMessage1());
    expect(message2.length).toBe(48);
    expect(hexOf(message2.subarray(0, 32))).toBe(hexOf(noise.publicKeyOf(SERVER_EPH)));
    expect(session.state).toBe('pending');
    expect(session.keyId).toBe(KEY.keyId);
    expectCode(() => c.readMessage2(message2), 'ERR_AUTHENTICATION_FAILED', AUTHENTICATION_FAILED_MESSAGE);
    // A dummy key is fresh per handshake: message 2 is as unpredictable as a wrong key's.
    const again = await server({ resolveKey: () => null }).respond(client().writeMessage1());
    expect(hexOf(again.message2)).not.toBe(hexOf(message2));
  });

  it('a client that ignores message 2 and sends records is rejected identically for a wrong and an unknown key', async () => {
    const attacker = generateApiKey();
    const results: string[] = [];
    for (const resolveKey of [() => KEY.secret, () => undefined]) {
      // The attacker claims KEY.keyId but holds another secret; it completes its own side.
      const c = createClientHandshake({ apiKey: { keyId: KEY.keyId, secret: attacker.secret }, fixedEphemeralPrivateKeyForTestingOnly: CLIENT_EPH });
      const s = server({ resolveKey });
      const m1 = c.writeMessage1();
      const { session } = await s.respond(m1);
      const o = oracle.handshake({ context: new Uint8Array(0), keyId: KEY.keyId, clientSecret: attacker.secret, clientEphemeralPrivate: CLIENT_EPH, serverEphemeralPrivate: SERVER_EPH });
      const forged = oracle.sealRecord(o.client.send, 'data', utf8Of('let me in'));
      const error = expectCode(() => session.open(forged), 'ERR_AUTHENTICATION_FAILED', AUTHENTICATION_FAILED_MESSAGE);
      results.push(`${error.name}|${error.code}|${error.message}`);
      expect(session.state).toBe('pending');
    }
    expect(results[0]).toBe(results[1]);
  });

  it('a man in the middle without the API key is detected: by the client at message 2, by the server at the first record', async () => {
    const mitmKey = { keyId: KEY.keyId, secret: generateApiKey().secret };
    const c = client();
    const realServer = server();
    // The MITM answers the client with its own (keyless) server side...
    const mitmServer = createServerHandshake({ resolveKey: () => mitmKey.secret });
    const m1 = c.writeMessage1();
    const toClient = await mitmServer.respond(m1);
    expectCode(() => c.readMessage2(toClient.message2), 'ERR_AUTHENTICATION_FAILED');
    // ...and talks to the real server with its own (keyless) client side.
    const mitmClient = createClientHandshake({ apiKey: mitmKey });
    const toServer = await realServer.respond(mitmClient.writeMessage1());
    expectCode(() => mitmClient.readMessage2(toServer.message2), 'ERR_AUTHENTICATION_FAILED');
    const o = oracle.handshake({ context: new Uint8Array(0), keyId: KEY.keyId, clientSecret: mitmKey.secret, clientEphemeralPrivate: CLIENT_EPH, serverEphemeralPrivate: SERVER_EPH });
    expectCode(() => toServer.session.open(oracle.sealRecord(o.client.send, 'data', new Uint8Array(0))), 'ERR_AUTHENTICATION_FAILED');
    expect(toServer.session.state).toBe('pending');
  });

  it('offline guessing needs an active attacker: one who sent message 1 can test guesses against message 2 (why keys are 256-bit random)', async () => {
    const attackerEph = bytesFromSeed(66, 32);
    const s = server();
    const attacker = createClientHandshake({ apiKey: { keyId: KEY.keyId, secret: generateApiKey().secret }, fixedEphemeralPrivateKeyForTestingOnly: attackerEph });
    const { message2 } = await s.respond(attacker.writeMessage1());
    const tryGuess = (guess: Uint8Array): boolean => {
      const p = noise.initialize(true, oracle.prologueFor(new Uint8Array(0)), guess, attackerEph);
      noise.writeMessage1(p, oracle.fromHexString(KEY.keyId));
      try {
        noise.readMessage2(p, message2);
        return true;
      } catch {
        return false;
      }
    };
    expect(tryGuess(generateApiKey().secret)).toBe(false);
    expect(tryGuess(KEY.secret)).toBe(true); // the right guess is recognisable offline
  });

  it('different contexts fail at message 1 (ERR_AUTHENTICATION_FAILED on the server)', async () => {
    const c = client({ context: 'app A' });
    const s = server({ context: 'app B' });
    await expectCodeAsync(() => s.respond(c.writeMessage1()), 'ERR_AUTHENTICATION_FAILED', AUTHENTICATION_FAILED_MESSAGE);
    expect(s.state).toBe('initial');
  });
});

describe('malformed, truncated and altered handshake messages', () => {
  it('message 1: every truncation, extension and oversize has its code; the server stays usable', async () => {
    const message1 = client().writeMessage1();
    const s = server();
    for (let length = 0; length < 60; length++) await expectCodeAsync(() => s.respond(message1.subarray(0, length)), 'ERR_MALFORMED_MESSAGE');
    for (const length of [61, 100, 65535]) {
      const long = new Uint8Array(length);
      long.set(message1);
      await expectCodeAsync(() => s.respond(long), 'ERR_MALFORMED_MESSAGE');
    }
    await expectCodeAsync(() => s.respond(new Uint8Array(65536)), 'ERR_MESSAGE_TOO_LARGE');
    await expectCodeAsync(() => s.respond('x' as unknown as Uint8Array), 'ERR_INVALID_ARGUMENT');
    expect(s.state).toBe('initial');
    expect((await s.respond(message1)).message2.length).toBe(48);
  });

  it('message 1: every single-bit flip → ERR_AUTHENTICATION_FAILED, the resolver is never called', async () => {
    const message1 = client().writeMessage1();
    let lookups = 0;
    const s = server({ resolveKey: () => ((lookups += 1), KEY.secret) });
    for (let bit = 0; bit < message1.length * 8; bit++) {
      await expectCodeAsync(() => s.respond(flipBit(message1, bit)), 'ERR_AUTHENTICATION_FAILED', AUTHENTICATION_FAILED_MESSAGE);
    }
    expect(lookups).toBe(0);
    await s.respond(message1);
    expect(lookups).toBe(1);
  });

  it('message 2: every truncation, extension, oversize and bit flip has its code; the real message 2 still works', async () => {
    const c = client();
    const { message2 } = await server().respond(c.writeMessage1());
    for (let length = 0; length < 48; length++) expectCode(() => c.readMessage2(message2.subarray(0, length)), 'ERR_MALFORMED_MESSAGE');
    for (const length of [49, 1000, 65535]) {
      const long = new Uint8Array(length);
      long.set(message2);
      expectCode(() => c.readMessage2(long), 'ERR_MALFORMED_MESSAGE');
    }
    expectCode(() => c.readMessage2(new Uint8Array(65536)), 'ERR_MESSAGE_TOO_LARGE');
    for (let bit = 0; bit < message2.length * 8; bit++) {
      expectCode(() => c.readMessage2(flipBit(message2, bit)), 'ERR_AUTHENTICATION_FAILED', AUTHENTICATION_FAILED_MESSAGE);
    }
    expect(c.state).toBe('sent');
    expect(c.readMessage2(message2).state).toBe('established');
  });

  it.skipIf(!LOW_ORDER_POINTS)('low-order client ephemeral: the server refuses with ERR_LOW_ORDER_POINT (all 14 encodings)', async () => {
    expect(LOW_ORDER_POINTS).toHaveLength(14);
    for (const point of LOW_ORDER_POINTS!) {
      const p = noise.initialize(true, oracle.prologueFor(new Uint8Array(0)), KEY.secret, CLIENT_EPH);
      p.e = { priv: CLIENT_EPH, pub: point };
      const message1 = noise.writeMessage1(p, oracle.fromHexString(KEY.keyId));
      const s = server();
      await expectCodeAsync(() => s.respond(message1), 'ERR_LOW_ORDER_POINT');
      expect(s.state).toBe('initial');
    }
  });

  it.skipIf(!LOW_ORDER_POINTS)('low-order server ephemeral: the client refuses with ERR_LOW_ORDER_POINT (all 14 encodings) and stays usable', async () => {
    const c = client();
    const { message2 } = await server().respond(c.writeMessage1());
    for (const point of LOW_ORDER_POINTS!) {
      const forged = message2.slice();
      forged.set(point);
      expectCode(() => c.readMessage2(forged), 'ERR_LOW_ORDER_POINT');
    }
    expect(c.readMessage2(message2).state).toBe('established');
  });
});

describe('handshake lifecycle and options', () => {
  it('calls in the wrong order → ERR_INVALID_STATE; after dispose → ERR_SESSION_DISPOSED', async () => {
    const c = client();
    expectCode(() => c.readMessage2(new Uint8Array(48)), 'ERR_INVALID_STATE');
    const message1 = c.writeMessage1();
    expectCode(() => c.writeMessage1(), 'ERR_INVALID_STATE');
    const s = server();
    const pending = s.respond(message1);
    await expectCodeAsync(() => s.respond(message1), 'ERR_INVALID_STATE');
    const { message2 } = await pending;
    await expectCodeAsync(() => s.respond(message1), 'ERR_INVALID_STATE');
    c.readMessage2(message2);
    expectCode(() => c.readMessage2(message2), 'ERR_INVALID_STATE');
    c.dispose();
    expectCode(() => c.writeMessage1(), 'ERR_SESSION_DISPOSED');
    expectCode(() => c.readMessage2(message2), 'ERR_SESSION_DISPOSED');
    s.dispose();
    await expectCodeAsync(() => s.respond(message1), 'ERR_SESSION_DISPOSED');
  });

  it('dispose while the resolver runs: respond() fails with ERR_SESSION_DISPOSED', async () => {
    let release!: () => void;
    const s = server({ resolveKey: () => new Promise<Uint8Array>((resolve) => (release = () => resolve(KEY.secret))) });
    const pending = s.respond(client().writeMessage1());
    await new Promise((resolve) => setTimeout(resolve, 0));
    s.dispose();
    release();
    await expectCodeAsync(() => pending, 'ERR_SESSION_DISPOSED');
  });

  it('option validation → caller errors', () => {
    expectCode(() => client({ rekeyAfterRecords: 0 }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => client({ rekeyAfterRecords: 1.5 }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => client({ context: 'x'.repeat(4097) }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => client({ context: 5 as unknown as string }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => client({ fixedEphemeralPrivateKeyForTestingOnly: new Uint8Array(8) }), 'ERR_INVALID_KEY_LENGTH');
    expectCode(() => createServerHandshake({ resolveKey: 'nope' as unknown as () => undefined }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => server({ eapiClockSkewMs: -1 }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => server({ eapiReplayCacheEntries: 0 }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => createClientHandshake(undefined as unknown as { apiKey: string }), 'ERR_INVALID_ARGUMENT');
  });

  it('a resolver returning a malformed secret is a caller error (ERR_INVALID_API_KEY), and the handshake stays usable', async () => {
    const message1 = client().writeMessage1();
    let bad = true;
    const s = server({ resolveKey: () => (bad ? new Uint8Array(16) : KEY.secret) });
    await expectCodeAsync(() => s.respond(message1), 'ERR_INVALID_API_KEY');
    bad = false;
    await s.respond(message1);
  });

  it('errors are typed with stable codes (isE2E2Error narrows)', async () => {
    try {
      await server().respond(new Uint8Array(3));
      expect.unreachable();
    } catch (error) {
      expect(isE2E2Error(error, 'ERR_MALFORMED_MESSAGE')).toBe(true);
      expect(isE2E2Error(error, 'ERR_AUTHENTICATION_FAILED')).toBe(false);
    }
  });
});
