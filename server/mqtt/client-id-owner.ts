// Which user holds an MQTT client id (mqtt.clientIdOwnership, docs/mqtt.md). With `user` (the
// default), a client id held by one user cannot be taken by another: a takeover [MQTT-3.1.4-2]
// would close her connection, throw away her kept session and its queued messages, and publish her
// will, as often as the other user liked. The same user still takes over as the spec says.
//
// "User" is the identity the authentication module accepted the logon as: the name entitlements
// are asked for (a tls-cert logon: the certificate's identity), compared exactly. Every logon the
// module accepts without a name (allow-any with no user name) is the user '': such clients share
// their ids with each other, but not with named users.
import type { MqttContext } from './mqtt-context.js';

/**
 * The user other than `identity` who holds `clientId`, or null: through a live connection, a
 * session kept while the client is away, or a will waiting out its v5 delay.
 */
export function otherHolder(ctx: MqttContext, clientId: string, identity: string): string | null {
  const live = ctx.clientSession(clientId)?.user;
  if (live !== undefined && live !== null && live !== identity) return live;
  const kept = ctx.persistentSessions.ownerOf(clientId);
  if (kept !== undefined && kept !== identity) return kept;
  const will = ctx.delayedWills.ownerOf(clientId);
  if (will !== undefined && will !== identity) return will;
  return null;
}
