// The client's states and the event map its typed emitter is built on.
import type { WardenError } from './errors.js';

export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ConnectedEvent {
  /** False for the first connection, true after an automatic reconnect. */
  reconnected: boolean;
  /** The broker URL this connection is to (one of the client's `urls`). */
  url: string;
  /** The identity the broker assigned. */
  user: string;
  /** The broker's session id for this connection (new on every reconnect). */
  session: string;
}

export interface DisconnectedEvent {
  code: number;
  reason: string;
  /** True when the client is about to try to reconnect. */
  willReconnect: boolean;
}

export interface ReconnectingEvent {
  /** 1 for the first attempt of an outage. */
  attempt: number;
  /** How long the client waits before this attempt (0 for an attempt inside a round of the URL list). */
  delayMs: number;
  /** The broker URL this attempt goes to. */
  url: string;
}

export interface StateChangeEvent {
  state: ClientState;
  previous: ClientState;
}

export type ClientEvents = {
  connected: ConnectedEvent;
  disconnected: DisconnectedEvent;
  reconnecting: ReconnectingEvent;
  error: WardenError;
  state: StateChangeEvent;
};
