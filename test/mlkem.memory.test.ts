/**
 * No ML-KEM secret stays in WASM memory (DEVELOPERS.md security rules): after keygen, encapsulate and decapsulate
 * (valid, implicitly rejected, and refused for a bad key), every ML-KEM buffer and the whole scratch region are
 * zero, and none of the secrets (d, z, sigma, s and s^ as the core holds them, dk, m, r, K, K-bar) occurs anywhere.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sha3_256, sha3_512, shake256 } from '@noble/hashes/sha3.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { InvalidPublicKeyError, InvalidSecretKeyError, ml_kem768 } from '../bindings/crypto.js';
import { core, wasmMemorySnapshotForTestingOnly } from '../bindings/core/wasm.js';
import { MLKEM_PART } from '../bindings/core/wasm-parts.js';
import { containsBytes } from './helpers/random.js';

const random = (n: number) => new Uint8Array(randomBytes(n));

/** The first 16 coefficients of SamplePolyCBD_2(PRF(seed, nonce)) as the core stores them (i16, little-endian). */
function cbdHead(seed: Uint8Array, nonce: number): Uint8Array {
  const prf = shake256(concatBytes(seed, Uint8Array.of(nonce)), { dkLen: 128 });
  const coefficients = new Int16Array(16);
  for (let i = 0; i < 16; i++) {
    const nibble = (prf[i >> 1]! >> (4 * (i & 1))) & 15;
    coefficients[i] = (nibble & 1) + ((nibble >> 1) & 1) - ((nibble >> 2) & 1) - ((nibble >> 3) & 1);
  }
  return new Uint8Array(coefficients.buffer);
}

/** The first 16 coefficients of ByteDecode_12(bytes) as i16 (s^ as decoded from dk). */
function decode12Head(bytes: Uint8Array): Uint8Array {
  const coefficients = new Int16Array(16);
  for (let i = 0; i < 8; i++) {
    const [b0, b1, b2] = [bytes[3 * i]!, bytes[3 * i + 1]!, bytes[3 * i + 2]!];
    coefficients[2 * i] = b0 | ((b1 & 15) << 8);
    coefficients[2 * i + 1] = (b1 >> 4) | (b2 << 4);
  }
  return new Uint8Array(coefficients.buffer);
}

const BUFFERS = ['MLKEM_SEED', 'MLKEM_MSG', 'MLKEM_EK', 'MLKEM_DK', 'MLKEM_CT', 'MLKEM_SS'] as const;
const SIZES = { MLKEM_SEED: 64, MLKEM_MSG: 32, MLKEM_EK: 1184, MLKEM_DK: 2400, MLKEM_CT: 1088, MLKEM_SS: 32 };

function expectClean(secrets: Array<[string, Uint8Array]>, when: string): void {
  // Every instance's memory (each primitive family has its own module), then the ML-KEM module's buffers.
  const all = wasmMemorySnapshotForTestingOnly();
  for (const [name, needle] of secrets) expect(containsBytes(all, needle), `${name} found in WASM memory after ${when}`).toBe(false);
  const memory = wasmMemorySnapshotForTestingOnly(MLKEM_PART);
  const { addr } = core(MLKEM_PART);
  for (const name of BUFFERS) {
    const region = memory.subarray(addr[name]!, addr[name]! + SIZES[name]);
    expect(region.every((b) => b === 0), `${name} not wiped after ${when}`).toBe(true);
  }
  const scratch = memory.subarray(addr.MLKEM_SCRATCH!, addr.MLKEM_SCRATCH_END!);
  expect(scratch.length).toBeGreaterThan(10_000);
  expect(scratch.every((b) => b === 0), `scratch not wiped after ${when}`).toBe(true);
}

describe('ML-KEM-768: no secret stays in WASM memory', () => {
  it('the search finds a secret that is in memory (the check can fail)', () => {
    const { heap, addr } = core(MLKEM_PART);
    const secret = random(32);
    heap.set(secret, addr.MLKEM_SCRATCH! + 1000);
    expect(() => expectClean([['planted', secret]], 'planting')).toThrow();
    heap.fill(0, addr.MLKEM_SCRATCH! + 1000, addr.MLKEM_SCRATCH! + 1032);
    expectClean([['planted', secret]], 'wiping by hand');
  });

  it('keygen, encapsulate, decapsulate (valid and rejected)', () => {
    const seed = random(64), d = seed.subarray(0, 32), z = seed.subarray(32);
    const sigma = sha3_512(concatBytes(d, Uint8Array.of(3))).subarray(32);
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    const keySecrets: Array<[string, Uint8Array]> = [
      ['d', d], ['z', z], ['sigma', sigma], ['dk head', secretKey.subarray(0, 48)], ['dk middle', secretKey.subarray(700, 748)],
      ['s[0] coefficients', cbdHead(sigma, 0)], ['e[2] coefficients', cbdHead(sigma, 5)], ['s^[1] coefficients', decode12Head(secretKey.subarray(384))],
    ];
    expectClean(keySecrets, 'keygen');

    const m = random(32);
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, m);
    const r = sha3_512(concatBytes(m, sha3_256(publicKey))).subarray(32);
    const encapsSecrets: Array<[string, Uint8Array]> = [
      ['m', m], ['K', sharedSecret], ['r', r], ['y[0] coefficients', cbdHead(r, 0)], ['e2 coefficients', cbdHead(r, 6)],
    ];
    expectClean(encapsSecrets, 'encapsulate');

    expect(ml_kem768.decapsulate(cipherText, secretKey)).toEqual(sharedSecret);
    expectClean([...keySecrets, ...encapsSecrets], 'decapsulate');

    const forged = cipherText.slice();
    forged[500]! ^= 4;
    const kBar = ml_kem768.decapsulate(forged, secretKey);
    expect(kBar).toEqual(shake256(concatBytes(z, forged), { dkLen: 32 }));
    expectClean([...keySecrets, ...encapsSecrets, ['K-bar', kBar]], 'decapsulate (implicit rejection)');
  });

  it('refused calls (bad public key, bad secret key) leave nothing either', () => {
    const seed = random(64), m = random(32);
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    const unreduced = publicKey.slice();
    unreduced[0] = 0xff;
    unreduced[1]! |= 0x0f; // first coefficient 4095 >= q
    expect(() => ml_kem768.encapsulate(unreduced, m)).toThrow(InvalidPublicKeyError);
    expectClean([['m', m]], 'refused encapsulate');
    const { cipherText } = ml_kem768.encapsulate(publicKey, m);
    const corrupt = secretKey.slice();
    corrupt[2340]! ^= 1; // inside H(ek)
    expect(() => ml_kem768.decapsulate(cipherText, corrupt)).toThrow(InvalidSecretKeyError);
    expectClean([['dk head', secretKey.subarray(0, 48)], ['z', seed.subarray(32)], ['m', m]], 'refused decapsulate');
  });
});
