/**
 * write() coalescing (issue 11: small-write batching): chunks under 16 KiB written in one
 * synchronous run leave as one record (SPEC.md §7.1) of at most 65,518 bytes, in order with
 * send(), rekey() and the CLOSE record. The server here records each message it receives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../bindings/channel/node.js';
import { createServer, type E2E2Server } from '../bindings/channel/server.js';
import { MAX_RECORD_DATA_BYTES, type Channel } from '../bindings/channel/channel.js';
import { memoryKeys, pattern } from './helpers/channel.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('channel write(): small chunks coalesced into records', () => {
  const keys = memoryKeys();
  let server: E2E2Server;
  /** Messages each server channel received, and a promise per channel for its end. */
  const received: Uint8Array[][] = [];
  const ended: Promise<void>[] = [];
  beforeAll(async () => {
    server = await createServer({
      keys: keys.resolve,
      host: '127.0.0.1',
      port: 0,
      onChannel(channel: Channel) {
        const messages: Uint8Array[] = [];
        received.push(messages);
        ended.push(new Promise<void>((resolve) => channel.on('end', () => resolve())));
        channel.on('message', (m) => messages.push(m));
      },
    });
  });
  afterAll(() => server.close());

  async function run(act: (channel: Channel) => void | Promise<void>): Promise<Uint8Array[]> {
    const index = received.length;
    const channel = await connect(server.url, { apiKey: keys.add().token });
    await act(channel);
    await channel.close();
    await ended[index];
    return received[index]!;
  }

  it('1,000 writes of 1 KiB arrive as records of the 63 that fit, every byte in order', async () => {
    const chunks = Array.from({ length: 1000 }, (_, i) => pattern(1024, i));
    const messages = await run((channel) => {
      for (const c of chunks) channel.write(c);
    });
    expect(hex(Buffer.concat(messages))).toBe(hex(Buffer.concat(chunks)));
    const perRecord = Math.floor(MAX_RECORD_DATA_BYTES / 1024);
    expect(messages.length).toBe(Math.ceil(1000 / perRecord));
    for (const m of messages.slice(0, -1)) expect(m.length).toBe(perRecord * 1024);
  });

  it('keeps order with send() and rekey(), and copies chunks (the caller may reuse its buffer)', async () => {
    const messages = await run((channel) => {
      const buffer = new TextEncoder().encode('a1');
      channel.write(buffer);
      buffer[1] = 0x32; // '2': the first write must not see this
      channel.write(buffer);
      channel.send('s');
      channel.write('b');
      channel.rekey(new TextEncoder().encode('r'));
      channel.write('c');
    });
    expect(messages.map((m) => Buffer.from(m).toString())).toEqual(['a1a2', 's', 'b', 'r', 'c']);
  });

  it('a chunk that does not fit seals what is pending first; long chunks go out at once; drained() flushes', async () => {
    const small = pattern(10_000, 1);
    const large = pattern(20_000, 2);
    const messages = await run(async (channel) => {
      for (let i = 0; i < 7; i++) channel.write(small); // 70,000 bytes: 6 fit in one record
      channel.write(large);
      channel.write('tail');
      await channel.drained();
    });
    expect(messages.map((m) => m.length)).toEqual([60_000, 10_000, 20_000, 4]);
  });

  it('end() sends pending writes before the CLOSE record; destroy() drops them without a crash', async () => {
    const messages = await run((channel) => {
      channel.write('last words');
      channel.end();
    });
    expect(messages.map((m) => Buffer.from(m).toString())).toEqual(['last words']);

    const index = received.length;
    const channel = await connect(server.url, { apiKey: keys.add().token });
    channel.write('never sent');
    const info = await channel.destroy();
    expect(info.error?.code).toBe('ERR_CONNECTION_CLOSED');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The server may not have built its channel yet; either way it received nothing.
    expect(received[index] ?? []).toEqual([]);
  });
});
