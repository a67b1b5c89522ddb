/**
 * Independent E2-E2 v2-hybrid (SPEC.md §13) on noble and @noble/post-quantum: the prologue
 * "e2e2/v2-hybrid" || 0x00 || context, NNhfs+psk2 written token by token (noise-hfs.ts), and the
 * v1 key schedule (§6.3-6.5) on the resulting K2 and h.
 */
import { DH, cat } from './noise.js';
import { hfsTransportFor, initializeHfs, readHfsMessage1, readHfsMessage2, writeHfsMessage1, writeHfsMessage2 } from './noise-hfs.js';
import { eapiRoot, fromHexString, hexOf, k3Of, type OracleK3 } from './e2e2.js';
import type { Cipher } from './noise.js';

export function hybridPrologueFor(context: Uint8Array): Uint8Array {
  return cat(new TextEncoder().encode('e2e2/v2-hybrid'), new Uint8Array([0]), context);
}

export interface OracleHybridHandshake {
  prologue: Uint8Array;
  message1: Uint8Array;
  message2: Uint8Array;
  k1: Uint8Array;
  kemPublicKey: Uint8Array;
  kemOutput: Uint8Array;
  k2: Uint8Array;
  handshakeHash: Uint8Array;
  k3: OracleK3;
  eapiRoot: Uint8Array;
  client: { send: Cipher; receive: Cipher };
  server: { send: Cipher; receive: Cipher };
}

export function hybridHandshake(params: {
  context: Uint8Array;
  keyId: string;
  secret: Uint8Array;
  clientEphemeralPrivate: Uint8Array;
  serverEphemeralPrivate: Uint8Array;
  kemSeed: Uint8Array;
  kemMessage: Uint8Array;
}): OracleHybridHandshake {
  const prologue = hybridPrologueFor(params.context);
  const client = initializeHfs(true, prologue, params.secret, params.clientEphemeralPrivate, params.kemSeed);
  const server = initializeHfs(false, prologue, params.secret, params.serverEphemeralPrivate);
  const message1 = writeHfsMessage1(client, fromHexString(params.keyId));
  if (hexOf(readHfsMessage1(server, message1)) !== params.keyId) throw new Error('oracle: key id mismatch');
  const message2 = writeHfsMessage2(server, new Uint8Array(0), params.kemMessage);
  readHfsMessage2(client, message2);
  if (hexOf(client.s.h) !== hexOf(server.s.h) || hexOf(client.kemOutput!) !== hexOf(server.kemOutput!)) throw new Error('oracle: sides disagree');
  const k2 = client.s.ck.slice();
  const handshakeHash = client.s.h.slice();
  const k3 = k3Of(k2, handshakeHash);
  const [cs, cr] = hfsTransportFor(client);
  const [ss, sr] = hfsTransportFor(server);
  return {
    prologue,
    message1,
    message2,
    k1: DH(params.clientEphemeralPrivate, server.e.pub),
    kemPublicKey: client.kem!.publicKey,
    kemOutput: client.kemOutput!,
    k2,
    handshakeHash,
    k3,
    eapiRoot: eapiRoot(k3.exporter),
    client: { send: cs, receive: cr },
    server: { send: ss, receive: sr },
  };
}
