/**
 * `e2e2/channel` in Node: `connect(url, { apiKey })` over the `ws` package (or a global or given
 * WebSocket when `options.WebSocket` is set).
 */
export { connect } from './channel/node.js';
export { type ConnectOptions, type ConnectTraceEvent } from './channel/client.js';
export { Channel, MAX_RECORD_DATA_BYTES, type CloseInfo, type MessageListener, type CloseListener, type VoidListener } from './channel/channel.js';
export { CloseCode, type CloseCodeValue } from './channel/close-codes.js';
export { channelDuplex, type ChannelDuplexOptions } from './channel/duplex.js';
export { type ChannelWebStreams, type WebStreamsOptions } from './channel/web-streams.js';
