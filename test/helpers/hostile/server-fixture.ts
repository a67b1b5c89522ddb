/**
 * The server under attack, as its own process (run: node --import tsx server-fixture.ts '<json>'),
 * so a test can see whether hostile input ended it. It installs no uncaughtException handler on
 * purpose: a crash must stay a crash.
 *
 * Echo server with in-memory keys and misbehaving application code on demand:
 *   message "throw:message"  the 'message' listener throws
 *   message "throw:end"      the 'end' listener throws when the client's CLOSE record arrives
 *   message "end-now"        the server ends its direction (channel.end())
 *   key "channelThrows"      the server.on('channel') listener throws
 *   key "handlerRejects"     the async onChannel handler rejects
 * stdout: "READY {...}" once listening, then "EVENT {...}" lines (channel, close, error, handshakeError) and
 * "REPLY {...}" answers. stdin: one JSON command a line ({"cmd":"revoke"|"revokeKey"|"stats", ...}).
 * GET /verify verifies the request's EAPI Authorization header (scope "hostile:test").
 */
import { createInterface } from 'node:readline';
import { generateApiKey } from '../../../bindings/e2e2/api-key.js';
import { createServer, type E2E2Server, type ServerOptions } from '../../../bindings/channel/server.js';
import type { Channel } from '../../../bindings/channel/channel.js';

export interface FixtureConfig {
  /** Ordinary keys to make (default 4). */
  keys?: number;
  /** Passed to createServer as they are (also option names today's server does not know). */
  options?: Record<string, unknown>;
  /** Emit an EVENT for every failed handshake (off by default: floods make thousands). */
  reportHandshakeErrors?: boolean;
}

export const VERIFY_PATH = '/verify';
export const VERIFY_SCOPE = 'hostile:test';

const config = JSON.parse(process.argv[2] ?? '{}') as FixtureConfig;
const emit = (kind: string, value: unknown) => process.stdout.write(`${kind} ${JSON.stringify(value)}\n`);
const describeError = (error: unknown) => {
  const e = error as { code?: unknown; message?: unknown; cause?: { message?: unknown } } | undefined;
  return { code: e?.code, message: typeof e?.message === 'string' ? e.message : String(error), cause: e?.cause?.message };
};

const map = new Map<string, Uint8Array>();
const make = () => {
  const key = generateApiKey();
  map.set(key.keyId, key.secret.slice());
  return key;
};
const tokens = Array.from({ length: config.keys ?? 4 }, () => make().token);
const channelThrows = make();
const handlerRejects = make();

function text(data: Uint8Array): string | undefined {
  return data.length <= 16 ? Buffer.from(data).toString('latin1') : undefined;
}

function onChannel(channel: Channel): void | Promise<void> {
  emit('EVENT', { type: 'channel', keyId: channel.keyId, sessionId: channel.sessionId });
  void channel.closed.then((info) =>
    emit('EVENT', { type: 'close', keyId: channel.keyId, sessionId: channel.sessionId, code: info.code, error: info.error ? describeError(info.error) : undefined }),
  );
  if (channel.keyId === handlerRejects.keyId) {
    return (async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error('onChannel rejected on purpose');
    })();
  }
  let throwOnEnd = false;
  channel.on('message', (data) => {
    const command = text(data);
    if (command === 'throw:message') throw new Error('message listener threw on purpose');
    if (command === 'throw:end') {
      throwOnEnd = true;
      return;
    }
    if (command === 'end-now') {
      channel.end();
      return;
    }
    if (!channel.writable) return;
    // hardening.md: send() returns false once the socket queue is full; then wait for it to drain.
    const accepted: unknown = channel.send(data);
    if (accepted === false) {
      channel.pause();
      void channel.drained().then(() => channel.resume());
    }
  });
  channel.on('end', () => {
    if (throwOnEnd) throw new Error('end listener threw on purpose');
  });
}

let server: E2E2Server | undefined;
const options = {
  keys: (keyId: string) => map.get(keyId)?.slice(),
  host: '127.0.0.1',
  port: 0,
  onChannel,
  ...(config.reportHandshakeErrors ? { onHandshakeError: (error: unknown) => emit('EVENT', { type: 'handshakeError', error: describeError(error) }) } : {}),
  httpHandler: (request, response) => {
    if (request.url !== VERIFY_PATH) {
      response.writeHead(426).end();
      return;
    }
    try {
      server!.verifyRequest({ authorization: request.headers.authorization ?? '', method: 'GET', path: VERIFY_PATH, requiredScope: VERIFY_SCOPE });
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ verified: true }));
    } catch (error) {
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ verified: false, error: describeError(error).code }));
    }
  },
  ...config.options,
} as ServerOptions;
server = await createServer(options);

server.on('channel', (channel) => {
  if (channel.keyId === channelThrows.keyId) throw new Error('channel listener threw on purpose');
});
// hardening.md: server.on('error', (error, info) => ...). Today's server has no such event.
const on = server.on.bind(server) as unknown as (event: string, listener: (error: unknown, info?: { channel?: Channel }) => void) => unknown;
try {
  on('error', (error, info) => emit('EVENT', { type: 'error', error: describeError(error), keyId: info?.channel?.keyId }));
} catch (error) {
  emit('EVENT', { type: 'setup', message: `no server 'error' event: ${describeError(error).message}` });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as { cmd: string; keyId?: string; id?: number };
  switch (command.cmd) {
    case 'revoke':
      map.delete(command.keyId!);
      emit('REPLY', { id: command.id, ok: true });
      return;
    case 'revokeKey': {
      const revokeKey = (server as unknown as { revokeKey?: (keyId: string) => unknown }).revokeKey;
      if (typeof revokeKey !== 'function') emit('REPLY', { id: command.id, ok: false, error: 'server.revokeKey is not a function' });
      else {
        revokeKey.call(server, command.keyId!);
        emit('REPLY', { id: command.id, ok: true });
      }
      return;
    }
    case 'stats':
      emit('REPLY', { id: command.id, ok: true, stats: server!.stats, channels: server!.channels.size });
      return;
  }
});
// The parent went away: do not outlive it.
process.stdin.on('end', () => process.exit(0));

emit('READY', { url: server.url, port: server.port, pid: process.pid, tokens, channelThrows: channelThrows.token, handlerRejects: handlerRejects.token });
