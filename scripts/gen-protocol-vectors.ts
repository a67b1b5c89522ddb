/**
 * Generate the committed protocol vectors from the e2e2 implementation:
 *   test/vectors/e2e2-v1.json      E2-E2 v1: every intermediate value of complete sessions
 *   test/vectors/noise-nnpsk2.json raw Noise_NNpsk2_25519_ChaChaPoly_SHA256 (cacophony layout)
 *
 *     npm run build:wasm && npx tsx scripts/gen-protocol-vectors.ts
 *
 * Inputs are fixed (ephemerals through the ...ForTestingOnly hooks), derived as SHA-256 of a
 * readable seed string so anyone can re-create them. test/protocol-vectors.test.ts recomputes
 * every value with the independent noble oracle (test/oracle/) and compares byte for byte.
 */
import { writeFileSync } from 'node:fs';
import { sha256 } from '../bindings/core/sha256.js';
import { x25519 } from '../bindings/core/x25519.js';
import { SymmetricState } from '../bindings/noise/symmetric-state.js';
import { createHandshake } from '../bindings/noise/index.js';
import {
  createClientHandshake,
  createServerHandshake,
  deriveK1,
  deriveK2,
  deriveK3,
  deriveEapiRoot,
  fingerprint,
  formatApiKey,
  buildPrologue,
  type ClientSession,
  type ServerSession,
  type Session,
} from '../bindings/index.js';
import { sessionSnapshotForTestingOnly } from '../bindings/e2e2/session.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Deterministic 32 bytes from a readable seed. */
const seeded = (seed: string): Uint8Array => sha256(utf8(seed));

function fail(message: string): never {
  throw new Error(`vector generation: ${message}`);
}

interface RecordStep {
  from: 'client' | 'server';
  /** 'data' | 'rekey' | 'close' */
  type: 'data' | 'rekey' | 'close';
  /** Application data (hex; empty for close). */
  data?: string;
}

interface CaseInput {
  name: string;
  description: string;
  context: string;
  keyIdSeed: string;
  secretSeed: string;
  clientEphemeralSeed: string;
  serverEphemeralSeed: string;
  records: RecordStep[];
  eapis: { index: number; scope: string; expiresAt: number; requests: { method: string; path: string; body: string; timestamp: number; nonceSeed: string }[] }[];
}

const CASES: CaseInput[] = [
  {
    name: 'basic',
    description: 'Empty context; data both ways, an explicit rekey by the client, then close both ways.',
    context: '',
    keyIdSeed: 'e2e2 vector 1 key id',
    secretSeed: 'e2e2 vector 1 api key secret',
    clientEphemeralSeed: 'e2e2 vector 1 client ephemeral',
    serverEphemeralSeed: 'e2e2 vector 1 server ephemeral',
    records: [
      { from: 'client', type: 'data', data: hex(utf8('hello server')) },
      { from: 'server', type: 'data', data: hex(utf8('hello client')) },
      { from: 'client', type: 'rekey', data: '' },
      { from: 'client', type: 'data', data: hex(utf8('after rekey')) },
      { from: 'server', type: 'data', data: '' },
      { from: 'client', type: 'close' },
      { from: 'server', type: 'close' },
    ],
    eapis: [
      {
        index: 0,
        scope: 'orders:read',
        expiresAt: 1_767_225_600_000,
        requests: [
          { method: 'GET', path: '/orders?limit=10', body: '', timestamp: 1_767_225_000_000, nonceSeed: 'e2e2 vector 1 eapi nonce 1' },
          { method: 'POST', path: '/orders', body: '{"item":"book","qty":1}', timestamp: 1_767_225_001_000, nonceSeed: 'e2e2 vector 1 eapi nonce 2' },
        ],
      },
      {
        index: 7,
        scope: 'orders:read orders:write',
        expiresAt: 1_767_229_200_000,
        requests: [{ method: 'DELETE', path: '/orders/42', body: '', timestamp: 1_767_225_002_000, nonceSeed: 'e2e2 vector 1 eapi nonce 3' }],
      },
    ],
  },
  {
    name: 'context-and-rekey-with-data',
    description: 'Context "chat.example.com v2"; a rekey record carrying data from the server, a 1 KiB record.',
    context: 'chat.example.com v2',
    keyIdSeed: 'e2e2 vector 2 key id',
    secretSeed: 'e2e2 vector 2 api key secret',
    clientEphemeralSeed: 'e2e2 vector 2 client ephemeral',
    serverEphemeralSeed: 'e2e2 vector 2 server ephemeral',
    records: [
      { from: 'client', type: 'data', data: '' },
      { from: 'server', type: 'rekey', data: hex(utf8('server rekeys with data')) },
      { from: 'server', type: 'data', data: hex(new Uint8Array(1024).map((_, i) => i & 0xff)) },
      { from: 'client', type: 'data', data: hex(utf8('ok')) },
    ],
    eapis: [
      {
        index: 4294967295,
        scope: 'admin',
        expiresAt: 4_102_444_800_000,
        requests: [{ method: 'PUT', path: '/config/ä?x=1', body: 'binary\u0000body', timestamp: 4_102_444_000_000, nonceSeed: 'e2e2 vector 2 eapi nonce 1' }],
      },
    ],
  },
];

function sessionOf(from: 'client' | 'server', client: ClientSession, server: ServerSession): [Session, Session] {
  return from === 'client' ? [client, server] : [server, client];
}

async function e2e2Case(input: CaseInput): Promise<Record<string, unknown>> {
  const keyId = hex(seeded(input.keyIdSeed).subarray(0, 12));
  const secret = seeded(input.secretSeed);
  const token = formatApiKey({ keyId, secret });
  const clientEphemeralPrivate = seeded(input.clientEphemeralSeed);
  const serverEphemeralPrivate = seeded(input.serverEphemeralSeed);
  const clientEphemeralPublic = x25519.getPublicKey(clientEphemeralPrivate);
  const serverEphemeralPublic = x25519.getPublicKey(serverEphemeralPrivate);
  const prologue = buildPrologue(input.context);

  // The handshake itself, through the public API.
  const stages: Record<string, string> = {};
  const client = createClientHandshake({
    apiKey: token,
    context: input.context,
    fixedEphemeralPrivateKeyForTestingOnly: clientEphemeralPrivate,
    trace: (e) => (stages[`client${e.stage}`] = e.fingerprint),
  });
  const server = createServerHandshake({
    resolveKey: (id) => (id === keyId ? secret : undefined),
    context: input.context,
    fixedEphemeralPrivateKeyForTestingOnly: serverEphemeralPrivate,
    trace: (e) => (stages[`server${e.stage}`] = e.fingerprint),
  });
  const message1 = client.writeMessage1();
  const { message2, session: serverSession } = await server.respond(message1);
  const clientSession = client.readMessage2(message2);

  // The same key schedule step by step with SymmetricState and the named derivations, recording
  // ck, h and k after every Noise operation (SPEC.md §5-6), checked against the handshake's bytes.
  const trace: { op: string; ck: string; h: string; k: string | null }[] = [];
  const s = SymmetricState.initialize();
  const snap = (op: string): void => {
    trace.push({ op, ck: hex(s.chainingKey), h: hex(s.handshakeHash), k: s.cipher.hasKey() ? hex(s.cipher.keyForTestingOnly()!) : null });
  };
  snap('InitializeSymmetric');
  s.mixHash(prologue);
  snap('MixHash(prologue)');
  s.mixHash(clientEphemeralPublic);
  snap('MixHash(e)');
  s.mixKey(clientEphemeralPublic);
  snap('MixKey(e)');
  const message1Payload = s.encryptAndHash(keyIdToBytes(keyId));
  snap('EncryptAndHash(keyId)');
  s.mixHash(serverEphemeralPublic);
  snap('MixHash(re)');
  s.mixKey(serverEphemeralPublic);
  snap('MixKey(re)');
  const k1 = deriveK1(clientEphemeralPrivate, serverEphemeralPublic);
  s.mixKey(k1);
  snap('MixKey(ee)');
  const ckBeforeEe = trace.at(-2)!.ck;
  const k2d = deriveK2(new Uint8Array(Buffer.from(ckBeforeEe, 'hex')), k1, secret);
  s.mixKeyAndHash(secret);
  snap('MixKeyAndHash(psk)');
  if (hex(s.chainingKey) !== hex(k2d.k2)) fail('deriveK2 disagrees with MixKey(K1) + MixKeyAndHash(psk)');
  const message2Payload = s.encryptAndHash(new Uint8Array(0));
  snap('EncryptAndHash(empty)');
  const handshakeHash = s.handshakeHash;
  const k3 = deriveK3(k2d.k2, handshakeHash);
  if (hex(message1) !== hex(clientEphemeralPublic) + hex(message1Payload)) fail('message 1 differs from the step-by-step schedule');
  if (hex(message2) !== hex(serverEphemeralPublic) + hex(message2Payload)) fail('message 2 differs from the step-by-step schedule');
  if (clientSession.sessionId !== hex(k3.sessionId) || serverSession.sessionId !== hex(k3.sessionId)) fail('session ids differ');
  if (stages.clientK1 !== stages.serverK1 || stages.clientK3 !== stages.serverK3 || stages.clientK1 !== fingerprint(k1)) fail('fingerprints differ');

  // Records.
  const records = input.records.map((step) => {
    const [sender, receiver] = sessionOf(step.from, clientSession, serverSession);
    const before = sessionSnapshotForTestingOnly(sender);
    const data = new Uint8Array(Buffer.from(step.data ?? '', 'hex'));
    const record = step.type === 'close' ? sender.close() : step.type === 'rekey' ? sender.rekey(data) : sender.seal(data);
    const opened = receiver.open(record);
    if (opened.type !== step.type) fail(`record type ${opened.type} != ${step.type}`);
    const after = sessionSnapshotForTestingOnly(sender);
    return {
      from: step.from,
      type: step.type,
      data: step.data ?? '',
      key: hex(before.sendKey as Uint8Array),
      nonce: Number(before.sendNonce as bigint),
      record: hex(record),
      ...(step.type === 'rekey' ? { keyAfter: hex(after.sendKey as Uint8Array) } : {}),
    };
  });

  // EAPIs (from a second session pair on the same keys: the first one was closed above).
  const eapiClient = createClientHandshake({ apiKey: token, context: input.context, fixedEphemeralPrivateKeyForTestingOnly: clientEphemeralPrivate });
  const eapiServer = createServerHandshake({ resolveKey: () => secret, context: input.context, fixedEphemeralPrivateKeyForTestingOnly: serverEphemeralPrivate });
  const { message2: m2b, session: eapiServerSession } = await eapiServer.respond(eapiClient.writeMessage1());
  const eapiClientSession = eapiClient.readMessage2(m2b);
  const eapis = input.eapis.map((params) => {
    const eapi = eapiClientSession.issueEapi({ index: params.index, scope: params.scope, expiresAt: params.expiresAt });
    const requests = params.requests.map((r) => {
      const nonce = seeded(r.nonceSeed).subarray(0, 16);
      const authorization = eapi.sign({ method: r.method, path: r.path, body: r.body, timestamp: r.timestamp, nonce });
      const verified = eapiServerSession.verifyEapi({ authorization, method: r.method, path: r.path, body: r.body, now: r.timestamp, requiredScope: params.scope.split(' ')[0]! });
      if (verified.index !== params.index) fail('EAPI verification disagrees');
      const raw = Buffer.from(authorization.slice('E2E2-EAPI '.length), 'base64url');
      return { method: r.method, path: r.path, body: hex(utf8(r.body)), timestamp: r.timestamp, nonce: hex(nonce), signature: hex(raw.subarray(raw.length - 32)), authorization };
    });
    return { index: params.index, scope: params.scope, expiresAt: params.expiresAt, secret: hex(eapi.secretForTestingOnly()), requests };
  });

  return {
    name: input.name,
    description: input.description,
    context: hex(utf8(input.context)),
    prologue: hex(prologue),
    apiKey: { token, keyId, secret: hex(secret) },
    clientEphemeralPrivate: hex(clientEphemeralPrivate),
    clientEphemeralPublic: hex(clientEphemeralPublic),
    serverEphemeralPrivate: hex(serverEphemeralPrivate),
    serverEphemeralPublic: hex(serverEphemeralPublic),
    message1: hex(message1),
    message2: hex(message2),
    k1: hex(k1),
    k2: hex(k2d.k2),
    handshakeHash: hex(handshakeHash),
    k3: { initiatorToResponder: hex(k3.initiatorToResponder), responderToInitiator: hex(k3.responderToInitiator), exporter: hex(k3.exporter) },
    sessionId: hex(k3.sessionId),
    eapiRoot: hex(deriveEapiRoot(k3.exporter)),
    fingerprints: { k1: stages.clientK1, k2: stages.clientK2, k3: stages.clientK3 },
    trace,
    records,
    eapis,
  };
}

function keyIdToBytes(keyId: string): Uint8Array {
  return new Uint8Array(Buffer.from(keyId, 'hex'));
}

/** Raw Noise vectors in the cacophony/snow layout: handshake, then transport messages alternating. */
function noiseCase(seed: string, prologueText: string, payloads: string[]): Record<string, unknown> {
  const psk = seeded(`${seed} psk`);
  const initEphemeral = seeded(`${seed} initiator ephemeral`);
  const respEphemeral = seeded(`${seed} responder ephemeral`);
  const prologue = utf8(prologueText);
  const initiator = createHandshake({ role: 'initiator', psk, prologue, fixedEphemeralPrivateKeyForTestingOnly: initEphemeral });
  const responder = createHandshake({ role: 'responder', psk, prologue, fixedEphemeralPrivateKeyForTestingOnly: respEphemeral });
  const messages: { payload: string; ciphertext: string }[] = [];
  const p = payloads.map(utf8);
  const m1 = initiator.writeMessage(p[0]);
  if (hex(responder.readMessage(m1)) !== hex(p[0]!)) fail('noise payload 1');
  messages.push({ payload: hex(p[0]!), ciphertext: hex(m1) });
  const m2 = responder.writeMessage(p[1]);
  if (hex(initiator.readMessage(m2)) !== hex(p[1]!)) fail('noise payload 2');
  messages.push({ payload: hex(p[1]!), ciphertext: hex(m2) });
  const handshakeHash = initiator.getHandshakeHash();
  if (hex(handshakeHash) !== hex(responder.getHandshakeHash())) fail('noise handshake hash');
  const a = initiator.split();
  const b = responder.split();
  for (let i = 2; i < p.length; i++) {
    const [sender, receiver] = i % 2 === 0 ? [a, b] : [b, a];
    const ciphertext = sender.encrypt(p[i]!);
    if (hex(receiver.decrypt(ciphertext)) !== hex(p[i]!)) fail('noise transport');
    messages.push({ payload: hex(p[i]!), ciphertext: hex(ciphertext) });
  }
  return {
    protocol_name: 'Noise_NNpsk2_25519_ChaChaPoly_SHA256',
    init_prologue: hex(prologue),
    init_psks: [hex(psk)],
    init_ephemeral: hex(initEphemeral),
    resp_prologue: hex(prologue),
    resp_psks: [hex(psk)],
    resp_ephemeral: hex(respEphemeral),
    handshake_hash: hex(handshakeHash),
    messages,
  };
}

const e2e2 = {
  description: 'E2-E2 v1 (SPEC.md) test vectors: every intermediate value. Hex unless stated; times in ms since the Unix epoch.',
  protocol: 'Noise_NNpsk2_25519_ChaChaPoly_SHA256',
  version: 'e2e2/v1',
  generator: 'scripts/gen-protocol-vectors.ts (from the e2e2 implementation); verified by test/protocol-vectors.test.ts against the noble oracle',
  seeds: 'Fixed inputs are SHA-256 of the seed strings in the generator (key id: first 12 bytes; EAPI nonces: first 16 bytes).',
  cases: [] as Record<string, unknown>[],
};
for (const input of CASES) e2e2.cases.push(await e2e2Case(input));

const noise = {
  description: 'Noise_NNpsk2_25519_ChaChaPoly_SHA256 vectors (cacophony layout). Messages 0-1 are the handshake; then transport messages alternate initiator, responder.',
  generator: 'scripts/gen-protocol-vectors.ts; verified by test/protocol-vectors.test.ts against the noble oracle',
  vectors: [
    noiseCase('noise vector 1', '', ['', '', '', '']),
    noiseCase('noise vector 2', 'John Galt', ['4c756477696720766f6e204d69736573', 'Murray Rothbard', 'F. A. Hayek', 'Carl Menger', 'Jean-Baptiste Say', 'Eugen Böhm von Bawerk']),
    noiseCase('noise vector 3', 'e2e2 prologue', ['x'.repeat(1000), 'y'.repeat(2000), 'z'.repeat(3000), '']),
  ],
};

const root = new URL('../test/vectors/', import.meta.url);
writeFileSync(new URL('e2e2-v1.json', root), `${JSON.stringify(e2e2, null, 2)}\n`);
writeFileSync(new URL('noise-nnpsk2.json', root), `${JSON.stringify(noise, null, 2)}\n`);
console.log(`wrote ${e2e2.cases.length} E2-E2 cases and ${noise.vectors.length} Noise vectors to test/vectors/`);
