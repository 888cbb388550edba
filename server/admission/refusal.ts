// Why a connection was not admitted. Each protocol turns the kind into its own answer (a native
// error code, an MQTT reason code); `detail` goes to the broker log only, never on the wire.

export type RefusalKind =
  /** netconfd-pro "Protocol Control": the listener's protocol is not in admission.protocols. */
  | 'protocol-disabled'
  /** Too many connections from this host per second (admission.connectionRate). */
  | 'rate-limited'
  /** netconfd-pro "Username Control": not in admission.allowedUsers (and not a superuser). */
  | 'user-not-allowed'
  /** AMQ Interconnect remoteHosts, SwiftMQ host access lists: the remote address is not in the user's (or its group's) host list. */
  | 'host-not-allowed'
  /** AMQ Interconnect, netconfd-pro and Knox limits: the global, per-host or per-user connection limit is reached. */
  | 'connection-limit';

/** What the client is told: fixed texts, so nothing about the configuration or other users leaks. */
const CLIENT_MESSAGES: Readonly<Record<RefusalKind, string>> = {
  'protocol-disabled': 'this protocol is disabled on this broker',
  'rate-limited': 'too many connections from this host; try again later',
  'user-not-allowed': 'this user may not connect to this broker',
  'host-not-allowed': 'this user may not connect from this host',
  'connection-limit': 'connection limit reached; try again later',
};

export class AdmissionRefusal {
  constructor(
    readonly kind: RefusalKind,
    /** For the log: which rule, with the numbers. */
    readonly detail: string,
    /** True for a refusal the log has already reported for this host (a storm): log it at debug. */
    readonly quiet = false,
  ) {}

  get clientMessage(): string {
    return CLIENT_MESSAGES[this.kind];
  }
}
