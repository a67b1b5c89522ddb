/**
 * The baselines the E2-E2 channel is measured against, on the same loopback and in the same
 * process: WebSocket over TLS 1.3 (`wss://`, node:tls, self-signed Ed25519 certificate made at
 * run time, one chosen TLS 1.3 cipher suite) and plain `ws://`. Both use the `ws` package with
 * permessage-deflate off, exactly like the channel.
 *
 * Server behaviour matches the e2e2 bench server: every message is counted, and a 1-byte message
 * is a sync marker answered with 1 byte, so a client can send a batch and wait until the server
 * has received (and, for TLS, decrypted) all of it.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { selfSignedEd25519 } from './tls-cert.js';

export type TlsSuite = 'TLS_CHACHA20_POLY1305_SHA256' | 'TLS_AES_128_GCM_SHA256';

export interface BaselineServer {
  url: string;
  /** Client options a `ws` WebSocket needs for this server (CA for wss://). */
  clientOptions: ConstructorParameters<typeof WebSocket>[2];
  close(): Promise<void>;
}

export const SYNC_MARKER = Uint8Array.of(0x2a);
const MAX_PAYLOAD = 1 << 20;

function attach(server: HttpServer): WebSocketServer {
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: MAX_PAYLOAD });
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      if (data.length === 1) ws.send(SYNC_MARKER);
    });
    ws.on('error', () => {});
  });
  return wss;
}

async function listen(server: HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closer(server: HttpServer, wss: WebSocketServer): () => Promise<void> {
  return async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

/** Plain ws:// on 127.0.0.1. */
export async function startWsServer(): Promise<BaselineServer> {
  const server = createHttpServer();
  const wss = attach(server);
  const port = await listen(server);
  return { url: `ws://127.0.0.1:${port}`, clientOptions: { perMessageDeflate: false, maxPayload: MAX_PAYLOAD }, close: closer(server, wss) };
}

/** wss:// with TLS 1.3 only, one cipher suite, and a fresh Ed25519 certificate the client verifies. */
export async function startWssServer(suite: TlsSuite): Promise<BaselineServer> {
  const { cert, key } = selfSignedEd25519();
  const server = createHttpsServer({ cert, key, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: suite }) as unknown as HttpServer;
  const wss = attach(server);
  const port = await listen(server);
  return {
    url: `wss://127.0.0.1:${port}`,
    clientOptions: { perMessageDeflate: false, maxPayload: MAX_PAYLOAD, ca: cert, minVersion: 'TLSv1.3', ciphers: suite },
    close: closer(server, wss),
  };
}

/** Open a WebSocket (TCP, TLS handshake with certificate verification, HTTP upgrade). */
export function openWs(server: BaselineServer): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.url, server.clientOptions);
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Close with the closing handshake and wait for it. */
export function closeWs(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.close(1000);
  });
}

/** Send `count` messages of `payload`, then the sync marker, and wait for the server's answer. */
export function sendBatchWs(ws: WebSocket, payload: Uint8Array, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = () => {
      ws.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      ws.off('message', onMessage);
      reject(new Error('baseline connection closed'));
    };
    ws.once('message', onMessage);
    ws.once('close', onClose);
    for (let i = 0; i < count; i++) ws.send(payload, { binary: true });
    ws.send(SYNC_MARKER, { binary: true });
  });
}

/** The negotiated TLS version and cipher of an open wss:// socket (to print what was measured). */
export function tlsDescription(ws: WebSocket): string {
  const socket = (ws as unknown as { _socket?: { getProtocol?: () => string; getCipher?: () => { standardName: string } } })._socket;
  if (!socket?.getProtocol || !socket.getCipher) return 'plain';
  return `${socket.getProtocol()} ${socket.getCipher().standardName}`;
}
