/** HMAC-SHA256 (RFC 2104): RFC 4231 vectors, Wycheproof, differential against @noble/hashes, incremental, wiping, errors. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { hmac, sha256 } from '../bindings/crypto.js';
import { equalBytes } from '../bindings/core/bytes.js';
import { wasmMemorySnapshotForTestingOnly } from '../bindings/core/wasm.js';
import { FUZZ_RUNS, hex, loadSharedVectors, unhex, type WycheproofFile } from './helpers/vectors.js';
import { bytesArbitrary, bytesFromSeed, containsBytes } from './helpers/random.js';

const ascii = (s: string) => new TextEncoder().encode(s);
const repeat = (byte: number, n: number) => new Uint8Array(n).fill(byte);

describe('hmac: RFC 4231 §4 test cases (HMAC-SHA-256 column)', () => {
  const cases: Array<[string, Uint8Array, Uint8Array, string]> = [
    ['4.2 test case 1', repeat(0x0b, 20), ascii('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    ['4.3 test case 2 (key shorter than the output)', ascii('Jefe'), ascii('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    ['4.4 test case 3', repeat(0xaa, 20), repeat(0xdd, 50), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    ['4.5 test case 4', Uint8Array.from({ length: 25 }, (_, i) => i + 1), repeat(0xcd, 50), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
    ['4.7 test case 6 (131-byte key: hashed first)', repeat(0xaa, 131), ascii('Test Using Larger Than Block-Size Key - Hash Key First'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
    ['4.8 test case 7 (large key and data)', repeat(0xaa, 131), ascii('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'), '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2'],
  ];
  for (const [name, key, data, tag] of cases) {
    it(name, () => expect(hex(hmac(sha256, key, data))).toBe(tag));
  }
  it('4.6 test case 5 (output truncated to 128 bits)', () => {
    expect(hex(hmac(sha256, repeat(0x0c, 20), ascii('Test With Truncation')).subarray(0, 16))).toBe('a3b6167473100ee06e0c796c2955552b');
  });
});

interface MacGroup {
  keySize: number;
  tagSize: number;
  tests: Array<{ tcId: number; comment: string; key: string; msg: string; tag: string; result: 'valid' | 'invalid'; flags: string[] }>;
}
const wycheproof = loadSharedVectors<WycheproofFile<MacGroup>>('wycheproof/hmac_sha256_test.json');

describe.skipIf(!wycheproof)('hmac: Wycheproof hmac_sha256_test.json', () => {
  it('has the expected counts (174 tests: 66 valid, 108 invalid)', () => {
    const tests = wycheproof!.testGroups.flatMap((g) => g.tests);
    expect(wycheproof!.numberOfTests).toBe(174);
    expect(tests.length).toBe(174);
    expect(tests.filter((t) => t.result === 'valid').length).toBe(66);
    expect(tests.filter((t) => t.result === 'invalid').length).toBe(108);
  });

  it('accepts every valid tag and rejects every invalid (modified) one', () => {
    let accepted = 0;
    let rejected = 0;
    for (const group of wycheproof!.testGroups) {
      for (const t of group.tests) {
        const computed = hmac(sha256, unhex(t.key), unhex(t.msg)).subarray(0, group.tagSize / 8);
        const ok = equalBytes(computed, unhex(t.tag));
        expect(ok, `tcId ${t.tcId} (${t.comment})`).toBe(t.result === 'valid');
        if (ok) accepted++;
        else rejected++;
      }
    }
    expect([accepted, rejected]).toEqual([66, 108]);
  });
});

describe('hmac: differential against @noble/hashes', () => {
  it(`equals noble for ${FUZZ_RUNS} random keys (0..200 bytes) and messages (0..70,000 bytes)`, () => {
    fc.assert(
      fc.property(bytesArbitrary(200), bytesArbitrary(), (key, message) => {
        expect(hex(hmac(sha256, key, message))).toBe(hex(nobleHmac(nobleSha256, key, message)));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('hmac.create() equals one-shot for random split points', () => {
    fc.assert(
      fc.property(bytesArbitrary(100), bytesArbitrary(), fc.double({ min: 0, max: 1, noNaN: true }), (key, message, cut) => {
        const point = Math.floor(cut * message.length);
        const mac = hmac.create(sha256, key).update(message.subarray(0, point)).update(message.subarray(point));
        expect(hex(mac.digest())).toBe(hex(hmac(sha256, key, message)));
      }),
      { numRuns: Math.ceil(FUZZ_RUNS / 10) },
    );
  });

  it('clone() forks the keyed state', () => {
    const key = bytesFromSeed(3, 40);
    const base = hmac.create(sha256, key).update(ascii('prefix-'));
    const forked = base.clone();
    expect(hex(base.update(ascii('a')).digest())).toBe(hex(nobleHmac(nobleSha256, key, ascii('prefix-a'))));
    expect(hex(forked.update(ascii('b')).digest())).toBe(hex(nobleHmac(nobleSha256, key, ascii('prefix-b'))));
  });
});

describe('hmac: errors', () => {
  it('rejects a hash other than e2e2 sha256 with ERR_INVALID_ARGUMENT', () => {
    expect(() => hmac(nobleSha256 as never, new Uint8Array(32), new Uint8Array(1))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', fault: 'caller', message: 'hash must be e2e2 sha256 (the only hash the core implements)' }),
    );
  });
  it('rejects non-Uint8Array key and message with ERR_INVALID_ARGUMENT naming the argument', () => {
    expect(() => hmac(sha256, 'k' as never, new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: 'key must be a Uint8Array' }));
    expect(() => hmac(sha256, new Uint8Array(1), [1] as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: 'message must be a Uint8Array' }));
  });
  it('rejects update() after digest() with ERR_INVALID_STATE', () => {
    const mac = hmac.create(sha256, new Uint8Array(32));
    mac.digest();
    expect(() => mac.update(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE', fault: 'lifecycle' }));
  });
});

describe('hmac: WASM memory hygiene', () => {
  const key = bytesFromSeed(0xbeef, 32);
  const longKey = bytesFromSeed(0xbeef, 100);
  const message = bytesFromSeed(0xcafe, 40);
  const large = new Uint8Array(150_000);
  large.set(message, 100_000);
  const cases: Array<[string, Uint8Array, () => Uint8Array]> = [
    ['one-shot', key, () => hmac(sha256, key, message)],
    ['long key (hashed first)', longKey, () => hmac(sha256, longKey, message)],
    ['streamed message', key, () => hmac(sha256, key, large)],
    ['incremental', key, () => hmac.create(sha256, key).update(message).digest()],
  ];
  for (const [name, usedKey, run] of cases) {
    it(`${name}: leaves no key, message or tag bytes in WASM memory`, () => {
      const tag = run();
      const memory = wasmMemorySnapshotForTestingOnly();
      expect(containsBytes(memory, usedKey.subarray(0, 32))).toBe(false);
      expect(containsBytes(memory, message)).toBe(false);
      expect(containsBytes(memory, tag)).toBe(false);
    });
  }
});
