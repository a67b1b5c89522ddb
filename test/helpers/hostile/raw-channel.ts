/** An E2-E2 client over a hand-made WebSocket: it authenticates, then does only what a test says (it never answers a ping). */
import { createClientHandshake } from '../../../bindings/e2e2/handshake.js';
import type { ClientSession } from '../../../bindings/e2e2/session.js';
import { within } from './legit.js';
import { frame, OP } from './frames.js';
import { rawUpgrade, type RawWebSocket } from './raw-http.js';

export async function rawChannel(port: number, path: string, token: string): Promise<{ ws: RawWebSocket; session: ClientSession }> {
  const ws = await rawUpgrade(port, path);
  const handshake = createClientHandshake({ apiKey: token });
  ws.socket.write(frame({ opcode: OP.BINARY, payload: handshake.writeMessage1() }));
  let message2: Uint8Array | undefined;
  for (let waited = 0; message2 === undefined && waited < 20_000; waited += 20) {
    message2 = ws.frames.find((f) => f.opcode === OP.BINARY)?.payload;
    if (message2 === undefined) await within(ws.closed, 20, undefined);
  }
  if (message2 === undefined) throw new Error('no message 2');
  const session = handshake.readMessage2(message2);
  ws.socket.write(frame({ opcode: OP.BINARY, payload: session.seal(new Uint8Array(0)) }));
  return { ws, session };
}
