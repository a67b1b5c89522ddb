/**
 * The TCP adapter (bindings/channel/tcp-socket.ts) when the reader pauses in the middle of the
 * peer's last chunk: Node emits 'end' after that chunk's 'data' even while paused, so the frames
 * still waiting in the adapter (the peer's CLOSE record among them) must be delivered on resume
 * before our FIN goes out and the socket closes. Before the fix they were dropped and a clean end
 * looked like a truncation (1006): `e2e2 connect tcp://` lost the tail of its output when stdout
 * was slower than the network.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { encodeFrame } from '../bindings/e2e2/framing.js';
import { adaptTcpSocket } from '../bindings/channel/tcp-socket.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A peer that writes `frames` in one chunk, then FIN; resolves with our connected socket. */
function peerSendingThenEnding(frames: Uint8Array[]): Promise<Socket> {
  return new Promise((resolve) => {
    server = createServer({ allowHalfOpen: true }, (peer) => {
      peer.on('error', () => {});
      peer.end(Buffer.concat(frames.map((f) => encodeFrame(f))));
      peer.resume();
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server!.address() as { port: number }).port;
      const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      socket.once('connect', () => resolve(socket));
    });
  });
}

describe('TCP adapter: pause in the middle of the last chunk, then the peer FIN', () => {
  it('delivers every frame on resume, then closes; nothing is dropped', async () => {
    const frames = Array.from({ length: 8 }, (_, i) => new Uint8Array(100 + i).fill(i + 1));
    const tcp = await peerSendingThenEnding(frames);
    const socket = adaptTcpSocket(tcp, { maxMessageBytes: 65_535, frameTimeoutMs: 10_000, keepaliveIntervalMs: 0 });
    const received: Uint8Array[] = [];
    let closedWith: number | undefined;
    let receivedWhenClosed = -1;
    const closed = new Promise<void>((resolve) => {
      socket.onClose = (code) => {
        closedWith = code;
        receivedWhenClosed = received.length;
        resolve();
      };
    });
    socket.onMessage = (message) => {
      received.push(message);
      // Pause after each message, as a consumer whose output is slower than the network does.
      socket.pause();
      setTimeout(() => socket.resume(), 5);
    };
    await closed;
    expect(receivedWhenClosed).toBe(frames.length);
    expect(received.map((m) => [m.length, m[0]])).toEqual(frames.map((f) => [f.length, f[0]]));
    // We did not close first: the peer's FIN is reported as a close without a close frame.
    expect(closedWith).toBe(1006);
  });

  it('a peer FIN while nothing waits still ends our side and closes at once', async () => {
    const tcp = await peerSendingThenEnding([]);
    const socket = adaptTcpSocket(tcp, { maxMessageBytes: 65_535, frameTimeoutMs: 10_000, keepaliveIntervalMs: 0 });
    const code = await new Promise<number>((resolve) => (socket.onClose = (c) => resolve(c)));
    expect(code).toBe(1006);
  });
});
