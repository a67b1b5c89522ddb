/**
 * The Node flavour of `connect()`: the same client, over the `ws` package (with the message size
 * limit enforced by `ws` before a payload is buffered, and permessage-deflate off: compression
 * before encryption would leak through lengths, and records do not compress anyway).
 */
import { WebSocket } from 'ws';
import { connect as connectWithGlobal, connectWith, type ConnectOptions } from './client.js';
import type { Channel } from './channel.js';
import { DEFAULT_MAX_BUFFERED_CHUNKS, DEFAULT_MAX_FRAGMENTS } from './limits.js';

/** Open a channel to `url` (ws:// or wss://). Uses `options.WebSocket` when given, else `ws`. */
export function connect(url: string | URL, options: ConnectOptions): Promise<Channel> {
  if (options?.WebSocket !== undefined) return connectWithGlobal(url, options);
  return connectWith((target, maxPayload) => new WebSocket(target, { perMessageDeflate: false, maxPayload, maxFragments: DEFAULT_MAX_FRAGMENTS, maxBufferedChunks: DEFAULT_MAX_BUFFERED_CHUNKS }), url, options);
}
