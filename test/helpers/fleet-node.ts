/**
 * One node of a test fleet, as its own process (child_process.fork with tsx; see fleet.ts): an
 * E2E2Server whose keys, session registry and replay store are on Redis (e2e2/fleet), echoing
 * every channel, plus `POST|GET /verify` answering a request signed with an EAPI
 * (signEapiHttpRequest): 200 with the verified claims, 401 with the error code for a refused
 * signature, 503 with ERR_STORE_UNAVAILABLE when Redis cannot answer.
 *
 * IPC: sends {type:'ready', url, port}, {type:'channel'|'close', sessionId, keyId, code?}; answers
 * {cmd:'stats'} with {type:'reply', id, channels}.
 */
import type { IncomingMessage } from 'node:http';
import { createServer, type E2E2Server } from '../../bindings/channel/server.js';
import type { Channel } from '../../bindings/channel/channel.js';
import { RedisKeyStore, RedisReplayStore, RedisSessionRegistry } from '../../bindings/fleet/index.js';
import { isE2E2Error } from '../../bindings/errors.js';

export interface FleetNodeConfig {
  redisUrl: string;
  keyPrefix: string;
  commandTimeoutMs?: number;
  /** Passed to createServer as they are. */
  options?: Record<string, unknown>;
}

const config = JSON.parse(process.argv[2] ?? '{}') as FleetNodeConfig;
const send = (message: Record<string, unknown>) => process.send?.(message);
const storeOptions = { keyPrefix: config.keyPrefix, commandTimeoutMs: config.commandTimeoutMs ?? 500 };

const keys = new RedisKeyStore(config.redisUrl, storeOptions);
const sessions = new RedisSessionRegistry(config.redisUrl, storeOptions);
const replay = new RedisReplayStore(config.redisUrl, storeOptions);
await Promise.all([keys.ready(), sessions.ready(), replay.ready()]);

const MAX_BODY = 64 * 1024;

function readBody(request: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    request.on('error', reject);
  });
}

async function echo(channel: Channel): Promise<void> {
  send({ type: 'channel', sessionId: channel.sessionId, keyId: channel.keyId });
  void channel.closed.then((info) => send({ type: 'close', sessionId: channel.sessionId, keyId: channel.keyId, code: info.code, error: info.error?.code }));
  for await (const message of channel) {
    if (!channel.writable) break;
    if (!channel.send(message)) await channel.drained();
  }
  channel.end();
}

let server: E2E2Server | undefined;
server = await createServer({
  keys: keys.resolver(),
  eapiSessions: sessions,
  host: '127.0.0.1',
  port: 0,
  onChannel: echo,
  httpHandler: async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path !== '/verify') {
      response.writeHead(404).end();
      return;
    }
    const answer = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    try {
      const body = await readBody(request);
      const verified = await server!.verifyEapiHttp(
        { method: request.method ?? 'GET', url: `http://${request.headers.host}${request.url}`, headers: request.headers, ...(body.length > 0 ? { body } : {}) },
        { replay },
      );
      answer(200, { verified });
    } catch (error) {
      const code = isE2E2Error(error) ? error.code : 'ERR_UNKNOWN';
      answer(code === 'ERR_STORE_UNAVAILABLE' ? 503 : 401, { error: code });
    }
  },
  ...config.options,
});
await keys.onRevoked((keyId) => server!.revokeKey(keyId));
server.on('error', () => {});

process.on('message', (message: { cmd: string; id: number }) => {
  if (message.cmd === 'stats') send({ type: 'reply', id: message.id, channels: server!.channels.size, localSessions: sessions.localSessions });
});
// The parent went away: do not outlive it.
process.on('disconnect', () => process.exit(0));

send({ type: 'ready', url: server.url, port: server.port });
