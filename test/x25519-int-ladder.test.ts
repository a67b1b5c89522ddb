/**
 * The integer-limb X25519 ladder (RFC 7748 §5; x25519SharedSecretInt in assembly/x25519.ts on field25519-int.ts),
 * the alternative to the f64 SIMD ladder that bench/x25519.ts times beside it: RFC 7748 vectors, Wycheproof,
 * differential against @noble/curves and against the f64 ladder, and WASM memory hygiene.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { x25519 as noble } from '@noble/curves/ed25519.js';
import { x25519 } from '../bindings/crypto.js';
import { sharedSecretIntegerLadderForTestingOnly as intLadder } from '../bindings/core/x25519.js';
import { wasmMemorySnapshotForTestingOnly } from '../bindings/core/wasm.js';
import { FUZZ_RUNS, hex, loadSharedVectors, unhex, type WycheproofFile } from './helpers/vectors.js';
import { containsBytes } from './helpers/random.js';

const P = 2n ** 255n - 19n;
const BASE_POINT = unhex('09'.padEnd(64, '0'));
const le32 = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
/** Hex of the result, or 'all zero' where an implementation refuses the small-order result. */
const orAllZero = (run: () => Uint8Array): string => {
  try {
    return hex(run());
  } catch {
    return 'all zero';
  }
};
const shared = (k: Uint8Array, u: Uint8Array): string => {
  const out = intLadder(k, u);
  return out === undefined ? 'all zero' : hex(out);
};

describe('x25519 integer ladder: RFC 7748 vectors', () => {
  it('§5.2 test vectors (the second with the top bit of u set: masked)', () => {
    expect(shared(unhex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'), unhex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c')))
      .toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
    expect(shared(unhex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'), unhex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493')))
      .toBe('95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957');
  });

  it('§5.2 iterated: 1 and 1,000 iterations', () => {
    let k: Uint8Array = BASE_POINT.slice();
    let u: Uint8Array = BASE_POINT.slice();
    for (let i = 1; i <= 1000; i++) {
      const r = intLadder(k, u)!;
      u = k;
      k = r;
      if (i === 1) expect(hex(k)).toBe('422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
    }
    expect(hex(k)).toBe('684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
  });

  it('§6.1 Diffie-Hellman: Alice and Bob', () => {
    const alice = unhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bobPublic = unhex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    expect(shared(alice, bobPublic)).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
    expect(shared(alice, BASE_POINT)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  });
});

interface XdhGroup {
  tests: Array<{ tcId: number; comment: string; flags: string[]; public: string; private: string; shared: string }>;
}
const wycheproof = loadSharedVectors<WycheproofFile<XdhGroup>>('wycheproof/x25519_test.json');

describe.skipIf(!wycheproof)('x25519 integer ladder: Wycheproof x25519_test.json', () => {
  it('all 518 tests give `shared` (the 31 ZeroSharedSecret tests: reported as all zero)', () => {
    const tests = wycheproof!.testGroups.flatMap((g) => g.tests);
    expect(tests.length).toBe(518);
    let zero = 0;
    for (const t of tests) {
      const got = shared(unhex(t.private), unhex(t.public));
      const label = `tcId ${t.tcId} (${t.comment}; ${t.flags.join(', ')})`;
      if (t.flags.includes('ZeroSharedSecret')) {
        expect(got, label).toBe('all zero');
        zero++;
      } else expect(got, label).toBe(t.shared);
    }
    expect(zero).toBe(31);
  });
});

describe('x25519 integer ladder: differential', () => {
  const RUNS = Math.ceil(FUZZ_RUNS / 5); // noble's ladder dominates the time
  const publicKeys: fc.Arbitrary<Uint8Array> = fc.oneof(
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((sk) => noble.getPublicKey(sk)),
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.integer({ min: 0, max: 18 }).map((r) => le32(P + BigInt(r))),
    fc.constantFrom(0n, 1n, 2n, P - 1n, 2n ** 255n - 1n, 2n ** 256n - 1n).map(le32),
  );

  it(`equals @noble/curves and the f64 ladder for ${RUNS} random pairs (incl. u >= p and the top bit set)`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), publicKeys, (secretKey, publicKey) => {
        const reference = orAllZero(() => noble.getSharedSecret(secretKey, publicKey));
        const f64 = orAllZero(() => x25519.getSharedSecret(secretKey, publicKey));
        const ours = shared(secretKey, publicKey);
        expect(ours).toBe(reference);
        expect(ours).toBe(f64);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('x25519 integer ladder: WASM memory hygiene', () => {
  it('leaves no secret key, clamped scalar, peer key or result in WASM memory, and memory as it found it', () => {
    const secretKey = unhex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d');
    const clamped = secretKey.slice();
    clamped[0]! &= 248;
    clamped[31] = (clamped[31]! & 127) | 64;
    const peer = noble.getPublicKey(unhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    intLadder(new Uint8Array(32).fill(1), BASE_POINT);
    const before = wasmMemorySnapshotForTestingOnly();
    const out = intLadder(secretKey, peer)!;
    const after = wasmMemorySnapshotForTestingOnly();
    for (const secret of [secretKey, clamped, peer, out]) expect(containsBytes(after, secret)).toBe(false);
    expect(Buffer.compare(Buffer.from(before), Buffer.from(after))).toBe(0);
  });
});
