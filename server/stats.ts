// Broker-wide counters. Plain fields incremented inline: no per-event allocation.
export class BrokerStats {
  connectionsAccepted = 0;
  connectionsOpen = 0;
  logons = 0;
  messagesPublished = 0;
  /** Delivery frames queued to connections (one per message per receiving connection). */
  deliveries = 0;
  protocolErrors = 0;
  abusiveDisconnects = 0;
  slowConsumerDisconnects = 0;
  logonTimeouts = 0;
  /** MQTT connections closed because the client was silent for 1.5 x its keepalive [MQTT-3.1.2-24]. */
  keepAliveTimeouts = 0;
  logonFailures = 0;
  /** Logons refused because the authentication module rejected the credentials (part of logonFailures). */
  logonsRejected = 0;
  /** Logons refused because the logon entitlement denied the user (part of logonFailures). */
  logonsNotEntitled = 0;
  /** Logons refused because the authentication or logon entitlement module failed: threw, timed out (part of logonFailures). */
  logonsModuleFailed = 0;
  /** Logons refused by the protocol's own checks: a bad MQTT CONNECT, an exchange the client cannot do (part of logonFailures). */
  logonsRefusedProtocol = 0;
  /** Connections admitted and not yet ended (admission control counts them; docs/admission.md). */
  admittedConnections = 0;
  /** Connections closed at once because their listener's protocol is not in admission.protocols. */
  connectionsRefusedProtocol = 0;
  /** Connections refused by the per-host connection rate limit (admission.connectionRate). */
  connectionsRefusedRate = 0;
  /** Logons refused because the user is not in admission.allowedUsers. */
  connectionsRefusedUser = 0;
  /** Logons refused because the remote address is not in the user's or group's host list. */
  connectionsRefusedHost = 0;
  /** Logons refused because a global, per-host or per-user connection limit was reached. */
  connectionsRefusedLimit = 0;
  /** Credential checks running now (at most security.logonQueue.maxInFlight). */
  logonChecksInFlight = 0;
  /** Credential checks waiting for their host's turn now. */
  logonChecksQueued = 0;
  /** Logons refused without a check because their host's queue (or the whole queue) was full (security.logonQueue). */
  logonsRefusedBusy = 0;
  /** Logons refused without a check because their host or user name was blocked after failed logons (security.logonBackoff). */
  logonsRefusedBlocked = 0;
  /** Blocks started by security.logonBackoff (a host or a user name). */
  logonBlocks = 0;
  /** Admin requests whose Basic credentials were found in admin.credentialCache (no module call). */
  adminCredentialCacheHits = 0;
  /** Connections not logged on yet (native: from the TCP connection, upgrade included; MQTT: until CONNACK). */
  unauthenticatedConnections = 0;
  /** Sockets closed at once because admission.maxUnauthenticated or maxUnauthenticatedPerHost was reached. */
  connectionsRefusedUnauthenticated = 0;
  /** WebSocket-port sockets closed because they had not upgraded within the listener's logon timeout. */
  upgradeTimeouts = 0;
  /** Subscriptions refused because the connection had its maximum (listener or resource-limit group). */
  subscriptionsOverLimit = 0;
  /** Regex subscriptions held now, in the whole broker (topics.regex.maxSubscriptions). */
  regexSubscriptions = 0;
  /** Distinct regexes subscribed to now (subscriptions to the same source share one). */
  regexPatterns = 0;
  /** Sum of the distinct regexes' program sizes now (topics.regex.maxTotalProgramSize). */
  regexProgramSize = 0;
  /** Regex subscriptions refused with RESOURCE_LIMIT by the topics.regex budget (broker-wide or per user). */
  regexSubscriptionsRefused = 0;
  /** Regex tests run by the topic engine (for new topics, and for cached routes catching up with new regexes). */
  regexEvaluations = 0;
  /** Cached routes evicted because all cached routes together were estimated at more than topics.routeCacheMaxBytes. */
  routesEvictedForBytes = 0;
  /** Estimated heap bytes the cached routes hold now (topics.routeCacheMaxBytes bounds it). */
  routeCacheBytes = 0;
  /** Publishes refused because the message exceeded its group's maxMessageBytes (or an HTTP publish listener's). */
  publishesTooLarge = 0;
  /** Publishes refused because the connection had published to its group's maxPublishTopicsPerSecond topics this second. */
  publishesOverTopicLimit = 0;
  publishesDenied = 0;
  subscriptionsDenied = 0;
  /** Deliveries skipped because the subscriber may not read the topic (wildcard/regex subscriptions). */
  deliveriesNotEntitled = 0;
  /** Deliveries dropped because too many were held waiting for a read entitlement answer. */
  heldDeliveriesDropped = 0;
  /** Deliveries not made because a content filter (entitlement or subscriber) did not match. */
  deliveriesFiltered = 0;
  /** Deliveries not made because a filter or select list applied and the payload is not an object (fail closed). */
  deliveriesNotFilterable = 0;
  /** Payloads not filterable because their JSON nests deeper than 64 levels (at most one per message; see deliveriesNotFilterable). */
  payloadsTooDeep = 0;
  /** Deliveries to one receiver dropped because building or sending them threw (logged); the other receivers still got the message. */
  deliveryErrors = 0;
  /** Unexpected errors contained while handling one connection's input, close or timer: logged, and that connection closed. */
  connectionErrors = 0;
  /** Publishes refused by a write entitlement filter. */
  publishesFiltered = 0;
  /** Payloads parsed for filters or select lists (at most one per published message). */
  payloadsParsed = 0;
  /** Projected bodies encoded (one per distinct select list and encoding per message). */
  projectionsEncoded = 0;
  /** MQTT: PUBLISH packets not sent because they exceed the client's Maximum Packet Size (v5). */
  mqttPacketsTooLargeForClient = 0;
  /** MQTT: refused publishes dropped without a reason code (QoS 0, or v3.1.1). */
  mqttPublishesDropped = 0;
  /** MQTT: retained publishes not stored because the retained store was full (mqtt.retained bounds). */
  mqttRetainedRefused = 0;
  /** MQTT: will messages published (entitled and past the write filter). */
  mqttWillsPublished = 0;
  /** MQTT: v5 delayed wills published at once because mqtt.maxDelayedWills were already waiting. */
  mqttWillsNotDelayed = 0;
  /** MQTT: messages dropped (oldest first) from a persistent session's queue at mqtt.sessions.maxQueuedMessages. */
  mqttQueuedMessagesDropped = 0;
  /** MQTT: QoS 0 messages for a persistent session whose client is away (not kept). */
  mqttOfflineQos0Dropped = 0;
  /** MQTT: persistent sessions not kept because mqtt.sessions.maxSessions were already kept. */
  mqttSessionsNotKept = 0;
  /** MQTT: messages dropped (oldest first) from a persistent session at mqtt.sessions.maxQueuedBytes (or too big to fit it). */
  mqttSessionBytesDropped = 0;
  /** MQTT: messages dropped from persistent sessions at mqtt.sessions.maxBytes, those that entered the store first. */
  mqttSessionStoreBytesDropped = 0;
  /** MQTT: persistent sessions refused because the user had mqtt.sessions.maxSessionsPerUser (the session ends with its connection). */
  mqttSessionsOverUserLimit = 0;
  /** MQTT (gauge): bytes held now by the messages of persistent sessions whose clients are away. */
  mqttSessionHeldBytes = 0;
  /** MQTT: CONNECTs refused because another user holds the client id (mqtt.clientIdOwnership: user). */
  mqttClientIdRefused = 0;
  /** MQTT: persistent sessions that expired while their client was away. */
  mqttSessionsExpired = 0;
  /** MQTT: messages for a shared subscription group that no member was entitled to receive. */
  mqttSharedUndelivered = 0;
  /** MQTT: messages not sent because their v5 Message Expiry Interval passed (queued, or retained). */
  mqttMessagesExpired = 0;
  /** MQTT: connections closed for a QoS 2 publish past listeners[].options.receiveMaximum unfinished ones (v5: DISCONNECT 0x93). */
  mqttReceiveMaximumExceeded = 0;

  /** HTTP publish: requests received (docs/http.md). */
  httpRequests = 0;
  /** HTTP publish: requests answered with an error (4xx or 5xx), for any reason. */
  httpRequestsRefused = 0;
  /** HTTP publish: requests refused with 503 SERVER_BUSY because their body did not fit the listener's maxBufferedBytes. */
  httpRequestsBusy = 0;
  /** HTTP publish (gauge): request body bytes held now, over every HTTP publish listener. */
  httpBufferedBytes = 0;

  /** Store: writes that failed (disk full, not writable); publishes that needed them were not acknowledged. */
  storeWriteErrors = 0;
  /** Store: acknowledgements withheld because the write they waited for failed (the connection is closed). */
  storeAcksWithheld = 0;
  /** Store: records dropped at start-up (expired while the broker was down, over a limit, or for a listener that is gone). */
  storeRecordsDropped = 0;

  /** Cluster: messages sent to other nodes (one per message per node it went to). */
  clusterMessagesSent = 0;
  /** Cluster: Redis publishes of the bus (one per node per turn of the event loop). */
  clusterBatchesSent = 0;
  /** Cluster: messages received from other nodes and delivered here. */
  clusterMessagesReceived = 0;
  /** Cluster: messages for other nodes dropped: Redis unavailable, or cluster.maxBusBytes in flight. */
  clusterMessagesDropped = 0;
  /** Cluster: bus frames from other nodes that did not decode (logged). */
  clusterFramesInvalid = 0;
  /** Cluster: interest changes published to the other nodes (one per batch of subscribes). */
  clusterInterestUpdates = 0;
  /** Cluster: logons admitted on this node's counts alone (Redis unavailable for the cluster-wide limits). */
  clusterLimitsUnchecked = 0;
  /** Cluster: MQTT CONNECTs accepted without the cluster-wide client-id check (Redis unavailable). */
  clusterClientIdsUnchecked = 0;
  /** Cluster: times another node's interest was read whole (joining, a missed change, a reconnection). */
  clusterInterestResyncs = 0;

  snapshot(): Readonly<Record<string, number>> {
    return { ...(this as Omit<BrokerStats, 'snapshot'>) };
  }
}
