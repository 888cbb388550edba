// The records a BrokerStore keeps: plain data (strings, numbers, Buffers, arrays, plain
// objects), so that any store can encode them (LMDB with msgpack, Redis later) and `warden store
// export` can write them as JSON. Times are epoch milliseconds of the wall clock, so that an
// expiry keeps counting while the broker is down.

/** MQTT v5 properties that travel with a message (publish-properties.ts), as stored. */
export interface PropertiesRecord {
  /** Epoch ms after which the message is not sent, or null. */
  readonly expiresAt: number | null;
  readonly userProperties: Record<string, string | string[]> | null;
  readonly payloadFormatIndicator?: boolean;
  readonly contentType?: string;
  readonly responseTopic?: string;
  readonly correlationData?: Buffer;
}

export interface RetainedRecord {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly properties: PropertiesRecord | null;
}

/** One subscription of a persistent session: a record of its own, so that a SUBSCRIBE writes one, not the whole session. */
export interface SubscriptionRecord {
  readonly clientId: string;
  /** The filter as subscribed, `$share/{name}/{filter}` included. */
  readonly filter: string;
  readonly qos: 0 | 1 | 2;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly subscriptionId: number | null;
}

export interface SessionRecord {
  readonly clientId: string;
  /** The identity the session belongs to. */
  readonly user: string;
  /** The listener it connected through: its security modules decide the session's reads. */
  readonly listener: string;
  /** The Session Expiry Interval, seconds. */
  readonly expirySec: number;
  /**
   * Epoch ms when the session expires, counted from its client's disconnection; null while a
   * client is connected (after a crash it counts from the restart).
   */
  readonly expiresAt: number | null;
  /** Inbound QoS 2 packet ids awaiting PUBREL. */
  readonly incomingQos2: readonly number[];
}

/** A message kept for a session whose client is away. */
export interface QueuedRecord {
  readonly clientId: string;
  /** Its place in the store's order: unique and increasing, so a session's messages load in order. */
  readonly seq: number;
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 1 | 2;
  readonly retain: boolean;
  readonly subscriptionIds: readonly number[] | null;
  readonly properties: PropertiesRecord | null;
  /** Sent under this packet id and not acknowledged (resent with DUP), or null when only queued. */
  readonly packetId: number | null;
  /** QoS 2: PUBREC came, PUBREL was sent; on resumption the PUBREL is resent. */
  readonly released: boolean;
}

/** A will waiting out its v5 Will Delay Interval. */
export interface WillRecord {
  readonly clientId: string;
  readonly user: string;
  readonly listener: string;
  /** Epoch ms when it is published. */
  readonly publishAt: number;
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** The will's v5 properties as the CONNECT carried them (expiry counts from publication). */
  readonly messageExpirySec: number | null;
  readonly properties: Omit<PropertiesRecord, 'expiresAt'> | null;
}

/** The kinds of record, as a store's tables: in this order `warden store export` writes them. */
export const RECORD_TABLES = ['retained', 'sessions', 'subscriptions', 'messages', 'wills'] as const;
export type RecordTable = (typeof RECORD_TABLES)[number];

/** The record each table holds. */
export interface TableRecords {
  retained: RetainedRecord;
  sessions: SessionRecord;
  subscriptions: SubscriptionRecord;
  messages: QueuedRecord;
  wills: WillRecord;
}
