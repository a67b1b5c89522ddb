/**
 * BENCH ONLY: the E2-E2 primitives on node:crypto, through its fastest routes measured here:
 * raw X25519 keys go in and out as JWK (about 5 µs against 76 µs through DER); new key pairs come
 * from generateKeyPairSync('x25519', { publicKeyEncoding: { format: 'jwk' } }) (exporting a
 * generated KeyObject as JWK was seen to hang Node 20); HKDF is one hkdfSync call; the AEAD is
 * createCipheriv('chacha20-poly1305').
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import type { Ephemeral, Primitives } from './core.js';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
const bytes = (b: Buffer | ArrayBuffer): Uint8Array => (b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));

function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(raw) }, format: 'jwk' });
}

export const nodePrimitives: Primitives = {
  generateEphemeral(): Ephemeral {
    // The jwk public-key encoding is supported at runtime but missing from @types/node's overloads.
    const pair = generateKeyPairSync('x25519', { publicKeyEncoding: { format: 'jwk' } } as unknown as Parameters<typeof generateKeyPairSync>[1]) as unknown as { publicKey: { x: string }; privateKey: KeyObject };
    return { privateKey: pair.privateKey, publicKey: bytes(Buffer.from(pair.publicKey.x, 'base64url')) };
  },
  ephemeralFrom(privateKey, publicKey) {
    return { privateKey: createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(privateKey), x: b64(publicKey) }, format: 'jwk' }), publicKey };
  },
  dh(own, peerPublicKey) {
    return bytes(diffieHellman({ privateKey: own.privateKey as KeyObject, publicKey: publicKeyObject(peerPublicKey) }));
  },
  sha256: (data) => bytes(createHash('sha256').update(data).digest()),
  noiseHkdf: (chainingKey, inputKeyMaterial, length) => bytes(hkdfSync('sha256', inputKeyMaterial, chainingKey, new Uint8Array(0), length)),
  expand(prk, info, length) {
    const t1 = createHmac('sha256', prk).update(info).update(Uint8Array.of(1)).digest();
    return bytes(t1).subarray(0, length);
  },
  seal(key, nonce, ad, plaintext) {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    cipher.setAAD(ad, { plaintextLength: plaintext.length });
    const head = cipher.update(plaintext);
    cipher.final();
    const tag = cipher.getAuthTag();
    const out = new Uint8Array(head.length + 16);
    out.set(head);
    out.set(tag, head.length);
    return out;
  },
  open(key, nonce, ad, ciphertext) {
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    decipher.setAAD(ad, { plaintextLength: ciphertext.length - 16 });
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    const head = decipher.update(ciphertext.subarray(0, ciphertext.length - 16));
    decipher.final();
    return bytes(head);
  },
};
