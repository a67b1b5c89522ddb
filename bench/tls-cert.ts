/**
 * A throwaway self-signed X.509 v3 certificate with an Ed25519 key (RFC 8410), made at run time
 * for the wss:// baseline, so no key is ever committed and no openssl binary is needed.
 *
 * DER per RFC 5280 §4.1 (TBSCertificate), ITU-T X.690 (DER); Ed25519 in X.509 per RFC 8410 §3-§6.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

function length(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  return Buffer.concat([Uint8Array.of(tag), length(body.length), body]);
}

const seq = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
const set = (...parts: Uint8Array[]) => tlv(0x31, ...parts);
const oid = (bytes: number[]) => tlv(0x06, Uint8Array.from(bytes));
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
const octets = (bytes: Uint8Array) => tlv(0x04, bytes);
const bitString = (bytes: Uint8Array) => tlv(0x03, Uint8Array.of(0), bytes);
const explicit = (n: number, inner: Uint8Array) => tlv(0xa0 | n, inner);

/** UTCTime YYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.1: dates through 2049). */
function utcTime(date: Date): Uint8Array {
  const iso = date.toISOString(); // 2026-01-02T03:04:05.678Z
  const text = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

const ED25519 = seq(oid([0x2b, 0x65, 0x70])); // id-Ed25519 1.3.101.112, parameters absent (RFC 8410 §3)
const COMMON_NAME = [0x55, 0x04, 0x03]; // 2.5.4.3
const SUBJECT_ALT_NAME = [0x55, 0x1d, 0x11]; // 2.5.29.17

export interface SelfSignedCertificate {
  /** PEM certificate (for `cert` on the server and `ca` on the client). */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

/**
 * A positive 16-byte serial (RFC 5280 §4.1.2.2) whose DER INTEGER is minimal (X.690 §8.3.2): the first byte
 * is 0x40..0x7f. Clearing only the top bit let a first byte 0x00 through (1 run in 256), which OpenSSL
 * refuses as "illegal padding" when the next byte is below 0x80.
 */
export function certificateSerial(random: Uint8Array = randomBytes(16)): Uint8Array {
  const serial = Uint8Array.from(random);
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  return serial;
}

/**
 * A certificate for CN=localhost with subjectAltName DNS:localhost and IP:127.0.0.1, valid one day.
 * `serialRandom` (16 bytes) is for tests; by default the serial is random.
 */
export function selfSignedEd25519(serialRandom?: Uint8Array): SelfSignedCertificate {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const name = seq(set(seq(oid(COMMON_NAME), utf8('localhost'))));
  const now = Date.now();
  const serial = certificateSerial(serialRandom);
  const altNames = seq(tlv(0x82, Buffer.from('localhost', 'ascii')), tlv(0x87, Uint8Array.of(127, 0, 0, 1)));
  const tbs = seq(
    explicit(0, tlv(0x02, Uint8Array.of(2))), // version v3
    tlv(0x02, serial),
    ED25519,
    name,
    seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 86_400_000))),
    name,
    spki,
    explicit(3, seq(seq(oid(SUBJECT_ALT_NAME), octets(altNames)))),
  );
  const signature = sign(null, tbs, privateKey); // PureEdDSA over the DER TBSCertificate (RFC 8410 §6)
  const der = seq(tbs, ED25519, bitString(signature));
  const base64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${base64}${base64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`,
    key: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
  };
}
