/** Raw TCP peers for the hostile suite: arbitrary request bytes, and hand-made WebSocket upgrades. */
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { closeCodeOf, FrameReader, OP, type ParsedFrame } from './frames.js';

/** A well-formed WebSocket upgrade request for `path`. */
export function upgradeRequest(port: number, path: string, extraHeaders = ''): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`
  );
}

/** Open a TCP connection to 127.0.0.1:port (optionally from another loopback source address). */
export function tcp(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Resolves once the socket is closed, or after `ms` (then it is destroyed); true if the peer closed it. */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Send `chunks` (one write each), half-close, and collect whatever comes back until the server
 * closes or `ms` passed. A refused or reset connection is a normal outcome for hostile input.
 */
export async function exchange(port: number, chunks: (string | Uint8Array)[], ms = 3000): Promise<Buffer> {
  let socket: Socket;
  try {
    socket = await tcp(port);
  } catch {
    return Buffer.alloc(0);
  }
  const received: Buffer[] = [];
  socket.on('data', (d: Buffer) => received.push(d));
  for (const chunk of chunks) if (!socket.destroyed) socket.write(chunk);
  if (!socket.destroyed) socket.end();
  await closedWithin(socket, ms);
  return Buffer.concat(received);
}

/** A connection upgraded to WebSocket by hand: frames from the server are parsed as they come. */
export interface RawWebSocket {
  socket: Socket;
  frames: ParsedFrame[];
  /** Resolves with the code of the server's close frame, or undefined if the TCP connection ended without one. */
  closeFrame: Promise<number | undefined>;
  /** Resolves when the TCP connection is closed. */
  closed: Promise<void>;
}

/** Upgrade by hand; rejects unless the server answers 101. */
export async function rawUpgrade(port: number, path: string, localAddress?: string): Promise<RawWebSocket> {
  const socket = await tcp(port, localAddress);
  const reader = new FrameReader();
  const frames: ParsedFrame[] = [];
  let resolveClose!: (code: number | undefined) => void;
  const closeFrame = new Promise<number | undefined>((resolve) => (resolveClose = resolve));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void closed.then(() => resolveClose(undefined));
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    let upgraded = false;
    const onData = (chunk: Buffer) => {
      if (!upgraded) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = head.subarray(0, head.indexOf('\r\n')).toString();
        if (!/^HTTP\/1\.1 101 /.test(status)) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        upgraded = true;
        chunk = head.subarray(end + 4);
        resolve({ socket, frames, closeFrame, closed });
      }
      for (const f of reader.push(chunk)) {
        frames.push(f);
        if (f.opcode === OP.CLOSE) resolveClose(closeCodeOf(f));
      }
    };
    socket.on('data', onData);
    void closed.then(() => reject(new Error('closed before the upgrade')));
    socket.write(upgradeRequest(port, path));
  });
}
