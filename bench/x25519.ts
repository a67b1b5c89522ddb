/**
 * X25519 public keys and shared secrets, side by side: e2e2 (WASM; for shared secrets also its integer-limb ladder),
 * @noble/curves (baseline), libsodium-wrappers, @stablelib/x25519, node:crypto and WebCrypto. Every contender's
 * output is checked against e2e2's before timing.
 *
 * node:crypto and WebCrypto take keys as KeyObject / CryptoKey, so a protocol that holds raw 32-byte keys must
 * import them on every operation: those rows import from raw bytes through JWK ({kty: 'OKP', crv: 'X25519', d, x};
 * measured far cheaper than PKCS#8/SPKI DER), the "pre-imported" row shows the bare operation.
 * node:crypto requires `x` in a private JWK but derives the public key from `d` (checked below), so getPublicKey
 * imports with a placeholder `x` and reads the derived one back.
 */
import { createPrivateKey, createPublicKey, diffieHellman, webcrypto, type KeyObject } from 'node:crypto';
import { x25519 as noble } from '@noble/curves/ed25519.js';
import sodium from 'libsodium-wrappers';
import * as stablelib from '@stablelib/x25519';
import { x25519 } from '../bindings/crypto.js';
import { sharedSecretIntegerLadderForTestingOnly } from '../bindings/core/x25519.js';
import type { Case, Contender } from './harness.js';

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const fromB64url = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));
const PLACEHOLDER_X = b64url(new Uint8Array(32));

type Run = () => Uint8Array | Promise<Uint8Array>;

async function checked(reference: Uint8Array, contenders: Array<[string, Run, boolean?]>): Promise<Contender[]> {
  const out: Contender[] = [];
  for (const [name, fn, baseline] of contenders) {
    const got = await fn();
    if (Buffer.compare(Buffer.from(got), Buffer.from(reference)) !== 0) throw new Error(`${name}: output differs from e2e2`);
    out.push({ name, fn, baseline });
  }
  return out;
}

export async function x25519Cases(): Promise<Case[]> {
  await sodium.ready;
  const subtle = webcrypto.subtle;
  // Fixed, valid keys (a protocol's ephemeral pair and the peer's public key).
  const secretKey = new Uint8Array(32).map((_, i) => (i * 29 + 7) & 0xff);
  const peerSecret = new Uint8Array(32).map((_, i) => (i * 53 + 11) & 0xff);
  const publicKey = x25519.getPublicKey(secretKey);
  const peerPublic = x25519.getPublicKey(peerSecret);

  const nodePublicFromRaw = (sk: Uint8Array): Uint8Array => {
    const key = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(sk), x: PLACEHOLDER_X }, format: 'jwk' });
    return fromB64url(createPublicKey(key).export({ format: 'jwk' }).x!);
  };
  const nodePrivate = (sk: Uint8Array, pk: Uint8Array): KeyObject =>
    createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(sk), x: b64url(pk) }, format: 'jwk' });
  const nodePublic = (pk: Uint8Array): KeyObject => createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(pk) }, format: 'jwk' });
  const preImportedPrivate = nodePrivate(secretKey, publicKey);
  const preImportedPublic = nodePublic(peerPublic);
  const webPublicFromRaw = async (sk: Uint8Array): Promise<Uint8Array> => {
    // WebCrypto validates x against d on JWK import, so the private key goes in as PKCS#8.
    const pkcs8 = new Uint8Array([...Buffer.from('302e020100300506032b656e04220420', 'hex'), ...sk]);
    const key = await subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, true, ['deriveBits']);
    return fromB64url((await subtle.exportKey('jwk', key)).x!);
  };
  const webShared = async (sk: Uint8Array, pk: Uint8Array, peer: Uint8Array): Promise<Uint8Array> => {
    const [privateKey, publicKeyObject] = await Promise.all([
      subtle.importKey('jwk', { kty: 'OKP', crv: 'X25519', d: b64url(sk), x: b64url(pk) }, { name: 'X25519' }, false, ['deriveBits']),
      subtle.importKey('jwk', { kty: 'OKP', crv: 'X25519', x: b64url(peer) }, { name: 'X25519' }, false, []),
    ]);
    return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: publicKeyObject }, privateKey, 256));
  };

  return [
    {
      group: 'x25519 getPublicKey', size: '', bytes: 0, batch: 1,
      contenders: await checked(publicKey, [
        ['e2e2', () => x25519.getPublicKey(secretKey)],
        ['@noble/curves', () => noble.getPublicKey(secretKey), true],
        ['libsodium-wrappers crypto_scalarmult_base', () => sodium.crypto_scalarmult_base(secretKey)],
        ['@stablelib/x25519 scalarMultBase', () => stablelib.scalarMultBase(secretKey)],
        ['node:crypto (raw via JWK)', () => nodePublicFromRaw(secretKey)],
        ['WebCrypto (raw via PKCS#8, async)', () => webPublicFromRaw(secretKey)],
      ]),
    },
    {
      group: 'x25519 getSharedSecret', size: '', bytes: 0, batch: 1,
      contenders: await checked(x25519.getSharedSecret(secretKey, peerPublic), [
        ['e2e2', () => x25519.getSharedSecret(secretKey, peerPublic)],
        // The integer-limb ladder (not the API; issue 11 item 4): the alternative to the f64 SIMD ladder, same process.
        ['e2e2 integer ladder (i64 limbs, not the API)', () => sharedSecretIntegerLadderForTestingOnly(secretKey, peerPublic)!],
        ['@noble/curves', () => noble.getSharedSecret(secretKey, peerPublic), true],
        ['libsodium-wrappers crypto_scalarmult', () => sodium.crypto_scalarmult(secretKey, peerPublic)],
        ['@stablelib/x25519 scalarMult', () => stablelib.scalarMult(secretKey, peerPublic)],
        ['node:crypto (raw via JWK)', () => new Uint8Array(diffieHellman({ privateKey: nodePrivate(secretKey, publicKey), publicKey: nodePublic(peerPublic) }))],
        ['node:crypto (pre-imported KeyObjects)', () => new Uint8Array(diffieHellman({ privateKey: preImportedPrivate, publicKey: preImportedPublic }))],
        ['WebCrypto (raw via JWK, async)', () => webShared(secretKey, publicKey, peerPublic)],
      ]),
    },
  ];
}
