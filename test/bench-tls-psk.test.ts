/**
 * The TLS 1.3 external-PSK baseline of bench/net.ts (bench/tls-psk.ts) is what it claims to be: TLS
 * 1.3 with TLS_CHACHA20_POLY1305_SHA256, no certificate, an X25519 key exchange (psk_dhe_ke, RFC 8446
 * §4.2.9), and the PSK authenticates: a wrong key fails the binder check (§4.2.11.2), an unknown
 * identity finds no PSK and, with no certificate to fall back to, no handshake.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TLS_PSK_SUITE, checkTlsPsk, connectTlsPsk, startTlsPskServer, type TlsPskServer } from '../bench/tls-psk.js';

let server: TlsPskServer;
beforeAll(async () => {
  server = await startTlsPskServer();
});
afterAll(() => server.close());

describe('TLS 1.3 external-PSK baseline', () => {
  it('passes its own check (TLS 1.3, ChaCha20-Poly1305, no certificate, X25519, a wrong PSK refused)', async () => {
    await expect(checkTlsPsk(server)).resolves.toBeUndefined();
  });

  it('completes a TLS 1.3 PSK handshake over X25519 and closes cleanly', async () => {
    const socket = await connectTlsPsk(server);
    expect(socket.getProtocol()).toBe('TLSv1.3');
    expect(socket.getCipher().standardName).toBe(TLS_PSK_SUITE);
    expect(socket.getEphemeralKeyInfo()).toMatchObject({ type: 'ECDH', name: 'X25519' });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.end();
    await closed; // the server answers the client's end with its own
  });

  it('refuses a wrong PSK', async () => {
    await expect(connectTlsPsk(server, randomBytes(32))).rejects.toMatchObject({ code: 'ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER' });
  });

  it('refuses an unknown identity', async () => {
    await expect(connectTlsPsk(server, server.psk, 'someone-else')).rejects.toMatchObject({ code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' });
  });
});
