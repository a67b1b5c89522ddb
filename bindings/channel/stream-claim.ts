/**
 * One stream adapter per channel: `channel.webStreams()` and `channelDuplex()` each take over the
 * channel's incoming messages (a 'message' listener), so a second adapter, or the async iterator
 * next to one, would split the byte stream between readers. Browser-safe.
 */
import { InvalidStateError } from '../errors.js';
import type { Channel } from './channel.js';

const claimed = new WeakMap<Channel, string>();

/** @internal Throws ERR_INVALID_STATE when the channel already feeds a stream adapter. */
export function claimChannelReader(channel: Channel, by: string): void {
  const owner = claimed.get(channel);
  if (owner !== undefined) throw new InvalidStateError(`this channel is already read by ${owner}; a channel feeds one stream adapter`);
  claimed.set(channel, by);
}
