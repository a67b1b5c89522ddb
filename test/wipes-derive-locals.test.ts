/**
 * Wipes of bindings/e2e2/derive.ts's temporaries (issue 13): deriveK2's intermediate chaining key
 * ck_ee, fingerprint's SHA-256 digest and fingerprintK3's concatenation of K3. None leaves its
 * function, so this file wraps the real functions that produce them (vi.mock keeps their
 * implementations), keeps a reference to each array they return, and checks it is zero afterwards.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as Symmetric from '../bindings/noise/symmetric-state.js';
import type * as Sha from '../bindings/core/sha256.js';
import type * as Encoding from '../bindings/e2e2/encoding.js';

const chainingKeys: Uint8Array[] = [];
const digests: Uint8Array[] = [];
const concatenations: Uint8Array[] = [];
vi.mock('../bindings/noise/symmetric-state.js', async (importOriginal) => {
  const real = await importOriginal<typeof Symmetric>();
  return {
    ...real,
    noiseHkdfFirst: (...args: Parameters<typeof real.noiseHkdfFirst>) => {
      const ck = real.noiseHkdfFirst(...args);
      chainingKeys.push(ck);
      return ck;
    },
  };
});
vi.mock('../bindings/core/sha256.js', async (importOriginal) => {
  const real = await importOriginal<typeof Sha>();
  const sha256 = Object.assign((data: Uint8Array) => {
    const digest = real.sha256(data);
    digests.push(digest);
    return digest;
  }, real.sha256);
  return { ...real, sha256 };
});
vi.mock('../bindings/e2e2/encoding.js', async (importOriginal) => {
  const real = await importOriginal<typeof Encoding>();
  return {
    ...real,
    concatBytes: (...parts: Uint8Array[]) => {
      const out = real.concatBytes(...parts);
      concatenations.push(out);
      return out;
    },
  };
});

const { deriveK2, deriveK3, fingerprint, fingerprintK3 } = await import('../bindings/e2e2/derive.js');
const oracle = await import('./oracle/e2e2.js');
const noise = await import('./oracle/noise.js');
const { bytesFromSeed } = await import('./helpers/random.js');

const zero = (a: Uint8Array): boolean => a.every((b) => b === 0);

afterEach(() => {
  chainingKeys.length = 0;
  digests.length = 0;
  concatenations.length = 0;
});

describe('derive.ts temporaries', () => {
  it('deriveK2 zeroes ck_ee, the chaining key after MixKey(K1), once K2 is derived from it', () => {
    const out = deriveK2(bytesFromSeed(51, 32), bytesFromSeed(52, 32), bytesFromSeed(53, 32));
    expect(chainingKeys.length).toBe(1);
    expect(zero(chainingKeys[0]!)).toBe(true);
    expect(zero(out.k2)).toBe(false);
  });

  it('fingerprint zeroes the full SHA-256 digest it cut its 8 bytes from', () => {
    const k = bytesFromSeed(54, 32);
    digests.length = 0;
    const fp = fingerprint(k);
    expect(digests.length).toBe(1);
    expect(zero(digests[0]!)).toBe(true);
    expect(fp).toBe(oracle.fingerprintOf(k));
  });

  it('fingerprintK3 zeroes its 96-byte concatenation of both transport keys and the exporter', () => {
    const k3 = deriveK3(bytesFromSeed(55, 32), bytesFromSeed(56, 32));
    concatenations.length = 0;
    const fp = fingerprintK3(k3);
    const all = concatenations.filter((a) => a.length === 96);
    expect(all.length).toBe(1);
    expect(zero(all[0]!)).toBe(true);
    expect(fp).toBe(oracle.fingerprintOf(noise.cat(k3.initiatorToResponder, k3.responderToInitiator, k3.exporter)));
  });
});
