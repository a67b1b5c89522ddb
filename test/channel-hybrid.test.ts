/**
 * The post-quantum hybrid handshake over the WebSocket binding (SPEC.md §13, §7.7.6): connect()
 * with postQuantum, a server that accepts, requires (v1 clients get 4010, ERR_PQ_REQUIRED) or
 * refuses it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../bindings/channel/node.js';
import type { E2E2Server } from '../bindings/channel/server.js';
import type { Channel } from '../bindings/channel/channel.js';
import { memoryKeys, startEchoServer } from './helpers/channel.js';
import { expectCodeAsync } from './oracle/harness.js';

const servers: E2E2Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function echo(channel: Channel, text: string): Promise<string> {
  channel.send(new TextEncoder().encode(text));
  const { value } = await channel[Symbol.asyncIterator]().next();
  return new TextDecoder().decode(value);
}

describe('hybrid handshake over WebSocket', () => {
  it('connect({ postQuantum: true }) to a default server: both channels are post-quantum and echo works; v1 still connects', async () => {
    const keys = memoryKeys();
    const key = keys.add();
    let serverSide: Channel | undefined;
    const server = await startEchoServer(keys);
    server.on('channel', (c) => void (serverSide = c));
    servers.push(server);
    const sizes: number[] = [];
    const pq = await connect(`ws://127.0.0.1:${server.port}`, { apiKey: key.token, postQuantum: true, trace: (e) => void ('bytes' in e && sizes.push(e.bytes)) });
    expect(pq.postQuantum).toBe(true);
    expect(await echo(pq, 'post-quantum hello')).toBe('post-quantum hello');
    expect(serverSide?.postQuantum).toBe(true);
    expect(sizes.slice(0, 2)).toEqual([1260, 1152]);
    await pq.close();
    const v1 = await connect(`ws://127.0.0.1:${server.port}`, { apiKey: key.token });
    expect(v1.postQuantum).toBe(false);
    expect(await echo(v1, 'classical')).toBe('classical');
    await v1.close();
  });

  it("postQuantum: 'require' closes a v1 client with 4010, which connect() reports as ERR_PQ_REQUIRED; a hybrid client connects", async () => {
    const keys = memoryKeys();
    const key = keys.add();
    const failures: string[] = [];
    const server = await startEchoServer(keys, { postQuantum: 'require', onHandshakeError: (error) => void failures.push((error as { code: string }).code) });
    servers.push(server);
    const error = await expectCodeAsync(() => connect(`ws://127.0.0.1:${server.port}`, { apiKey: key.token }), 'ERR_PQ_REQUIRED', 'the server requires the post-quantum handshake: connect with postQuantum: true');
    expect(error.cause).toEqual({ closeCode: 4010, closeReason: 'post-quantum handshake required' });
    expect(failures).toEqual(['ERR_PQ_REQUIRED']);
    const pq = await connect(`ws://127.0.0.1:${server.port}`, { apiKey: key.token, postQuantum: true });
    expect(await echo(pq, 'ok')).toBe('ok');
    await pq.close();
  });

  it("postQuantum: 'refuse' takes v1 only: a hybrid message 1 is a protocol violation (4002)", async () => {
    const keys = memoryKeys();
    const key = keys.add();
    const server = await startEchoServer(keys, { postQuantum: 'refuse' });
    servers.push(server);
    const error = await expectCodeAsync(() => connect(`ws://127.0.0.1:${server.port}`, { apiKey: key.token, postQuantum: true }), 'ERR_CONNECTION_CLOSED');
    expect((error as unknown as { closeCode: number }).closeCode).toBe(4002);
  });
});
