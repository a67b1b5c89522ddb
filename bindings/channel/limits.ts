/**
 * Every limit of the WebSocket binding, with its default and unit, in one place (SPEC.md §7.7.5,
 * README "Limits"), and the option checks the client and the server share. Browser-safe.
 */
import { InvalidArgumentError, type E2E2Error } from '../errors.js';
import { MAX_MESSAGE_BYTES } from '../e2e2/constants.js';
import type { ChannelSettings } from './channel.js';

/** Whole handshake: connection to the client's key confirmation, ms (close 4003). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Server: connection to message 1, ms (close 4003); short, since nothing is authenticated yet. */
export const DEFAULT_MESSAGE1_TIMEOUT_MS = 5_000;
/** How long a close waits for the peer's CLOSE record, and then for its close frame, ms. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
/** One record or handshake message is at most 65,535 bytes (Noise §3), so no valid message is larger (close 1009). */
export const DEFAULT_MAX_MESSAGE_BYTES = MAX_MESSAGE_BYTES;
/** `send()`/`write()` return false once this many bytes wait in the socket, bytes. */
export const DEFAULT_WRITABLE_HIGH_WATER_MARK_BYTES = 1 << 20;
/** Reading from the network pauses while this many unread bytes are queued (resumes below half), bytes. */
export const DEFAULT_READABLE_HIGH_WATER_MARK_BYTES = 1 << 20;
/** `channel.webStreams()`: bytes the readable's queue holds before the channel pauses, and the writable's queue size, bytes. */
export const DEFAULT_WEB_STREAM_HIGH_WATER_MARK_BYTES = 64 * 1024;
/** Ping after this long without a frame from the peer, ms (Node endpoints; 0 = off). */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 30_000;
/** Close 4008 when nothing arrives this long after a ping, ms. */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 10_000;
/** Server: connections between upgrade and key confirmation, in all (close 4004 beyond). */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 1024;
/** Server: the same, from one IPv4 address or one IPv6 /64 (close 4004 beyond). */
export const DEFAULT_MAX_PENDING_HANDSHAKES_PER_ADDRESS = 64;
/** WebSocket frames in one message (E2-E2 messages are single frames; close 1008 beyond). */
export const DEFAULT_MAX_FRAGMENTS = 16;
/** Received chunks buffered for one unfinished frame (close 1008 beyond). */
export const DEFAULT_MAX_BUFFERED_CHUNKS = 1024;
/** Standalone server: TCP connections not upgraded (yet), in all (destroyed beyond). */
export const DEFAULT_MAX_HTTP_CONNECTIONS = 512;
/** Standalone server: the same, from one IPv4 address or one IPv6 /64. */
export const DEFAULT_MAX_HTTP_CONNECTIONS_PER_ADDRESS = 32;
/** Standalone server: connection to the end of the request headers, ms (HTTP 408, then closed). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Standalone server: connection to the end of a plain HTTP request, ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Server: how often the key of every open channel is looked up again, ms (close 4006 once revoked; 0 = off). */
export const DEFAULT_REVOCATION_CHECK_INTERVAL_MS = 2_000;

/** @internal An integer option in [min, max], or the default. */
export function integerOption(value: number | undefined, fallback: number, name: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

/** Options of a channel, the same on the client and the server. */
export interface ChannelOptions {
  /** Largest incoming WebSocket message, bytes. Default and maximum 65,535. */
  maxMessageBytes?: number;
  /** How long a close waits for the peer's CLOSE record and close frame, ms. Default 5,000. */
  closeTimeoutMs?: number;
  /** Keep our direction open after the peer's CLOSE record (byte-stream tunnels). Default false. */
  allowHalfOpen?: boolean;
  /** `send()`/`write()` return false once this many bytes wait in the socket. Default 1 MiB. */
  writableHighWaterMark?: number;
  /** Reading pauses while this many received bytes wait unread. Default 1 MiB. */
  readableHighWaterMark?: number;
  /** Ping after this long without a frame from the peer, ms; 0 turns keepalive off. Default 30,000. */
  keepaliveIntervalMs?: number;
  /** Close with 4008 when nothing arrives this long after a ping, ms. Default 10,000. */
  keepaliveTimeoutMs?: number;
}

/** @internal Checked settings for each channel made with these options. */
export function channelSettings(options: ChannelOptions, extra: { maxAgeMs: number; reportError: (error: E2E2Error) => void }): ChannelSettings {
  return {
    maxMessageBytes: integerOption(options.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES, 'maxMessageBytes', 1, MAX_MESSAGE_BYTES),
    closeTimeoutMs: integerOption(options.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS, 'closeTimeoutMs'),
    allowHalfOpen: options.allowHalfOpen === true,
    writableHighWaterMark: integerOption(options.writableHighWaterMark, DEFAULT_WRITABLE_HIGH_WATER_MARK_BYTES, 'writableHighWaterMark'),
    readableHighWaterMark: integerOption(options.readableHighWaterMark, DEFAULT_READABLE_HIGH_WATER_MARK_BYTES, 'readableHighWaterMark'),
    keepaliveIntervalMs: integerOption(options.keepaliveIntervalMs, DEFAULT_KEEPALIVE_INTERVAL_MS, 'keepaliveIntervalMs', 0),
    keepaliveTimeoutMs: integerOption(options.keepaliveTimeoutMs, DEFAULT_KEEPALIVE_TIMEOUT_MS, 'keepaliveTimeoutMs'),
    maxAgeMs: extra.maxAgeMs,
    reportError: extra.reportError,
  };
}

/** Where errors go when the application gave no handler: printed, never thrown. */
export function printError(prefix: string): (error: unknown) => void {
  return (error) => console.error(`${prefix}:`, error);
}
