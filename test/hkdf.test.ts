/** HKDF-SHA256 (RFC 5869): Appendix A vectors, Wycheproof, differential against @noble/hashes, limits, wiping. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import * as nobleHkdf from '@noble/hashes/hkdf.js';
import { expand, extract, hkdf, sha256 } from '../bindings/crypto.js';
import { wasmMemorySnapshotForTestingOnly } from '../bindings/core/wasm.js';
import { FUZZ_RUNS, hex, loadSharedVectors, unhex, type WycheproofFile } from './helpers/vectors.js';
import { bytesArbitrary, bytesFromSeed, containsBytes } from './helpers/random.js';

const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('hkdf: RFC 5869 Appendix A (SHA-256 cases)', () => {
  const cases = [
    {
      name: 'A.1 basic test case',
      ikm: new Uint8Array(22).fill(0x0b), salt: range(0x00, 0x0c), info: range(0xf0, 0xf9), length: 42,
      prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
      okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    },
    {
      name: 'A.2 longer inputs and outputs',
      ikm: range(0x00, 0x4f), salt: range(0x60, 0xaf), info: range(0xb0, 0xff), length: 82,
      prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
      okm: 'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
    },
    {
      name: 'A.3 zero-length salt and info',
      ikm: new Uint8Array(22).fill(0x0b), salt: new Uint8Array(0), info: new Uint8Array(0), length: 42,
      prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
      okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const prk = extract(sha256, c.ikm, c.salt);
      expect(hex(prk)).toBe(c.prk);
      expect(hex(expand(sha256, prk, c.info, c.length))).toBe(c.okm);
      expect(hex(hkdf(sha256, c.ikm, c.salt, c.info, c.length))).toBe(c.okm);
    });
  }
  it('A.3: an absent salt equals HashLen zero bytes (§2.2)', () => {
    const ikm = new Uint8Array(22).fill(0x0b);
    expect(hex(extract(sha256, ikm))).toBe('19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04');
    expect(hex(hkdf(sha256, ikm, undefined, undefined, 42))).toBe(cases[2]!.okm);
  });
});

interface HkdfGroup {
  keySize: number;
  tests: Array<{ tcId: number; comment: string; ikm: string; salt: string; info: string; size: number; okm: string; result: 'valid' | 'invalid'; flags: string[] }>;
}
const wycheproof = loadSharedVectors<WycheproofFile<HkdfGroup>>('wycheproof/hkdf_sha256_test.json');

describe.skipIf(!wycheproof)('hkdf: Wycheproof hkdf_sha256_test.json', () => {
  const tests = wycheproof ? wycheproof.testGroups.flatMap((g) => g.tests) : [];
  it('has the expected counts (86 tests: 83 valid, 3 invalid)', () => {
    expect(wycheproof!.numberOfTests).toBe(86);
    expect(tests.length).toBe(86);
    expect(tests.filter((t) => t.result === 'valid').length).toBe(83);
    expect(tests.filter((t) => t.result === 'invalid').length).toBe(3);
  });
  it('derives every valid OKM and rejects every invalid size (> 255 * 32) with ERR_INVALID_OUTPUT_LENGTH', () => {
    let valid = 0;
    let invalid = 0;
    for (const t of tests) {
      const run = () => hkdf(sha256, unhex(t.ikm), unhex(t.salt), unhex(t.info), t.size);
      if (t.result === 'valid') {
        expect(hex(run()), `tcId ${t.tcId} (${t.comment})`).toBe(t.okm);
        valid++;
      } else {
        expect(run, `tcId ${t.tcId}`).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OUTPUT_LENGTH' }));
        invalid++;
      }
    }
    expect([valid, invalid]).toEqual([83, 3]);
  });
});

describe('hkdf: differential against @noble/hashes', () => {
  it(`hkdf equals noble for ${FUZZ_RUNS} random IKM, salt (0..100), info (0..300) and lengths (0..8160)`, () => {
    fc.assert(
      fc.property(bytesArbitrary(), bytesArbitrary(100), bytesArbitrary(300), fc.integer({ min: 0, max: 8160 }), (ikm, salt, info, length) => {
        expect(hex(hkdf(sha256, ikm, salt, info, length))).toBe(hex(nobleHkdf.hkdf(nobleSha256, ikm, salt, info, length)));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('extract and expand equal noble, including PRKs longer than a block and info larger than the I/O buffer', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 32, max: 120 }), bytesArbitrary(), fc.integer({ min: 0, max: 600 }), (seed, prkLength, info, length) => {
        const prk = bytesFromSeed(seed, prkLength);
        expect(hex(expand(sha256, prk, info, length))).toBe(hex(nobleHkdf.expand(nobleSha256, prk, info, length)));
        expect(hex(extract(sha256, info, prk))).toBe(hex(nobleHkdf.extract(nobleSha256, info, prk)));
      }),
      { numRuns: Math.ceil(FUZZ_RUNS / 10) },
    );
    const hugeInfo = bytesFromSeed(11, 100_000);
    const prk = bytesFromSeed(12, 32);
    expect(hex(expand(sha256, prk, hugeInfo, 100))).toBe(hex(nobleHkdf.expand(nobleSha256, prk, hugeInfo, 100)));
    expect(hex(hkdf(sha256, hugeInfo, prk, hugeInfo, 50))).toBe(hex(nobleHkdf.hkdf(nobleSha256, hugeInfo, prk, hugeInfo, 50)));
  });

  it('expand defaults to 32 bytes and empty info, like noble', () => {
    const prk = bytesFromSeed(5, 32);
    expect(hex(expand(sha256, prk))).toBe(hex(nobleHkdf.expand(nobleSha256, prk)));
  });
});

describe('hkdf: errors', () => {
  const expected = (length: number) =>
    expect.objectContaining({
      code: 'ERR_INVALID_OUTPUT_LENGTH',
      fault: 'caller',
      message: `HKDF output length must be an integer in [0, 8160] (RFC 5869 §2.3), got ${length}`,
    });
  for (const length of [8161, -1, 1.5, Number.NaN]) {
    it(`rejects output length ${length}`, () => {
      expect(() => hkdf(sha256, new Uint8Array(32), undefined, undefined, length)).toThrow(expected(length));
      expect(() => expand(sha256, new Uint8Array(32), undefined, length)).toThrow(expected(length));
    });
  }
  it('rejects a PRK shorter than HashLen with ERR_INVALID_KEY_LENGTH (§2.3)', () => {
    expect(() => expand(sha256, new Uint8Array(31))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_KEY_LENGTH', fault: 'caller', message: 'prk must be at least 32 bytes (RFC 5869 §2.3), got 31' }),
    );
  });
  it('accepts the maximum 8160 bytes', () => {
    expect(hkdf(sha256, new Uint8Array(32), undefined, undefined, 8160).length).toBe(8160);
  });
});

describe('hkdf: WASM memory hygiene', () => {
  const ikm = bytesFromSeed(0x1111, 32);
  const salt = bytesFromSeed(0x2222, 32);
  const cases: Array<[string, () => Uint8Array]> = [
    ['hkdf', () => hkdf(sha256, ikm, salt, new Uint8Array(3), 96)],
    ['expand', () => expand(sha256, ikm, new Uint8Array(3), 96)],
    ['extract', () => extract(sha256, ikm, salt)],
  ];
  for (const [name, run] of cases) {
    it(`${name}: leaves no IKM, salt, PRK or OKM bytes in WASM memory`, () => {
      const okm = run();
      const prk = nobleHkdf.extract(nobleSha256, ikm, salt);
      const memory = wasmMemorySnapshotForTestingOnly();
      for (const secret of [ikm, salt, prk, okm.subarray(0, 32), okm.subarray(okm.length - 32)]) {
        expect(containsBytes(memory, secret)).toBe(false);
      }
    });
  }
});
