/** bench/tls-cert.ts: the throwaway Ed25519 certificate of the wss:// and TLS baselines parses whatever its random serial. */
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { createSecureContext as tlsContext } from 'node:tls';
import { certificateSerial, selfSignedEd25519 } from '../bench/tls-cert.js';

describe('bench/tls-cert.ts', () => {
  it('serials are minimal positive DER INTEGERs: first byte 0x40..0x7f for any random bytes', () => {
    for (const first of [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xff]) {
      const random = new Uint8Array(16).fill(0x00);
      random[0] = first;
      const serial = certificateSerial(random);
      expect(serial.length).toBe(16);
      expect(serial[0]! >= 0x40 && serial[0]! <= 0x7f).toBe(true);
      expect(serial.subarray(1)).toEqual(random.subarray(1));
    }
  });

  it('a certificate whose random serial starts 0x00 0x00 (refused as "illegal padding" before) loads into a TLS context', () => {
    const { cert, key } = selfSignedEd25519(new Uint8Array(16));
    const parsed = new X509Certificate(cert);
    expect(parsed.subject).toBe('CN=localhost');
    expect(parsed.serialNumber.slice(0, 2)).toBe('40');
    expect(() => tlsContext({ cert, key })).not.toThrow();
  });

  it('random serials: 300 certificates all parse', () => {
    for (let i = 0; i < 300; i++) expect(() => new X509Certificate(selfSignedEd25519().cert)).not.toThrow();
  });
});
