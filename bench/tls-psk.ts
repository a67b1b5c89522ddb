/**
 * The TLS 1.3 external-PSK baseline (RFC 8446 §4.2.11) over node:tls: a random 32-byte PSK shared
 * by client and server, like an E2-E2 API key secret. OpenSSL offers it in psk_dhe_ke mode
 * (§4.2.9): X25519 key shares plus the PSK and no certificate, the same shape as Noise NNpsk2.
 * Node 20's pskCallback does TLS 1.3 PSK (not only the TLS 1.2 PSK cipher suites).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';

export const TLS_PSK_SUITE = 'TLS_CHACHA20_POLY1305_SHA256';
const IDENTITY = 'bench-client';

export interface TlsPskServer {
  port: number;
  psk: Buffer;
  identity: string;
  close(): Promise<void>;
}

/** A loopback TLS 1.3 server that accepts only `identity` with `psk`, and ends each connection the client ends. */
export async function startTlsPskServer(): Promise<TlsPskServer> {
  const psk = randomBytes(32);
  const server = createServer(
    { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: TLS_PSK_SUITE, pskCallback: (_socket, identity) => (identity === IDENTITY ? psk : null) },
    (socket: TLSSocket) => {
      socket.on('error', () => {});
      socket.on('end', () => socket.end());
    },
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    psk,
    identity: IDENTITY,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Resolves once the TLS 1.3 handshake with `psk` (default: the server's) is complete. */
export function connectTlsPsk(server: TlsPskServer, psk: Buffer = server.psk, identity = server.identity): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port: server.port, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: TLS_PSK_SUITE, pskCallback: () => ({ psk, identity }) },
      () => resolve(socket),
    );
    socket.once('error', reject);
  });
}

/**
 * Refuses to benchmark something else than the baseline: the connection must be TLS 1.3 with the
 * ChaCha20-Poly1305 suite, no certificate, an X25519 key exchange (psk_dhe_ke), and a wrong PSK must fail.
 */
export async function checkTlsPsk(server: TlsPskServer): Promise<void> {
  const socket = await connectTlsPsk(server);
  const ephemeral = socket.getEphemeralKeyInfo();
  const found = {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher().standardName,
    certificate: Object.keys(socket.getPeerCertificate()).length > 0,
    keyExchange: ephemeral && 'name' in ephemeral ? ephemeral.name : null,
  };
  socket.destroy();
  const expected = { protocol: 'TLSv1.3', cipher: TLS_PSK_SUITE, certificate: false, keyExchange: 'X25519' };
  if (JSON.stringify(found) !== JSON.stringify(expected)) throw new Error(`TLS PSK baseline: expected ${JSON.stringify(expected)}, got ${JSON.stringify(found)}`);
  const wrongKeyConnected = await connectTlsPsk(server, randomBytes(32)).then(
    (s) => (s.destroy(), true),
    () => false,
  );
  if (wrongKeyConnected) throw new Error('TLS PSK baseline: a wrong PSK completed the handshake');
}
