/**
 * ML-KEM-768 keygen, encapsulate and decapsulate, side by side: e2e2 (WASM), @noble/post-quantum (baseline) and
 * mlkem (crystals-kyber-js, its synchronous createMlKem768 instance), plus node:crypto where the runtime has ML-KEM
 * (Node >= 24.7; Node 20 does not, and the suite says so). Deterministic inputs (seed, m) make every contender
 * compute the same thing, and each one's output is checked against e2e2's before timing. Target: >= 3x noble.
 */
import * as nodeCrypto from 'node:crypto';
import { ml_kem768 as noble } from '@noble/post-quantum/ml-kem.js';
import { createMlKem768 } from 'mlkem';
import { ml_kem768 } from '../bindings/crypto.js';
import type { Case, Contender } from './harness.js';

type Run = () => unknown;

/** Bytes that identify an operation's result, for the pre-timing check. */
type Fingerprint = (result: unknown) => Uint8Array;

const concat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

function checked(reference: Uint8Array, fingerprint: Fingerprint, contenders: Array<[string, Run, boolean?]>): Contender[] {
  return contenders.map(([name, fn, baseline]) => {
    if (Buffer.compare(Buffer.from(fingerprint(fn())), Buffer.from(reference)) !== 0) throw new Error(`${name}: output differs from e2e2`);
    return { name, fn, baseline };
  });
}

interface NodeKem {
  encapsulate(key: nodeCrypto.KeyObject): { sharedKey: Buffer; ciphertext: Buffer };
  decapsulate(key: nodeCrypto.KeyObject, ciphertext: Uint8Array): Buffer;
}

/** node:crypto's ML-KEM, when this Node has it: random keys and messages only, so it gets rows of its own. */
function nodeContenders(): { keygen?: Run; encapsulate?: Run; decapsulate?: Run } {
  const kem = nodeCrypto as unknown as Partial<NodeKem>;
  if (typeof kem.encapsulate !== 'function' || typeof kem.decapsulate !== 'function') {
    console.log(`\nml-kem-768: node:crypto in Node ${process.version} has no ML-KEM (crypto.encapsulate arrived in Node 24.7); not compared`);
    return {};
  }
  const generate = () => nodeCrypto.generateKeyPairSync('ml-kem-768' as 'ed25519');
  const { publicKey, privateKey } = generate();
  const { sharedKey, ciphertext } = kem.encapsulate(publicKey);
  if (!kem.decapsulate(privateKey, ciphertext).equals(sharedKey)) throw new Error('node:crypto: decapsulate(encapsulate()) differs');
  return {
    keygen: generate,
    encapsulate: () => kem.encapsulate!(publicKey),
    decapsulate: () => kem.decapsulate!(privateKey, ciphertext),
  };
}

export async function mlkemCases(): Promise<Case[]> {
  const peer = await createMlKem768();
  const seed = new Uint8Array(64).map((_, i) => (i * 37 + 5) & 0xff);
  const msg = new Uint8Array(32).map((_, i) => (i * 91 + 3) & 0xff);
  const { publicKey, secretKey } = ml_kem768.keygen(seed);
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, msg);
  const node = nodeContenders();
  // node:crypto draws its own randomness, so its output cannot equal e2e2's; nodeContenders checked it round-trips.
  const nodeRow = (fn: Run | undefined): Contender[] => (fn ? [{ name: 'node:crypto (random, KeyObjects)', fn }] : []);
  const pair = (r: unknown): Uint8Array => (Array.isArray(r) ? concat(r[0], r[1]) : concat(...Object.values(r as Record<string, Uint8Array>)));

  return [
    {
      group: 'ml-kem-768 keygen', size: '', bytes: 0, batch: 1,
      contenders: checked(concat(publicKey, secretKey), pair, [
        ['e2e2', () => ml_kem768.keygen(seed)],
        ['@noble/post-quantum', () => noble.keygen(seed), true],
        ['mlkem', () => peer.deriveKeyPair(seed)],
      ]).concat(nodeRow(node.keygen)),
    },
    {
      group: 'ml-kem-768 encapsulate', size: '', bytes: 0, batch: 1,
      contenders: checked(concat(cipherText, sharedSecret), pair, [
        ['e2e2', () => ml_kem768.encapsulate(publicKey, msg)],
        ['@noble/post-quantum', () => noble.encapsulate(publicKey, msg), true],
        ['mlkem', () => peer.encap(publicKey, msg)],
      ]).concat(nodeRow(node.encapsulate)),
    },
    {
      group: 'ml-kem-768 decapsulate', size: '', bytes: 0, batch: 1,
      contenders: checked(sharedSecret, (r) => r as Uint8Array, [
        ['e2e2', () => ml_kem768.decapsulate(cipherText, secretKey)],
        ['@noble/post-quantum', () => noble.decapsulate(cipherText, secretKey), true],
        ['mlkem', () => peer.decap(cipherText, secretKey)],
      ]).concat(nodeRow(node.decapsulate)),
    },
  ];
}
