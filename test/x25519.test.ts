/**
 * X25519 (RFC 7748): RFC vectors, Wycheproof, small-order points, differential against @noble/curves,
 * fixed-base path against the ladder, WASM memory hygiene, errors and the noble-compatible API shape.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { x25519 as noble } from '@noble/curves/ed25519.js';
import { x25519 } from '../bindings/crypto.js';
import { wasmMemorySnapshotForTestingOnly } from '../bindings/core/wasm.js';
import { FUZZ_RUNS, hex, loadSharedVectors, unhex, type WycheproofFile } from './helpers/vectors.js';
import { containsBytes } from './helpers/random.js';

const P = 2n ** 255n - 19n;
const BASE_POINT = unhex('09'.padEnd(64, '0'));

function le32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** RFC 7748 §5 decodeScalar25519, for the memory-hygiene checks. */
function clamp(secretKey: Uint8Array): Uint8Array {
  const k = secretKey.slice();
  k[0]! &= 248;
  k[31]! &= 127;
  k[31]! |= 64;
  return k;
}

const lowOrder = expect.objectContaining({
  code: 'ERR_LOW_ORDER_POINT',
  fault: 'peer',
  message: 'x25519 public key is of small order: the shared secret is all zero (RFC 7748 §6.1)',
});

describe('x25519: RFC 7748 vectors', () => {
  it('§5.2 first test vector', () => {
    const k = unhex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4');
    const u = unhex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c');
    expect(hex(x25519.getSharedSecret(k, u))).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
  });

  it('§5.2 second test vector (u with the top bit set: masked)', () => {
    const k = unhex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d');
    const u = unhex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493');
    expect(hex(x25519.getSharedSecret(k, u))).toBe('95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957');
  });

  /** §5.2: k = u = 9; repeat r = X25519(k, u); u = k; k = r. */
  function iterate(n: number): string {
    let k: Uint8Array = BASE_POINT.slice();
    let u: Uint8Array = BASE_POINT.slice();
    for (let i = 0; i < n; i++) {
      const r = x25519.getSharedSecret(k, u);
      u = k;
      k = r;
    }
    return hex(k);
  }
  it('§5.2 iterated: 1 iteration', () => expect(iterate(1)).toBe('422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079'));
  it('§5.2 iterated: 1,000 iterations', () => expect(iterate(1000)).toBe('684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51'));
  it.skipIf(process.env.E2E2_X25519_MILLION !== '1')('§5.2 iterated: 1,000,000 iterations (E2E2_X25519_MILLION=1)', () => {
    expect(iterate(1_000_000)).toBe('7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424');
  });

  it('§6.1 Diffie-Hellman: Alice and Bob', () => {
    const alicePrivate = unhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bobPrivate = unhex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    const alicePublic = x25519.getPublicKey(alicePrivate);
    const bobPublic = x25519.getPublicKey(bobPrivate);
    expect(hex(alicePublic)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(hex(bobPublic)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(hex(x25519.getSharedSecret(alicePrivate, bobPublic))).toBe(shared);
    expect(hex(x25519.getSharedSecret(bobPrivate, alicePublic))).toBe(shared);
  });
});

interface RfcExtra {
  iterated: { initial_k: string; initial_u: string; results: Array<{ iterations: number; k: string; slow?: boolean }> };
  diffie_hellman: { alice_private: string; alice_public: string; bob_private: string; bob_public: string; shared: string };
}
const rfcExtra = loadSharedVectors<RfcExtra>('rfc/rfc7748_x25519_extra.json');

describe.skipIf(!rfcExtra)('x25519: shared rfc/rfc7748_x25519_extra.json', () => {
  it('iterated results that are not marked slow', () => {
    const { initial_k, initial_u, results } = rfcExtra!.iterated;
    let k: Uint8Array = unhex(initial_k);
    let u: Uint8Array = unhex(initial_u);
    let done = 0;
    for (const r of results.filter((x) => !x.slow)) {
      for (; done < r.iterations; done++) {
        const next = x25519.getSharedSecret(k, u);
        u = k;
        k = next;
      }
      expect(hex(k), `${r.iterations} iterations`).toBe(r.k);
    }
    expect(done).toBe(1000);
  });

  it('Diffie-Hellman key pairs', () => {
    const dh = rfcExtra!.diffie_hellman;
    expect(hex(x25519.getPublicKey(unhex(dh.alice_private)))).toBe(dh.alice_public);
    expect(hex(x25519.getPublicKey(unhex(dh.bob_private)))).toBe(dh.bob_public);
    expect(hex(x25519.getSharedSecret(unhex(dh.alice_private), unhex(dh.bob_public)))).toBe(dh.shared);
  });
});

interface XdhGroup {
  curve: string;
  tests: Array<{ tcId: number; comment: string; flags: string[]; public: string; private: string; shared: string; result: 'valid' | 'acceptable' | 'invalid' }>;
}
const wycheproof = loadSharedVectors<WycheproofFile<XdhGroup>>('wycheproof/x25519_test.json');

describe.skipIf(!wycheproof)('x25519: Wycheproof x25519_test.json', () => {
  const tests = wycheproof ? wycheproof.testGroups.flatMap((g) => g.tests) : [];

  it('has the expected counts (518 tests: 264 valid, 254 acceptable, 0 invalid)', () => {
    expect(wycheproof!.numberOfTests).toBe(518);
    expect(tests.length).toBe(518);
    expect(tests.filter((t) => t.result === 'valid').length).toBe(264);
    expect(tests.filter((t) => t.result === 'acceptable').length).toBe(254);
    expect(tests.filter((t) => t.result === 'invalid').length).toBe(0);
  });

  /*
   * How each result is handled:
   * - valid: the shared secret must equal `shared`.
   * - acceptable with flag ZeroSharedSecret (31 tests, all with a small-order public key, `shared` = 00..00):
   *   we refuse them, ERR_LOW_ORDER_POINT, as RFC 7748 §6.1 allows and a Noise DH requires.
   * - every other acceptable test (Twist: public keys on the twist; NonCanonicalPublic: u >= p, reduced as
   *   §5 says; SmallPublicKey, SpecialPublicKey, EdgeCase*: unusual but valid inputs): must equal `shared`.
   */
  it('valid and acceptable tests: equal `shared`, except ZeroSharedSecret, which throws ERR_LOW_ORDER_POINT', () => {
    let matched = 0;
    let refused = 0;
    for (const t of tests) {
      const label = `tcId ${t.tcId} (${t.comment}; ${t.flags.join(', ')})`;
      if (t.flags.includes('ZeroSharedSecret')) {
        expect(t.result, label).toBe('acceptable');
        expect(t.shared, label).toBe('00'.repeat(32));
        expect(() => x25519.getSharedSecret(unhex(t.private), unhex(t.public)), label).toThrow(lowOrder);
        refused++;
      } else {
        expect(hex(x25519.getSharedSecret(unhex(t.private), unhex(t.public))), label).toBe(t.shared);
        matched++;
      }
    }
    expect([matched, refused]).toEqual([487, 31]);
  });
});

interface LowOrderFile {
  points: Array<{ name: string; u: string; u_high_bit_set: string }>;
}
const lowOrderFile = loadSharedVectors<LowOrderFile>('x25519_low_order_points.json');

describe.skipIf(!lowOrderFile)('x25519: small-order public keys (x25519_low_order_points.json)', () => {
  it('all 14 encodings (7 points, each also with the top bit set) are refused with ERR_LOW_ORDER_POINT', () => {
    const encodings = lowOrderFile!.points.flatMap((p) => [p.u, p.u_high_bit_set]);
    expect(encodings.length).toBe(14);
    expect(new Set(encodings).size).toBe(14);
    const secretKeys = [new Uint8Array(32), new Uint8Array(32).fill(0xff), ...Array.from({ length: 8 }, () => x25519.utils.randomSecretKey())];
    for (const u of encodings) {
      for (const secretKey of secretKeys) {
        expect(() => x25519.getSharedSecret(secretKey, unhex(u)), `u = ${u}`).toThrow(lowOrder);
      }
    }
  });
});

/** Public keys for the differential test: real keys, random bytes, u >= p, and the top bit set. */
const publicKeyArbitrary: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((sk) => noble.getPublicKey(sk)) },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }) },
  // Non-canonical: p + r for r in [0, 18] (u >= p; p and p + 1 are small-order encodings of 0 and 1).
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 18 }).map((r) => le32(P + BigInt(r))) },
  // The top bit set on an otherwise random or real key: masked by both implementations.
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => { const u = b.slice(); u[31]! |= 0x80; return u; }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((sk) => { const u = noble.getPublicKey(sk); u[31]! |= 0x80; return u; }) },
  // Edges: 0..3 and p - 3..p - 1 (and 2^255 - 1 with and without the top bit).
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n, 2n, 3n, P - 3n, P - 2n, P - 1n, 2n ** 255n - 1n, 2n ** 256n - 1n).map(le32) },
);

function nobleShared(secretKey: Uint8Array, publicKey: Uint8Array): string {
  try {
    return hex(noble.getSharedSecret(secretKey, publicKey));
  } catch {
    return 'refused';
  }
}

function ourShared(secretKey: Uint8Array, publicKey: Uint8Array): string {
  try {
    return hex(x25519.getSharedSecret(secretKey, publicKey));
  } catch (error) {
    expect(error).toEqual(lowOrder);
    return 'refused';
  }
}

describe('x25519: differential against @noble/curves', () => {
  it(`getPublicKey and getSharedSecret equal noble for ${FUZZ_RUNS} random key pairs (incl. u >= p and the top bit set)`, () => {
    let refused = 0;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), publicKeyArbitrary, (secretKey, publicKey) => {
        expect(hex(x25519.getPublicKey(secretKey))).toBe(hex(noble.getPublicKey(secretKey)));
        const ours = ourShared(secretKey, publicKey);
        expect(ours).toBe(nobleShared(secretKey, publicKey));
        if (ours === 'refused') refused++;
      }),
      { numRuns: FUZZ_RUNS },
    );
    // The edge constants include small-order encodings, so some refusals happen; most pairs must not be refused.
    expect(refused).toBeLessThan(FUZZ_RUNS / 10);
  });

  it('both sides of a random exchange agree', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
        const ab = x25519.getSharedSecret(a, x25519.getPublicKey(b));
        expect(hex(ab)).toBe(hex(x25519.getSharedSecret(b, x25519.getPublicKey(a))));
      }),
      { numRuns: Math.ceil(FUZZ_RUNS / 10) },
    );
  });
});

describe('x25519: fixed-base path equals the ladder on the base point', () => {
  it(`getPublicKey(sk) = getSharedSecret(sk, 9) for ${FUZZ_RUNS} random scalars and edge scalars`, () => {
    const edges = [new Uint8Array(32), new Uint8Array(32).fill(0xff), unhex('08'.padEnd(64, '0')), le32(2n ** 255n - 1n), le32(2n ** 254n)];
    for (const sk of edges) expect(hex(x25519.getPublicKey(sk))).toBe(hex(x25519.getSharedSecret(sk, BASE_POINT)));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (sk) => {
        expect(hex(x25519.getPublicKey(sk))).toBe(hex(x25519.getSharedSecret(sk, BASE_POINT)));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('every radix-16 digit value at every position (scalars with one nonzero nibble run)', () => {
    // Nibble patterns drive the signed-digit recoding through every digit in [-8, 8) and every carry.
    for (let position = 0; position < 32; position++) {
      for (const byte of [0x01, 0x08, 0x09, 0x0f, 0x10, 0x80, 0x88, 0x99, 0xf8, 0xff]) {
        const sk = new Uint8Array(32);
        sk[position] = byte;
        expect(hex(x25519.getPublicKey(sk)), `byte ${position} = ${byte}`).toBe(hex(noble.getPublicKey(sk)));
      }
    }
  });
});

describe('x25519: WASM memory hygiene', () => {
  const secretKey = unhex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d');
  const peer = x25519.getPublicKey(unhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));

  it('getPublicKey leaves no secret key, clamped scalar or result in WASM memory, and memory as it found it', () => {
    x25519.getPublicKey(new Uint8Array(32).fill(1));
    const before = wasmMemorySnapshotForTestingOnly();
    const publicKey = x25519.getPublicKey(secretKey);
    const after = wasmMemorySnapshotForTestingOnly();
    expect(containsBytes(after, secretKey)).toBe(false);
    expect(containsBytes(after, clamp(secretKey))).toBe(false);
    expect(containsBytes(after, publicKey)).toBe(false);
    expect(Buffer.compare(Buffer.from(before), Buffer.from(after))).toBe(0);
  });

  it('getSharedSecret leaves no secret key, clamped scalar, peer key or result in WASM memory, and memory as it found it', () => {
    x25519.getSharedSecret(new Uint8Array(32).fill(1), BASE_POINT);
    const before = wasmMemorySnapshotForTestingOnly();
    const shared = x25519.getSharedSecret(secretKey, peer);
    const after = wasmMemorySnapshotForTestingOnly();
    expect(containsBytes(after, secretKey)).toBe(false);
    expect(containsBytes(after, clamp(secretKey))).toBe(false);
    expect(containsBytes(after, peer)).toBe(false);
    expect(containsBytes(after, shared)).toBe(false);
    expect(Buffer.compare(Buffer.from(before), Buffer.from(after))).toBe(0);
  });

  it('a refused (small-order) exchange also leaves memory as it found it', () => {
    const before = wasmMemorySnapshotForTestingOnly();
    expect(() => x25519.getSharedSecret(secretKey, new Uint8Array(32))).toThrow(lowOrder);
    expect(Buffer.compare(Buffer.from(before), Buffer.from(wasmMemorySnapshotForTestingOnly()))).toBe(0);
  });
});

describe('x25519: errors', () => {
  const good = new Uint8Array(32).fill(3);
  it.each([0, 31, 33, 64])('secretKey of %i bytes: ERR_INVALID_KEY_LENGTH', (length) => {
    const error = expect.objectContaining({ code: 'ERR_INVALID_KEY_LENGTH', fault: 'caller', message: `secretKey must be 32 bytes, got ${length}` });
    expect(() => x25519.getPublicKey(new Uint8Array(length))).toThrow(error);
    expect(() => x25519.getSharedSecret(new Uint8Array(length), BASE_POINT)).toThrow(error);
  });
  it.each([0, 31, 33, 56])('publicKey of %i bytes: ERR_INVALID_KEY_LENGTH', (length) => {
    expect(() => x25519.getSharedSecret(good, new Uint8Array(length))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_KEY_LENGTH', fault: 'caller', message: `publicKey must be 32 bytes, got ${length}` }),
    );
  });
  it('non-Uint8Array arguments: ERR_INVALID_ARGUMENT naming the argument', () => {
    const invalid = (name: string) => expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', fault: 'caller', message: `${name} must be a Uint8Array` });
    expect(() => x25519.getPublicKey(Array.from(good) as never)).toThrow(invalid('secretKey'));
    expect(() => x25519.getPublicKey('00'.repeat(32) as never)).toThrow(invalid('secretKey'));
    expect(() => x25519.getSharedSecret(good, hex(BASE_POINT) as never)).toThrow(invalid('publicKey'));
    expect(() => x25519.getSharedSecret(null as never, BASE_POINT)).toThrow(invalid('secretKey'));
    expect(() => x25519.keygen(new ArrayBuffer(32) as never)).toThrow(invalid('seed'));
  });
  it('a seed of the wrong length: ERR_INVALID_KEY_LENGTH', () => {
    expect(() => x25519.keygen(new Uint8Array(16))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_KEY_LENGTH', message: 'seed must be 32 bytes, got 16' }));
    expect(() => x25519.utils.randomSecretKey(new Uint8Array(33))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_KEY_LENGTH' }));
  });
  it('the next valid call still works after every kind of error', () => {
    expect(() => x25519.getSharedSecret(good, new Uint8Array(31))).toThrow();
    expect(() => x25519.getSharedSecret(good, new Uint8Array(32))).toThrow(lowOrder);
    expect(hex(x25519.getSharedSecret(good, BASE_POINT))).toBe(hex(noble.getSharedSecret(good, BASE_POINT)));
    expect(hex(x25519.getPublicKey(good))).toBe(hex(noble.getPublicKey(good)));
  });
});

describe('x25519: noble-compatible API', () => {
  it('utils.randomSecretKey() gives 32 fresh bytes; with a seed, a copy of it', () => {
    const a = x25519.utils.randomSecretKey();
    const b = x25519.utils.randomSecretKey();
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.length).toBe(32);
    expect(hex(a)).not.toBe(hex(b));
    const seed = new Uint8Array(32).fill(5);
    const copy = x25519.utils.randomSecretKey(seed);
    expect(hex(copy)).toBe(hex(seed));
    expect(copy).not.toBe(seed);
  });
  it('keygen() and keygen(seed) match noble', () => {
    const { secretKey, publicKey } = x25519.keygen();
    expect(hex(publicKey)).toBe(hex(noble.getPublicKey(secretKey)));
    const seed = new Uint8Array(32).map((_, i) => i * 7);
    const ours = x25519.keygen(seed);
    const theirs = noble.keygen(seed);
    expect(hex(ours.secretKey)).toBe(hex(theirs.secretKey));
    expect(hex(ours.publicKey)).toBe(hex(theirs.publicKey));
  });
  it('lengths', () => expect(x25519.lengths).toEqual({ secretKey: 32, publicKey: 32, seed: 32 }));
  it('inputs are not modified', () => {
    const sk = new Uint8Array(32).fill(0xff);
    const pk = new Uint8Array(32).fill(0xfe);
    x25519.getSharedSecret(sk, pk);
    x25519.getPublicKey(sk);
    expect(sk.every((b) => b === 0xff)).toBe(true);
    expect(pk.every((b) => b === 0xfe)).toBe(true);
  });
});
