/**
 * Wipes of the Noise layer's temporaries (issue 13): arrays that never leave CipherState or
 * SymmetricState (the REKEY output, the HKDF output block, temp_k, temp_h, Split's keys). This
 * file wraps the real core functions (vi.mock keeps their implementations) and spies on the real
 * CipherState.initializeKey to keep a reference to each such array, then checks every byte is zero
 * once the step returned, and that the step's result is still the oracle's.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as Aead from '../bindings/core/chacha20poly1305.js';
import type * as Hkdf from '../bindings/core/hkdf.js';

const aeadOutputs: Uint8Array[] = [];
const hkdfOutputs: Uint8Array[] = [];
vi.mock('../bindings/core/chacha20poly1305.js', async (importOriginal) => {
  const real = await importOriginal<typeof Aead>();
  const chacha20poly1305 = Object.assign(
    (key: Uint8Array, nonce: Uint8Array, aad?: Uint8Array) => {
      const instance = real.chacha20poly1305(key, nonce, aad);
      return {
        encrypt: (plaintext: Uint8Array, output?: Uint8Array) => {
          const out = instance.encrypt(plaintext, output);
          aeadOutputs.push(out);
          return out;
        },
        decrypt: (ciphertext: Uint8Array, output?: Uint8Array) => instance.decrypt(ciphertext, output),
      };
    },
    { blockSize: 64, nonceLength: 12, tagLength: 16 },
  );
  return { ...real, chacha20poly1305 };
});
vi.mock('../bindings/core/hkdf.js', async (importOriginal) => {
  const real = await importOriginal<typeof Hkdf>();
  return {
    ...real,
    hkdf: (...args: Parameters<typeof real.hkdf>) => {
      const okm = real.hkdf(...args);
      hkdfOutputs.push(okm);
      return okm;
    },
  };
});

const { CipherState } = await import('../bindings/noise/cipher-state.js');
const { SymmetricState, noiseHkdf } = await import('../bindings/noise/symmetric-state.js');
const oracle = await import('./oracle/noise.js');
const { sha256: nobleSha256 } = await import('@noble/hashes/sha2.js');
const { hexOf } = await import('./oracle/harness.js');
const { bytesFromSeed } = await import('./helpers/random.js');

const zero = (a: Uint8Array): boolean => a.every((b) => b === 0);

/** Record every key handed to a real CipherState.initializeKey while `fn` runs. */
function keysGivenToInitializeKey(fn: () => void): Uint8Array[] {
  const keys: Uint8Array[] = [];
  const original = CipherState.prototype.initializeKey;
  const spy = vi.spyOn(CipherState.prototype, 'initializeKey').mockImplementation(function (this: InstanceType<typeof CipherState>, key: Uint8Array | null) {
    if (key !== null) keys.push(key);
    original.call(this, key);
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return keys;
}

afterEach(() => {
  aeadOutputs.length = 0;
  hkdfOutputs.length = 0;
});

describe('CipherState temporaries', () => {
  it('rekey() zeroes the 48-byte ENCRYPT output it takes the new key from (Noise §4.2)', () => {
    const k = bytesFromSeed(31, 32);
    const c = new CipherState();
    c.initializeKey(k);
    aeadOutputs.length = 0;
    c.rekey();
    expect(aeadOutputs.length).toBe(1);
    expect(aeadOutputs[0]!.length).toBe(48);
    expect(zero(aeadOutputs[0]!)).toBe(true);
    expect(hexOf(c.keyForTestingOnly()!)).toBe(hexOf(oracle.REKEY(k)));
  });
});

describe('SymmetricState temporaries', () => {
  it('noiseHkdf zeroes the HKDF output block it cut its 2 or 3 outputs from (Noise §4.3)', () => {
    const ck = bytesFromSeed(32, 32);
    const ikm = bytesFromSeed(33, 32);
    for (const n of [2, 3] as const) {
      hkdfOutputs.length = 0;
      const outputs = noiseHkdf(ck, ikm, n);
      expect(hkdfOutputs.length).toBe(1);
      expect(hkdfOutputs[0]!.length).toBe(32 * n);
      expect(zero(hkdfOutputs[0]!)).toBe(true);
      expect(outputs.map(hexOf)).toStrictEqual(oracle.HKDF(ck, ikm, n).map(hexOf));
    }
  });

  it('mixKey() zeroes temp_k once the CipherState holds its own copy (Noise §5.2)', () => {
    const s = SymmetricState.initialize();
    const ikm = bytesFromSeed(34, 32);
    const keys = keysGivenToInitializeKey(() => s.mixKey(ikm));
    expect(keys.length).toBe(1);
    expect(zero(keys[0]!)).toBe(true);
    const [, tempK] = oracle.HKDF(SymmetricState.initialize().chainingKey, ikm, 2);
    expect(hexOf(s.cipher.keyForTestingOnly()!)).toBe(hexOf(tempK!));
  });

  it('mixKeyAndHash() / applyKeyAndHash() zero temp_h and temp_k and keep the new chaining key', () => {
    const s = SymmetricState.initialize();
    const ck = bytesFromSeed(35, 32);
    const tempH = bytesFromSeed(36, 32);
    const tempK = bytesFromSeed(37, 32);
    const expectedH = nobleSha256(oracle.cat(SymmetricState.initialize().handshakeHash, tempH));
    const expectedK = hexOf(tempK);
    s.applyKeyAndHash(ck, tempH, tempK);
    expect(zero(tempH)).toBe(true);
    expect(zero(tempK)).toBe(true);
    expect(hexOf(s.handshakeHash)).toBe(hexOf(expectedH));
    expect(hexOf(s.cipher.keyForTestingOnly()!)).toBe(expectedK);
    expect(s.liveSecretsForTestingOnly()[0]).toBe(ck); // ownership taken: the array itself is the new ck

    const t = SymmetricState.initialize();
    const keys = keysGivenToInitializeKey(() => t.mixKeyAndHash(bytesFromSeed(38, 32)));
    expect(keys.length).toBe(1);
    expect(zero(keys[0]!)).toBe(true);
  });

  it('split() zeroes both temp keys once each CipherState holds its copy (Noise §5.2)', () => {
    const s = SymmetricState.initialize();
    s.mixKey(bytesFromSeed(39, 32));
    const [k1, k2] = oracle.HKDF(s.chainingKey, new Uint8Array(0), 2);
    let pair: [InstanceType<typeof CipherState>, InstanceType<typeof CipherState>] | undefined;
    const keys = keysGivenToInitializeKey(() => {
      pair = s.split();
    });
    expect(keys.length).toBe(2);
    expect(keys.every(zero)).toBe(true);
    expect(hexOf(pair![0].keyForTestingOnly()!)).toBe(hexOf(k1!));
    expect(hexOf(pair![1].keyForTestingOnly()!)).toBe(hexOf(k2!));
  });
});
