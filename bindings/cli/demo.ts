/**
 * `e2e2 demo` (what `npm start` runs): the whole flow on 127.0.0.1, each step shown with its
 * timing and key fingerprints, never a secret. Server and client run in this one process over a
 * real loopback WebSocket; the key store is a temporary file, removed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { fingerprint } from '../e2e2/derive.js';
import { MESSAGE1_BYTES, MESSAGE2_BYTES, NOISE_PROTOCOL_NAME, NOISE_PROTOCOL_NAME_HYBRID } from '../e2e2/constants.js';
import { parseApiKey } from '../e2e2/api-key.js';
import type { TraceEvent } from '../e2e2/handshake.js';
import { apiKeyToken, openKeyStore } from '../channel/keys.js';
import { createServer, type E2E2Server } from '../channel/server.js';
import { connect } from '../channel/node.js';
import type { Channel, CloseInfo } from '../channel/channel.js';
import type { ConnectTraceEvent } from '../channel/client.js';
import { DEMO_SCOPE, EAPI_ECHO_PATH, httpRoutes } from './http.js';
import { echo } from './serve.js';
import { CliError, errorLine, formatMs, parse } from './util.js';

export const DEMO_HELP = `Usage: e2e2 demo

Starts a server on 127.0.0.1, creates an API key, connects a client and shows each step:
the handshake (K1, K2, K3 with fingerprints), an encrypted echo, an EAPI-signed HTTP request
verified by the server, a rekey, a clean close, and a revoked key being refused. Exits 0.
`;

const STAGE_TEXT: Record<TraceEvent['stage'], string> = {
  K1: 'K1 = X25519(e, re)            ',
  KEM: 'ML-KEM-768 shared secret       ',
  K2: 'K2 = KDF(K1, API key)         ',
  K3: 'K3 = Split(K2) + exporter     ',
};

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function demoCommand(args: string[], out: (line: string) => void): Promise<number | undefined> {
  const { values } = parse(args, {}, false);
  if (values.help) {
    out(DEMO_HELP);
    return undefined;
  }
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'e2e2-demo-'));
  let server: E2E2Server | undefined;
  let channel: Channel | undefined;
  const step = (n: number, name: string, text: string) => out(`${String(n).padStart(2)}. ${name.padEnd(10)} ${text}`);
  const detail = (text: string) => out(`               ${text}`);
  try {
    out('E2-E2 demo: Noise_NNpsk2_25519_ChaChaPoly_SHA256 over WebSocket, client and server in this process on 127.0.0.1');
    out('(secrets are never printed: a fingerprint is the first 8 bytes of a labelled SHA-256 of a key)\n');

    // 1. Server.
    let t = performance.now();
    const store = openKeyStore(join(dir, 'keys.json'));
    const serverTrace: TraceEvent[] = [];
    const serverTraceAt: number[] = [];
    const serverChannels: Channel[] = [];
    server = await createServer({
      keys: store,
      host: '127.0.0.1',
      port: 0,
      trace: (event) => {
        serverTrace.push(event);
        serverTraceAt.push(performance.now());
      },
      httpHandler: httpRoutes(() => server!),
      onChannel: (ch) => {
        serverChannels.push(ch);
        return echo(ch);
      },
    });
    step(1, 'server', `listening on ${server.url} (echo; EAPI-verified POST ${EAPI_ECHO_PATH})   ${formatMs(performance.now() - t)}`);

    // 2. API key.
    t = performance.now();
    const key = store.create('demo');
    const token = apiKeyToken(key);
    const secret = parseApiKey(token).secret;
    const keyPrint = fingerprint(secret);
    secret.fill(0);
    step(2, 'API key', `created key id ${key.id}, secret fingerprint ${keyPrint} (stored 0600 in a temporary key store)   ${formatMs(performance.now() - t)}`);

    // 3. Handshake.
    step(3, 'handshake', 'client connects; each line: elapsed time since the start of the handshake');
    const clientTrace: { event: ConnectTraceEvent; at: number }[] = [];
    const t0 = performance.now();
    channel = await connect(server.url, {
      apiKey: token,
      trace: (event) => clientTrace.push({ event, at: performance.now() - t0 }),
    });
    const handshakeMs = performance.now() - t0;
    const serverChannel = await waitFor(() => serverChannels.find((c) => c.sessionId === channel!.sessionId));
    const at = (ms: number) => `${ms.toFixed(2).padStart(7)} ms`;
    const sizes: Record<string, string> = { message1: 'e (32) + encrypted key id (12 + 16 tag)', message2: 'e (32) + empty payload tag (16); tokens e, ee, psk', confirm: 'empty DATA record: type byte + tag' };
    for (const { event, at: ms } of clientTrace) {
      if (event.stage === 'open') detail(`${at(ms)}  WebSocket open`);
      else if (event.stage === 'message1') detail(`${at(ms)}  client -> server  message 1, ${event.bytes} bytes: ${sizes.message1}`);
      else if (event.stage === 'message2') {
        serverTrace.forEach((s, i) => detail(`${at(serverTraceAt[i]! - t0)}  server           ${STAGE_TEXT[s.stage]} fingerprint ${s.fingerprint}`));
        detail(`${at(ms)}  server -> client  message 2, ${event.bytes} bytes: ${sizes.message2}`);
      } else if (event.stage === 'confirm') detail(`${at(ms)}  client -> server  key confirmation, ${event.bytes} bytes: ${sizes.confirm}`);
      else if ('fingerprint' in event) detail(`${at(ms)}  client           ${STAGE_TEXT[event.stage]} fingerprint ${event.fingerprint}`);
    }
    const clientStages = clientTrace.map((c) => c.event).filter((e): e is TraceEvent => e.stage === 'K1' || e.stage === 'K2' || e.stage === 'K3');
    const agree = ['K1', 'K2', 'K3'].every((stage) => {
      const c = clientStages.find((e) => e.stage === stage);
      const s = serverTrace.find((e) => e.stage === stage);
      return c !== undefined && s !== undefined && c.fingerprint === s.fingerprint;
    });
    if (!agree) throw new CliError('client and server key fingerprints differ');
    detail(`handshake complete in ${formatMs(handshakeMs)}: K1, K2, K3 fingerprints equal on both sides`);
    // The first handshake in a process also compiles the WASM module and warms up the JIT.
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t1 = performance.now();
      const extra = await connect(server.url, { apiKey: token });
      warm.push(performance.now() - t1);
      await extra.close();
    }
    warm.sort((a, b) => a - b);
    detail(`(the first handshake in a process includes compiling the WASM module; 20 more took ${formatMs(warm[10]!)} median, ${formatMs(warm[0]!)} fastest)`);
    // The opt-in post-quantum handshake with the same key (SPEC.md §13): which one ran, and its sizes.
    const pqBytes: number[] = [];
    const tpq = performance.now();
    const pq = await connect(server.url, { apiKey: token, postQuantum: true, trace: (e) => void ('bytes' in e && pqBytes.push(e.bytes)) });
    const pqMs = performance.now() - tpq;
    if (!pq.postQuantum) throw new CliError('the post-quantum handshake did not run');
    detail(`post-quantum: connect({ postQuantum: true }) ran ${NOISE_PROTOCOL_NAME_HYBRID} (E2-E2 v2-hybrid: tokens e, e1 / e, ee, ekem1, psk):`);
    detail(`  message 1 ${pqBytes[0]} bytes (+ ML-KEM-768 public key), message 2 ${pqBytes[1]} bytes (+ ML-KEM ciphertext), ${formatMs(pqMs)}; the channel above is v1 (${NOISE_PROTOCOL_NAME}, ${MESSAGE1_BYTES} + ${MESSAGE2_BYTES} bytes)`);
    await pq.close();
    detail(`server authenticated the client: key id ${serverChannel.keyId}, session ${serverChannel.sessionId} (client: ${channel.sessionId})`);

    // 4. Encrypted echo.
    const iterator = channel[Symbol.asyncIterator]();
    const next = async () => {
      const r = await iterator.next();
      if (r.done) throw new CliError('the channel ended early');
      return r.value;
    };
    t = performance.now();
    const hello = 'hello, E2-E2';
    channel.send(hello);
    const back = new TextDecoder().decode(await next());
    if (back !== hello) throw new CliError('echo mismatch');
    step(4, 'echo', `"${hello}" (${hello.length} bytes in a ${hello.length + 17}-byte record) came back in ${formatMs(performance.now() - t)}`);
    t = performance.now();
    const blob = new Uint8Array(randomBytes(256 * 1024));
    channel.write(blob);
    const received: Uint8Array[] = [];
    let total = 0;
    while (total < blob.length) {
      const part = await next();
      received.push(part);
      total += part.length;
    }
    const equal = sha256Hex(Buffer.concat(received)) === sha256Hex(blob);
    if (!equal) throw new CliError('stream echo mismatch');
    detail(`256 KiB of random bytes as ${received.length} records came back in ${formatMs(performance.now() - t)}; SHA-256 equal (${sha256Hex(blob).slice(0, 16)}…)`);

    // 5. EAPI-signed request, verified by the server.
    t = performance.now();
    const expiresAt = Date.now() + 60_000;
    const eapi = channel.issueEapi({ scope: DEMO_SCOPE, expiresAt });
    const body = JSON.stringify({ order: 42, note: 'signed with an EAPI' });
    const authorization = eapi.sign({ method: 'POST', path: EAPI_ECHO_PATH, body, timestamp: Date.now() });
    const endpoint = `http://127.0.0.1:${server.port}${EAPI_ECHO_PATH}`;
    const post = async (auth: string, payload: string) => {
      const response = await fetch(endpoint, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: payload });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    const ok = await post(authorization, body);
    if (ok.status !== 200 || ok.json.verified !== true) throw new CliError(`the server did not verify the EAPI request (${ok.status} ${String(ok.json.error)})`);
    step(5, 'EAPI', `issued EAPI #${eapi.index} for scope "${DEMO_SCOPE}", expires in 60 s (derived from K3's exporter; its secret never leaves the client)`);
    detail(`POST ${EAPI_ECHO_PATH} with Authorization: E2E2-EAPI … -> ${ok.status}, verified by the server for key ${String(ok.json.keyId)}, session ${String(ok.json.sessionId).slice(0, 12)}…   ${formatMs(performance.now() - t)}`);
    const tampered = await post(authorization, body.replace('42', '43'));
    detail(`same signature, body changed  -> ${tampered.status} ${String(tampered.json.error)}`);
    const replayed = await post(authorization, body);
    detail(`same request replayed         -> ${replayed.status} ${String(replayed.json.error)}`);
    if (tampered.status === 200 || replayed.status === 200) throw new CliError('a tampered or replayed request was accepted');

    // 6. Rekey.
    t = performance.now();
    channel.rekey();
    channel.send('after rekey');
    const afterRekey = new TextDecoder().decode(await next());
    if (afterRekey !== 'after rekey') throw new CliError('echo after rekey failed');
    step(6, 'rekey', `REKEY record sent: the client's sending key is now REKEY(k) (Noise §4.2) on both sides; echo under the new key OK   ${formatMs(performance.now() - t)}`);

    // 7. Clean close.
    t = performance.now();
    const clientClosed: CloseInfo = await channel.close();
    const serverClosed = await serverChannel.closed;
    if (clientClosed.error || serverClosed.error) throw new CliError(`unclean close: ${errorLine(clientClosed.error ?? serverClosed.error)}`);
    step(7, 'close', `CLOSE records exchanged, WebSocket closed ${clientClosed.code} on both sides (no truncation); keys wiped   ${formatMs(performance.now() - t)}`);

    // 8. Revocation.
    t = performance.now();
    store.revoke(key.id);
    try {
      await connect(server.url, { apiKey: token });
      throw new CliError('a revoked key was accepted');
    } catch (error) {
      if (error instanceof CliError) throw error;
      const code = (error as { code?: string }).code;
      if (code !== 'ERR_AUTHENTICATION_FAILED') throw error;
      step(8, 'revoke', `key ${key.id} revoked; a new handshake with it is refused: ${code} (close code 4001, same as any wrong key)   ${formatMs(performance.now() - t)}`);
    }
    const stats = server.stats;
    out(`\ndone in ${formatMs(performance.now() - started)}: ${stats.handshakes} handshake(s) completed, ${stats.handshakeFailures} refused`);
    return 0;
  } finally {
    if (channel && channel.state !== 'closed') await channel.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Poll (every ms, up to 2 s) until `get` returns something. */
async function waitFor<T>(get: () => T | undefined): Promise<T> {
  for (let i = 0; i < 2000; i++) {
    const value = get();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new CliError('timed out waiting for the server');
}
