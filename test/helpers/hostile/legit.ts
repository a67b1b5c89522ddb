/** The legitimate client every hostile test ends with: connect, echo a few messages byte for byte, close cleanly. */
import { expect } from 'vitest';
import { connect } from '../../../bindings/channel/node.js';
import { pattern } from '../channel.js';
import type { Fixture } from './fixture.js';

/** One full round trip; throws on any failure (wrong echo, unclean close, refused handshake). */
export async function roundTrip(url: string, token: string, options: { handshakeTimeoutMs?: number; messages?: number } = {}): Promise<void> {
  const channel = await connect(url, { apiKey: token, ...(options.handshakeTimeoutMs ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}) });
  try {
    const messages = channel[Symbol.asyncIterator]();
    for (let i = 0; i < (options.messages ?? 3); i++) {
      const sent = pattern(200 + 300 * i, i + 7);
      channel.send(sent);
      const echoed = await messages.next();
      if (echoed.done || Buffer.compare(Buffer.from(echoed.value), Buffer.from(sent)) !== 0) throw new Error(`echo ${i} did not come back intact`);
    }
  } catch (error) {
    void channel.destroy();
    throw error;
  }
  const info = await channel.close();
  if (info.error) throw info.error;
}

/** The process under attack still runs (it answers a command). */
export async function expectAlive(fixture: Fixture): Promise<void> {
  expect(await fixture.responsive(), fixture.exitReport()).toBe(true);
}

/** The process under attack still runs, and a legitimate client still gets served by it. */
export async function expectServes(fixture: Fixture, token = fixture.tokens[0]!): Promise<void> {
  await expectAlive(fixture);
  await roundTrip(fixture.url, token);
  await expectAlive(fixture);
}

/** `promise`, or `fallback` once `ms` passed (bounds every wait of the suite). */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
