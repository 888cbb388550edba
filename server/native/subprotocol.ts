// The native protocol's WebSocket subprotocols: the client offers `warden.msgpack` and/or
// `warden.json` (protocol/native.ts), and the connection speaks the first one the broker knows.
import { SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK, type Encoding } from '../../protocol/native.js';

/** The encoding of the first subprotocol offered in a Sec-WebSocket-Protocol header that Warden speaks, or null. */
export function chooseEncoding(header: string | undefined): Encoding | null {
  if (header === undefined) return null;
  for (const offered of header.split(',')) {
    const name = offered.trim();
    if (name === SUBPROTOCOL_MSGPACK) return 'msgpack';
    if (name === SUBPROTOCOL_JSON) return 'json';
  }
  return null;
}
