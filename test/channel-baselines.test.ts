/** The benchmark baselines measure what they claim: TLS 1.3, the chosen suite, an Ed25519 certificate the client verifies. */
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { WebSocket } from 'ws';
import { closeWs, openWs, sendBatchWs, startWsServer, startWssServer, tlsDescription } from '../bench/channel-baselines.js';
import { selfSignedEd25519 } from '../bench/tls-cert.js';

describe('channel benchmark baselines', () => {
  it('the run-time certificate is a valid self-signed Ed25519 X.509 v3 certificate for localhost and 127.0.0.1', () => {
    const { cert, key } = selfSignedEd25519();
    const x509 = new X509Certificate(cert);
    expect(x509.publicKey.asymmetricKeyType).toBe('ed25519');
    expect(x509.subject).toBe('CN=localhost');
    expect(x509.issuer).toBe('CN=localhost');
    expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(new Date(x509.validTo).getTime()).toBeGreaterThan(Date.now());
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  for (const suite of ['TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'] as const) {
    it(`wss:// negotiates TLS 1.3 with ${suite} and the client verifies the certificate`, async () => {
      const server = await startWssServer(suite);
      try {
        const ws = await openWs(server);
        expect(tlsDescription(ws)).toBe(`TLSv1.3 ${suite}`);
        expect((ws as unknown as { _socket: { authorized: boolean } })._socket.authorized).toBe(true);
        await sendBatchWs(ws, new Uint8Array(65536), 4);
        await closeWs(ws);
        // Without the CA the same client refuses the server: the certificate check is real.
        const untrusted = new WebSocket(server.url, { perMessageDeflate: false });
        const error = await new Promise<Error>((resolve) => untrusted.once('error', resolve));
        expect(error.message).toMatch(/self.signed|certificate/i);
      } finally {
        await server.close();
      }
    });
  }

  it('plain ws:// answers the sync marker', async () => {
    const server = await startWsServer();
    try {
      const ws = await openWs(server);
      expect(tlsDescription(ws)).toBe('plain');
      await sendBatchWs(ws, new Uint8Array(1024), 10);
      await closeWs(ws);
    } finally {
      await server.close();
    }
  });
});
