/**
 * `e2e2/channel` in browsers (and any runtime with a global WebSocket): `connect(url, { apiKey })`
 * over the platform WebSocket. No Node-only imports here.
 */
export { connect, type ConnectOptions, type ConnectTraceEvent } from './channel/client.js';
export { Channel, MAX_RECORD_DATA_BYTES, type CloseInfo, type MessageListener, type CloseListener, type VoidListener } from './channel/channel.js';
export { CloseCode, type CloseCodeValue } from './channel/close-codes.js';
export { type ChannelWebStreams, type WebStreamsOptions } from './channel/web-streams.js';
