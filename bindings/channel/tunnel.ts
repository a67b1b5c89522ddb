/**
 * Byte-stream tunnels over channels (Node): a channel piped to a TCP socket both ways, with
 * backpressure in both directions and TCP half-close carried by the E2-E2 CLOSE record.
 *
 *   e2e2 connect --listen 9000 URL          e2e2 serve --forward host:port
 *   TCP client -> [listen] ==== channel ==== [server] -> TCP service
 *
 * A FIN from either TCP side becomes `channel.end()` (our CLOSE record); the peer's CLOSE record
 * becomes a FIN on the other TCP side; the WebSocket closes once both directions ended. A TCP
 * error destroys the channel (1011), and a channel error or truncation resets the TCP socket (RST).
 */
import { connect as netConnect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ConnectionClosedError } from '../errors.js';
import type { Channel } from './channel.js';
import type { ConnectOptions } from './client.js';
import { connect } from './node.js';
import { createServer, type E2E2Server, type ServerOptions } from './server.js';

/**
 * Pipe `channel` and `tcp` both ways until both have ended or either failed, honouring backpressure
 * in both directions (a full WebSocket pauses TCP reads; a full TCP socket pauses the channel).
 * A channel that ends without the peer's CLOSE record (truncated, failed) resets the TCP side, so
 * the TCP peer never mistakes a cut stream for a complete one. Resolves when the channel closed.
 */
export function pipeChannelToSocket(channel: Channel, tcp: Socket): Promise<void> {
  tcp.on('data', (chunk: Buffer) => {
    if (!channel.writable) return;
    if (!channel.write(chunk)) tcp.pause();
  });
  channel.on('drain', () => tcp.resume());
  tcp.on('end', () => channel.end());
  tcp.on('error', () => {});
  tcp.on('close', (hadError) => {
    if (hadError || channel.writable) {
      void channel.destroy(new ConnectionClosedError('the TCP side of the tunnel failed or closed without finishing', { closeCode: 1011 }));
    }
  });
  channel.on('message', (data) => {
    if (!tcp.write(data)) channel.pause();
  });
  tcp.on('drain', () => channel.resume());
  channel.on('end', () => tcp.end());
  return channel.closed.then((info) => {
    if (info.error) tcp.resetAndDestroy();
    else tcp.end();
  });
}

/** The channel handler of a forwarding server: each channel piped to a new TCP connection to `target`. */
export function forwardTo(target: { host: string; port: number }): (channel: Channel) => Promise<void> {
  return (channel) => pipeChannelToSocket(channel, netConnect({ host: target.host, port: target.port, allowHalfOpen: true }));
}

/** Serve channels that each forward to a TCP service at host:port. */
export function createForwardServer(target: { host: string; port: number }, options: Omit<ServerOptions, 'onChannel' | 'allowHalfOpen'>): Promise<E2E2Server> {
  return createServer({ ...options, allowHalfOpen: true, onChannel: forwardTo(target) });
}

/** A listening tunnel end (listenTunnel / createForwardServer). */
export interface TunnelListener {
  readonly server: NetServer;
  readonly port: number;
  /** Stop listening and close its connections. */
  close(): Promise<void>;
}

/** Listen on a local TCP port; each connection gets its own channel to `url`. */
export async function listenTunnel(
  url: string,
  listen: { host?: string; port: number },
  options: Omit<ConnectOptions, 'allowHalfOpen'>,
  onError?: (error: unknown) => void,
): Promise<TunnelListener> {
  const sockets = new Set<Socket>();
  const server = createNetServer({ allowHalfOpen: true, pauseOnConnect: true }, (tcp) => {
    sockets.add(tcp);
    tcp.on('close', () => sockets.delete(tcp));
    connect(url, { ...options, allowHalfOpen: true }).then(
      (channel) => {
        void pipeChannelToSocket(channel, tcp);
        tcp.resume();
      },
      (error: unknown) => {
        onError?.(error);
        tcp.resetAndDestroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
