/**
 * Tunnels (bindings/channel/tunnel.ts), pinned for mutation testing (issue 13): pipeChannelToSocket
 * between an in-memory channel pair and a real loopback TCP connection (bytes both ways, FIN as the
 * CLOSE record, backpressure both ways, truncation as RST, TCP failure as 1011), and one small
 * listenTunnel -> createForwardServer -> TCP service round trip.
 */
import { once } from 'node:events';
import { connect as tcpConnect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createForwardServer, listenTunnel, pipeChannelToSocket } from '../bindings/channel/tunnel.js';
import { MAX_RECORD_DATA_BYTES } from '../bindings/channel/channel.js';
import type { ChannelSettings } from '../bindings/channel/channel.js';
import { memoryKeys } from './helpers/channel.js';
import { channelPair, settle } from './helpers/memory-socket.js';

/** Both ends of one loopback TCP connection (half-open allowed on both). */
async function tcpPair(): Promise<{ app: Socket; tunnel: Socket; close: () => void }> {
  const server = createTcpServer({ allowHalfOpen: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const app = tcpConnect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  const [tunnel] = await accepted;
  await once(app, 'connect').catch(() => {});
  server.close();
  return { app, tunnel, close: () => (app.destroy(), tunnel.destroy()) };
}

function collectTcp(socket: Socket): { data: () => string; ended: Promise<void>; closed: Promise<boolean> } {
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString()));
  socket.on('error', () => {});
  return {
    data: () => text,
    ended: new Promise((resolve) => socket.once('end', () => resolve())),
    closed: new Promise((resolve) => socket.once('close', resolve)),
  };
}

async function setup(options: { client?: Partial<ChannelSettings>; server?: Partial<ChannelSettings> } = {}) {
  const pair = await channelPair({ client: { allowHalfOpen: true, ...options.client }, server: options.server });
  const tcp = await tcpPair();
  const piped = pipeChannelToSocket(pair.client, tcp.tunnel);
  return { ...pair, ...tcp, piped };
}

describe('pipeChannelToSocket', () => {
  it('bytes both ways; the TCP FIN is our CLOSE record and the peer\'s CLOSE a FIN; resolves at a clean close', async () => {
    const { server, app, piped, client } = await setup({ server: { allowHalfOpen: true } });
    const atApp = collectTcp(app);
    const atServer: string[] = [];
    server.on('message', (d) => atServer.push(new TextDecoder().decode(d)));
    let serverEnded = false;
    server.on('end', () => (serverEnded = true));
    app.write('hello');
    server.send('world');
    for (let i = 0; i < 500 && (atServer.length === 0 || atApp.data() === ''); i++) await new Promise((r) => setTimeout(r, 2));
    expect(atServer.join('')).toBe('hello');
    expect(atApp.data()).toBe('world');
    app.end();
    for (let i = 0; i < 500 && !serverEnded; i++) await new Promise((r) => setTimeout(r, 2));
    expect(serverEnded).toBe(true);
    // Half-open: the service side can still answer after the client's FIN.
    server.send('late answer');
    server.end();
    await atApp.ended;
    await piped;
    expect(atApp.data()).toBe('worldlate answer');
    expect((await client.closed).error).toBeUndefined();
    expect(await atApp.closed).toBe(false);
  });

  it('a truncated channel resets the TCP connection', async () => {
    const { app, piped, serverSocket } = await setup();
    const atApp = collectTcp(app);
    const errors: string[] = [];
    app.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? ''));
    serverSocket.terminate();
    await piped;
    expect(await atApp.closed).toBe(true);
    expect(errors).toEqual(['ECONNRESET']);
  });

  it('a TCP side that fails or closes without finishing destroys the channel (1011, no CLOSE record)', async () => {
    const { app, piped, client, clientSocket, server } = await setup();
    app.resetAndDestroy();
    await piped;
    const info = await client.closed;
    expect(clientSocket.sent.length).toBe(0);
    expect(clientSocket.closeCalls).toEqual([[1011, 'internal error']]);
    expect(info.error).toMatchObject({ code: 'ERR_CONNECTION_CLOSED', message: 'the TCP side of the tunnel failed or closed without finishing', closeCode: 1011 });
    expect((await server.closed).error?.code).toBe('ERR_CONNECTION_CLOSED');
  });

  it('a TCP close after our CLOSE record is no failure', async () => {
    const { app, tunnel, piped, client, clientSocket } = await setup({ server: { allowHalfOpen: true } });
    collectTcp(app);
    client.end();
    expect(client.writable).toBe(false);
    tunnel.destroy();
    await settle();
    expect(clientSocket.closeCalls).toEqual([]);
    expect(client.state).toBe('open');
    app.destroy();
    await client.destroy();
    await piped;
  });

  it('a full channel pauses TCP reads until drain; TCP data after our CLOSE is dropped', async () => {
    const { app, tunnel, clientSocket, client, server, close } = await setup({ client: { writableHighWaterMark: 10 } });
    const atServer: number[] = [];
    server.on('message', (d) => atServer.push(d.length));
    clientSocket.bufferedAmount = 10;
    app.write('x');
    for (let i = 0; i < 500 && !tunnel.isPaused(); i++) await new Promise((r) => setTimeout(r, 2));
    expect(tunnel.isPaused()).toBe(true);
    clientSocket.flush();
    await settle();
    expect(tunnel.isPaused()).toBe(false);
    client.end();
    app.write('dropped');
    await new Promise((r) => setTimeout(r, 30));
    expect(atServer).toEqual([1]);
    close();
  });

  it('a full TCP socket pauses the channel until the socket drains', async () => {
    const { app, clientSocket, server, close } = await setup();
    app.pause();
    const big = new Uint8Array(4 * MAX_RECORD_DATA_BYTES);
    // Enough for the kernel buffers to fill and tcp.write() to return false.
    for (let i = 0; i < 64 && clientSocket.pauseCalls === 0; i++) {
      server.write(big);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(clientSocket.pauseCalls).toBeGreaterThan(0);
    const resumesBefore = clientSocket.resumeCalls;
    app.resume();
    for (let i = 0; i < 1000 && clientSocket.resumeCalls === resumesBefore; i++) await new Promise((r) => setTimeout(r, 2));
    expect(clientSocket.resumeCalls).toBeGreaterThan(resumesBefore);
    close();
  });
});

describe('listenTunnel and createForwardServer', () => {
  it('a TCP client through the tunnel reaches the service, half-close included; a refused connect resets the TCP client', async () => {
    const service = createTcpServer({ allowHalfOpen: true }, (socket) => {
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => socket.end(`got ${text}`));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    const keys = memoryKeys();
    const forward = await createForwardServer({ host: '127.0.0.1', port: (service.address() as AddressInfo).port }, { keys: keys.resolve, host: '127.0.0.1', port: 0 });
    const tunnel = await listenTunnel(forward.url, { port: 0 }, { apiKey: keys.add().token });
    const errors: unknown[] = [];
    const refused = await listenTunnel(forward.url, { host: '127.0.0.1', port: 0 }, { apiKey: keys.add().token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) }, (e) => errors.push(e));
    try {
      expect(tunnel.server.address()).toMatchObject({ address: '127.0.0.1', port: tunnel.port });
      const client = tcpConnect({ port: tunnel.port, host: '127.0.0.1', allowHalfOpen: true });
      const at = collectTcp(client);
      client.end('ping');
      await at.ended;
      expect(at.data()).toBe('got ping');
      const bad = tcpConnect({ port: refused.port, host: '127.0.0.1' });
      const badAt = collectTcp(bad);
      expect(await badAt.closed).toBe(true);
      expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['ERR_AUTHENTICATION_FAILED']);
      // close() ends open connections too.
      const open = tcpConnect({ port: tunnel.port, host: '127.0.0.1' });
      const openAt = collectTcp(open);
      await once(open, 'connect');
      await tunnel.close();
      await openAt.closed;
      expect(tunnel.server.listening).toBe(false);
    } finally {
      await refused.close();
      await forward.close();
      service.close();
    }
  });

  it('listenTunnel rejects when the port is taken', async () => {
    const taken = createTcpServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      await expect(listenTunnel('ws://127.0.0.1:1', { port: (taken.address() as AddressInfo).port }, { apiKey: memoryKeys().add().token })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      taken.close();
    }
  });
});
