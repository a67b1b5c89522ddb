/**
 * `e2e2/server` (Node): the channel server, the API key store, and TCP tunnels over channels.
 */
export { createServer, E2E2Server, DEFAULT_MAX_PENDING_HANDSHAKES, DEFAULT_EAPI_SESSION_TTL_MS, type ServerOptions, type ServerStats, type VerifiedRequest, type ServerErrorInfo, type ErrorListener } from './channel/server.js';
export { KeyStore, type StoredKey, type KeyInfo, type KeyStoreOptions, type KeyGenerator } from './channel/keystore.js';
export { openKeyStore, apiKeyToken, keyStoreResolver, DEFAULT_KEY_STORE_PATH } from './channel/keys.js';
export { createForwardServer, listenTunnel, pipeChannelToSocket, type TunnelListener } from './channel/tunnel.js';
export { Channel, type CloseInfo, type MessageListener, type CloseListener, type VoidListener } from './channel/channel.js';
export { channelDuplex, type ChannelDuplexOptions } from './channel/duplex.js';
export { CloseCode } from './channel/close-codes.js';
