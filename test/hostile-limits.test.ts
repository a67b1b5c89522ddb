/**
 * Pre-authentication limits and handshake hygiene from hardening.md, attacked one at a time:
 * the message-1 deadline (4003 long before handshakeTimeoutMs), the per-address share of pending
 * handshakes (4004 for the flooding address, not for others), keepalive (a silent authenticated
 * peer is closed with 4008), typed onHandshakeError for what the server itself detected, and a
 * resolver's buffer is never written to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { createServer } from '../bindings/channel/server.js';
import { generateApiKey } from '../bindings/e2e2/api-key.js';
import { createClientHandshake } from '../bindings/e2e2/handshake.js';
import { echoHandler, rawPeer, sleep } from './helpers/channel.js';
import { startFixture, type Fixture } from './helpers/hostile/fixture.js';
import { expectServes, roundTrip, within } from './helpers/hostile/legit.js';
import { rawUpgrade } from './helpers/hostile/raw-http.js';
import { rawChannel } from './helpers/hostile/raw-channel.js';
import { frame, OP } from './helpers/hostile/frames.js';
import { tinyFragments } from './helpers/hostile/fuzz-cases.js';

const WAIT_MS = 20_000;

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

describe('pre-authentication limits', () => {
  it('a connection that upgrades and sends nothing is closed with 4003 long before handshakeTimeoutMs', { timeout: 60_000 }, async () => {
    fixture = await startFixture({ options: { message1TimeoutMs: 1500, handshakeTimeoutMs: 60_000 } });
    const idle = await rawUpgrade(fixture.port, '/');
    const code = await within(idle.closeFrame, WAIT_MS, `no close frame within ${WAIT_MS} ms`);
    idle.socket.destroy();
    expect(code).toBe(4003);
    await expectServes(fixture);
  });

  it('200 idle upgraded connections from 127.0.0.2 do not make 127.0.0.1 busy (4004)', { timeout: 90_000 }, async () => {
    // Global cap below 200 but above the per-address share (64): only the per-address share keeps room for others.
    fixture = await startFixture({ options: { maxPendingHandshakes: 128, message1TimeoutMs: 120_000, handshakeTimeoutMs: 120_000 } });
    const open = new Set<WebSocket>();
    const codes: Record<number, number> = {};
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 200) {
          next++;
          await new Promise<void>((resolve) => {
            const ws = new WebSocket(fixture!.url, { localAddress: '127.0.0.2', perMessageDeflate: false });
            ws.on('error', () => {});
            ws.on('open', () => {
              open.add(ws);
              resolve();
            });
            ws.on('close', (code) => {
              open.delete(ws);
              codes[code] = (codes[code] ?? 0) + 1;
              resolve();
            });
          });
        }
      }),
    );
    try {
      await roundTrip(fixture.url, fixture.tokens[0]!);
      // The flooding address keeps at most its share (4004 closes may still be on their way).
      for (let waited = 0; open.size > 64 && waited < WAIT_MS; waited += 100) await sleep(100);
      expect(open.size, `attacker connections still pending; close codes ${JSON.stringify(codes)}`).toBeLessThanOrEqual(64);
      expect(codes[4004]).toBeGreaterThan(0);
    } finally {
      for (const ws of open) ws.terminate();
    }
    await expectServes(fixture);
  });
});

describe('keepalive', () => {
  it('an authenticated peer that never answers a ping is closed with 4008', { timeout: 60_000 }, async () => {
    fixture = await startFixture({ options: { keepaliveIntervalMs: 1000, keepaliveTimeoutMs: 1000 } });
    const { ws } = await rawChannel(fixture.port, '/', fixture.tokens[0]!);
    const code = await within(ws.closeFrame, WAIT_MS, `no close frame within ${WAIT_MS} ms`);
    ws.socket.destroy();
    expect(ws.frames.some((f) => f.opcode === OP.PING), 'the server pinged').toBe(true);
    expect(code).toBe(4008);
    await expectServes(fixture);
  });
});

describe('onHandshakeError gets the error the server detected, not a generic 1006', () => {
  const cases = [
    { name: 'a frame declaring 70,000 bytes', bytes: () => frame({ opcode: OP.BINARY, declaredLength: 70_000, payload: randomBytes(100) }), close: 1009, error: 'ERR_MESSAGE_TOO_LARGE' },
    { name: 'an unmasked frame', bytes: () => frame({ opcode: OP.BINARY, masked: false, payload: randomBytes(60) }), close: 1002, error: 'ERR_MALFORMED_MESSAGE' },
    { name: 'text that is not UTF-8', bytes: () => frame({ opcode: OP.TEXT, payload: Uint8Array.of(0xc3, 0x28) }), close: 1007, error: 'ERR_MALFORMED_MESSAGE' },
    { name: '2,000 empty fragments', bytes: () => tinyFragments(2000), close: 1008, error: 'ERR_MALFORMED_MESSAGE' },
  ];
  for (const { name, bytes, close, error } of cases) {
    it(`${name}: close ${close}, ${error}`, { timeout: 60_000 }, async () => {
      fixture = await startFixture({ reportHandshakeErrors: true });
      const ws = await rawUpgrade(fixture.port, '/');
      ws.socket.write(bytes());
      const code = await within(ws.closeFrame, 8000, 'no close frame within 8 s');
      // Drop the TCP connection without answering the close frame, as an attacker would.
      ws.socket.destroy();
      const reported = await fixture.waitFor((e) => e.type === 'handshakeError', WAIT_MS);
      expect(code).toBe(close);
      expect(reported?.error?.code, `onHandshakeError: ${reported?.error?.message}`).toBe(error);
      await expectServes(fixture);
    });
  }
});

describe("the resolver's buffer", () => {
  it('is never written to: a forged message 1 naming the key, then the real key still connects', { timeout: 60_000 }, async () => {
    const key = generateApiKey();
    const stored = new Map([[key.keyId, key.secret.slice()]]);
    const pristine = key.secret.slice();
    // The resolver hands out the stored buffer itself, as a cache would.
    const server = await createServer({ keys: (keyId) => stored.get(keyId), host: '127.0.0.1', port: 0, onChannel: echoHandler });
    try {
      const forged = await rawPeer(server.url);
      forged.ws.send(createClientHandshake({ apiKey: { keyId: key.keyId, secret: randomBytes(32) } }).writeMessage1());
      await within(forged.nextMessage(), WAIT_MS, undefined).catch(() => undefined);
      forged.ws.terminate();
      await forged.closed;
      expect(Buffer.from(stored.get(key.keyId)!).equals(Buffer.from(pristine)), 'the stored secret was overwritten').toBe(true);
      await roundTrip(server.url, key.token);
      expect(Buffer.from(stored.get(key.keyId)!).equals(Buffer.from(pristine))).toBe(true);
    } finally {
      await server.close();
    }
  });
});
