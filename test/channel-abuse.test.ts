/**
 * Misbehaving raw WebSocket peers get the documented close codes (README "Close codes") while
 * well-behaved clients on the same server carry on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { connect } from '../bindings/channel/node.js';
import { CloseCode } from '../bindings/channel/close-codes.js';
import type { E2E2Server } from '../bindings/channel/server.js';
import { createClientHandshake } from '../bindings/e2e2/handshake.js';
import type { ClientSession } from '../bindings/e2e2/session.js';
import { memoryKeys, pattern, rawPeer, sleep, startEchoServer, type RawPeer } from './helpers/channel.js';

const keys = memoryKeys();
const HANDSHAKE_TIMEOUT_MS = 3000; // generous: good clients on a loaded CI machine must never hit it
let server: E2E2Server;
const handshakeErrors: string[] = [];

beforeAll(async () => {
  server = await startEchoServer(keys, {
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    // An asynchronous key store (30 ms per lookup), so "a message before message 2" is deterministic.
    keys: async (keyId) => {
      await sleep(30);
      return keys.resolve(keyId);
    },
    onHandshakeError: (error) => handshakeErrors.push((error as { code?: string }).code ?? 'unknown'),
  });
});
afterAll(() => server.close());

/** Good clients: connect, echo 20 messages with every byte checked, close; repeatedly, until stopped. */
function goodTraffic(clients: number) {
  let stop = false;
  let rounds = 0;
  const failures: unknown[] = [];
  const loops = Array.from({ length: clients }, async (_, id) => {
    while (!stop) {
      try {
        const channel = await connect(server.url, { apiKey: keys.add().token });
        const iterator = channel[Symbol.asyncIterator]();
        for (let i = 0; i < 20; i++) {
          const m = pattern(100 + i * 50, id * 1000 + rounds + i);
          channel.send(m);
          const r = await iterator.next();
          if (r.done || Buffer.compare(Buffer.from(r.value), Buffer.from(m)) !== 0) throw new Error('echo mismatch');
        }
        const info = await channel.close();
        if (info.error) throw info.error;
        rounds++;
      } catch (error) {
        failures.push(error);
        return;
      }
    }
  });
  return {
    async finish() {
      stop = true;
      await Promise.all(loops);
      return { rounds, failures };
    },
  };
}

/** A raw peer that has completed message 1 / message 2 with a real client handshake. */
async function handshaken(apiKey: string): Promise<{ peer: RawPeer; session: ClientSession }> {
  const peer = await rawPeer(server.url);
  const handshake = createClientHandshake({ apiKey });
  peer.ws.send(handshake.writeMessage1());
  const session = handshake.readMessage2(await peer.nextMessage());
  return { peer, session };
}

async function closeOf(peer: RawPeer): Promise<number> {
  return (await peer.closed).code;
}

describe('misbehaving peers get documented close codes; good clients carry on', () => {
  it('handshake-phase abuse', async () => {
    const traffic = goodTraffic(4);
    const results: Record<string, number> = {};

    // A text message where message 1 belongs.
    let peer = await rawPeer(server.url);
    peer.ws.send('hello');
    results.text = await closeOf(peer);

    // Message 1 of the wrong length.
    peer = await rawPeer(server.url);
    peer.ws.send(randomBytes(10));
    results.shortMessage1 = await closeOf(peer);

    // A message-2-shaped message first (48 bytes): wrong length for message 1.
    peer = await rawPeer(server.url);
    peer.ws.send(randomBytes(48));
    results.outOfOrderMessage2 = await closeOf(peer);

    // 60 random bytes: message 1's length, but its payload does not authenticate.
    peer = await rawPeer(server.url);
    peer.ws.send(randomBytes(60));
    results.forgedMessage1 = await closeOf(peer);

    // Larger than the maximum message size: refused by the WebSocket layer before buffering.
    peer = await rawPeer(server.url);
    peer.ws.send(randomBytes(70_000));
    results.oversized = await closeOf(peer);

    // A valid message 1, then another message before message 2 was sent.
    peer = await rawPeer(server.url);
    peer.ws.send(createClientHandshake({ apiKey: keys.add().token }).writeMessage1());
    peer.ws.send(randomBytes(17));
    results.beforeMessage2 = await closeOf(peer);

    // Valid message 1, then a key confirmation that does not authenticate.
    let h = await handshaken(keys.add().token);
    h.peer.ws.send(randomBytes(40));
    results.forgedConfirmation = await closeOf(h.peer);

    // Valid message 1 with an unknown key id (the server continues with a dummy key), then a forged confirmation.
    const unknown = keys.add();
    keys.revoke(unknown.keyId);
    peer = await rawPeer(server.url);
    peer.ws.send(createClientHandshake({ apiKey: unknown.token }).writeMessage1());
    expect((await peer.nextMessage()).length).toBe(48);
    peer.ws.send(randomBytes(17));
    results.unknownKeyConfirmation = await closeOf(peer);

    // An authentic first record that is not the empty key confirmation.
    h = await handshaken(keys.add().token);
    h.peer.ws.send(h.session.seal(new TextEncoder().encode('data before confirmation')));
    results.nonEmptyConfirmation = await closeOf(h.peer);

    // A CLOSE record as the first record.
    h = await handshaken(keys.add().token);
    h.peer.ws.send(h.session.close());
    results.closeAsConfirmation = await closeOf(h.peer);

    // Message 1, then silence: the handshake timeout.
    h = await handshaken(keys.add().token);
    results.silentAfterMessage2 = await closeOf(h.peer);

    // Silence from the start.
    peer = await rawPeer(server.url);
    results.silent = await closeOf(peer);

    const { rounds, failures } = await traffic.finish();
    expect(failures).toEqual([]);
    expect(rounds).toBeGreaterThan(0);
    expect(results).toEqual({
      text: CloseCode.PROTOCOL_VIOLATION,
      shortMessage1: CloseCode.PROTOCOL_VIOLATION,
      outOfOrderMessage2: CloseCode.PROTOCOL_VIOLATION,
      forgedMessage1: CloseCode.AUTHENTICATION_FAILED,
      oversized: CloseCode.MESSAGE_TOO_BIG,
      beforeMessage2: CloseCode.PROTOCOL_VIOLATION,
      forgedConfirmation: CloseCode.AUTHENTICATION_FAILED,
      unknownKeyConfirmation: CloseCode.AUTHENTICATION_FAILED,
      nonEmptyConfirmation: CloseCode.PROTOCOL_VIOLATION,
      closeAsConfirmation: CloseCode.PROTOCOL_VIOLATION,
      silentAfterMessage2: CloseCode.HANDSHAKE_TIMEOUT,
      silent: CloseCode.HANDSHAKE_TIMEOUT,
    });
    expect(handshakeErrors).toEqual(expect.arrayContaining(['ERR_MALFORMED_MESSAGE', 'ERR_AUTHENTICATION_FAILED', 'ERR_HANDSHAKE_TIMEOUT']));
    console.log(`[channel-abuse] ${rounds} good client rounds (20 echoes each) completed during the handshake abuse`);
  });

  it('session-phase abuse', async () => {
    const traffic = goodTraffic(4);
    const results: Record<string, number> = {};
    const established = async () => {
      const h = await handshaken(keys.add().token);
      h.peer.ws.send(h.session.seal(new Uint8Array(0)));
      // Prove the channel is up: an echo round trip.
      h.peer.ws.send(h.session.seal(Uint8Array.of(1, 2, 3)));
      const echoed = h.session.open(await h.peer.nextMessage());
      expect(echoed).toEqual({ type: 'data', data: Uint8Array.of(1, 2, 3) });
      return h;
    };

    let h = await established();
    h.peer.ws.send(randomBytes(64));
    results.forgedRecord = await closeOf(h.peer);

    h = await established();
    const record = h.session.seal(Uint8Array.of(9));
    h.peer.ws.send(record);
    await h.peer.nextMessage();
    h.peer.ws.send(record);
    results.replayedRecord = await closeOf(h.peer);

    h = await established();
    h.peer.ws.send(randomBytes(5));
    results.shortRecord = await closeOf(h.peer);

    h = await established();
    h.peer.ws.send('text');
    results.text = await closeOf(h.peer);

    h = await established();
    h.peer.ws.send(randomBytes(65_536));
    results.oversized = await closeOf(h.peer);

    h = await established();
    h.peer.ws.send(createClientHandshake({ apiKey: keys.add().token }).writeMessage1());
    results.secondMessage1 = await closeOf(h.peer);

    // A clean end for comparison: our CLOSE record, the server answers with its own, then 1000.
    h = await established();
    h.peer.ws.send(h.session.close());
    expect(h.session.open(await h.peer.nextMessage())).toEqual({ type: 'close' });
    results.clean = await closeOf(h.peer);

    const { rounds, failures } = await traffic.finish();
    expect(failures).toEqual([]);
    expect(rounds).toBeGreaterThan(0);
    expect(results).toEqual({
      forgedRecord: CloseCode.AUTHENTICATION_FAILED,
      replayedRecord: CloseCode.AUTHENTICATION_FAILED,
      shortRecord: CloseCode.PROTOCOL_VIOLATION,
      text: CloseCode.PROTOCOL_VIOLATION,
      oversized: CloseCode.MESSAGE_TOO_BIG,
      secondMessage1: CloseCode.AUTHENTICATION_FAILED,
      clean: CloseCode.NORMAL,
    });
  });

  it('too many pending handshakes: 4004 for the excess, service resumes when they clear', async () => {
    const local = memoryKeys();
    const busy = await startEchoServer(local, { maxPendingHandshakes: 4, handshakeTimeoutMs: 3000 });
    try {
      const idle = await Promise.all([0, 1, 2, 3].map(() => rawPeer(busy.url)));
      await sleep(50);
      expect(busy.stats.pendingHandshakes).toBe(4);
      const refusedPeer = await rawPeer(busy.url);
      expect(await closeOf(refusedPeer)).toBe(CloseCode.SERVER_BUSY);
      const refused = await connect(busy.url, { apiKey: local.add().token }).then(
        () => 'connected',
        (error: { code?: string }) => error.code,
      );
      expect(refused).toBe('ERR_SERVER_BUSY');
      for (const p of idle) expect(await closeOf(p)).toBe(CloseCode.HANDSHAKE_TIMEOUT);
      const channel = await connect(busy.url, { apiKey: local.add().token });
      channel.send('after the storm');
      const r = await channel[Symbol.asyncIterator]().next();
      expect(new TextDecoder().decode(r.value as Uint8Array)).toBe('after the storm');
      await channel.close();
      expect(busy.stats.busyRejections).toBe(2);
    } finally {
      await busy.close();
    }
  });
});
