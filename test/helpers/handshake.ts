/** One in-memory E2-E2 handshake with `key`: the client session and the server session it produced. */
import { createClientHandshake, createServerHandshake, type GeneratedApiKey, type ServerHandshakeOptions } from '../../bindings/index.js';

export async function handshakePair(key: GeneratedApiKey, serverOptions: Partial<ServerHandshakeOptions> = {}) {
  const c = createClientHandshake({ apiKey: key.token });
  const s = createServerHandshake({ resolveKey: () => key.secret, ...serverOptions });
  const { message2, session: server } = await s.respond(c.writeMessage1());
  const client = c.readMessage2(message2);
  return { client, server };
}
