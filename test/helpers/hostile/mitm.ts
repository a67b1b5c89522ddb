/**
 * A truncating man in the middle: a loopback TCP proxy that forwards a WebSocket connection both
 * ways, except that in one direction it holds back the last `holdBack` frames and, when the real
 * close frame comes, drops them and sends a forged close frame with code 1000 instead. An attacker
 * on the path can do exactly this: WebSocket framing and close frames are not authenticated; only
 * the E2-E2 CLOSE record inside them is.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { closePayload, frame, FrameReader, OP } from './frames.js';

export interface TruncationPlan {
  /** Which endpoint receives the truncated stream. */
  toward: 'client' | 'server';
  /** Frames forwarded at once at the start (the handshake needs its messages promptly). */
  passFirst: number;
  /** Frames held back after those; the tail this many frames long is dropped at the close. */
  holdBack: number;
}

export interface TruncatingProxy {
  port: number;
  /** Connections whose tail was cut. */
  readonly cuts: number;
  /** Destroy every proxied connection at once, both sides (an abrupt cut, no close frame). */
  killAll(): void;
  close(): Promise<void>;
}

export async function truncatingProxy(targetPort: number, plan: TruncationPlan): Promise<TruncatingProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let cuts = 0;
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    for (const socket of pair) {
      socket.on('error', destroyBoth);
      socket.on('close', destroyBoth);
    }
    const [from, to] = plan.toward === 'client' ? [upstream, client] : [client, upstream];
    // The untouched direction: bytes as they come, FIN as it comes.
    to.pipe(from);
    // The truncated direction: the HTTP head as it is, then whole frames only.
    let head: Buffer | undefined = Buffer.alloc(0);
    const reader = new FrameReader();
    const held: Buffer[] = [];
    let forwarded = 0;
    let cut = false;
    from.on('data', (chunk: Buffer) => {
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        to.write(head.subarray(0, end + 4));
        chunk = head.subarray(end + 4);
        head = undefined;
      }
      for (const f of reader.push(chunk)) {
        if (cut) continue;
        if (f.opcode === OP.CLOSE) {
          cut = true;
          cuts++;
          held.length = 0;
          to.write(frame({ opcode: OP.CLOSE, payload: closePayload(1000, 'closed'), masked: plan.toward === 'server' }));
        } else if (forwarded < plan.passFirst) {
          forwarded++;
          to.write(f.raw);
        } else {
          held.push(Buffer.from(f.raw));
          while (held.length > plan.holdBack) to.write(held.shift()!);
        }
      }
    });
    from.on('end', () => to.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: TruncatingProxy = {
    port: (server.address() as AddressInfo).port,
    get cuts() {
      return cuts;
    },
    killAll() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    close() {
      proxy.killAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
