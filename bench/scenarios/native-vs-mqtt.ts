// Scenario 7: scenarios 1 and 4 over raw MQTT (bench/mqtt-load) and over the native
// protocol as the SDK speaks it (bench/native-raw), against one Warden process that has both
// listeners. This file holds what both protocols share, so the two sides differ only in the wire:
// the payloads (with the stamp where each generator expects it), the entitlement policy serving
// both scenarios at once, and one dispatch per (scenario, protocol).
import { Packr } from 'msgpackr';
import { runFanout } from '../mqtt-load/generator.js';
import { runNativeFanout } from '../native-raw/generator.js';
import type { LoadResult } from '../load/run-summary.js';
import { DIGITS_MARKER, stampMarker } from '../load/stamp.js';
import { ENTITLED_TOPIC, TRADE, entitledPolicy } from './entitled-fanout.js';

export type Scenario = 'fanout' | 'entitled';
export type Protocol = 'mqtt' | 'native';

/** Scenario 1's topic and users (`fan<i>`, `fanpub`); scenario 4 keeps entitled-fanout.ts's (`sub<i>`, `publisher`, `bench/...`). */
export const FANOUT_TOPIC = 's1/fanout';
export const FANOUT_PAYLOAD_BYTES = 128;

/** 128 opaque bytes; the binary stamp in the first 8 (the MQTT generator's STAMP_OFFSET 0). */
export function fanoutPayload(): Buffer {
  const bytes = Buffer.alloc(FANOUT_PAYLOAD_BYTES);
  stampMarker('binary').copy(bytes, 0);
  return bytes;
}

/**
 * Scenario 4's trade plus a `ts` field, last so that it stays last after the select list
 * (`-/trader,-/ref,-/note0` keeps it) and the stamp sits at a fixed distance from the end of
 * every delivery: 16 digits, a string so re-encoding cannot change its width.
 */
export const STAMPED_TRADE: Readonly<Record<string, unknown>> = { ...TRADE, ts: DIGITS_MARKER };

/** The trade's size as MQTT carries it (JSON text) and as the SDK sends it (a msgpack map). */
export function tradeSizes(): { json: number; msgpack: number } {
  return {
    json: Buffer.byteLength(JSON.stringify(STAMPED_TRADE)),
    msgpack: new Packr({ useRecords: false }).pack(STAMPED_TRADE).length,
  };
}

/**
 * One policy for both scenarios on one broker: scenario 4's (every `sub<i>` reads `bench/#` with
 * the filter and select list; `publisher` writes `bench/#`), plus scenario 1's users reading and
 * writing `s1/#` with no filter or select list. Answers are cached, so after setup the policy
 * module costs scenario 1 nothing per message (bench:scenarios measured allow-all vs. a plain
 * policy within noise of each other).
 */
export function scenario7Policy(subscribers: number): { groups: Record<string, unknown> } {
  const { groups } = entitledPolicy('entitled', subscribers);
  const fanUsers = [...Array.from({ length: subscribers }, (_, i) => `fan${i}`), 'fanpub'];
  return {
    groups: { ...groups, fanout: { users: fanUsers, grants: [{ actions: ['read', 'write'], topics: ['s1/#'] }] } },
  };
}

export interface Scenario7Target {
  /** The native listener, ws://127.0.0.1:PORT/. */
  nativeUrl: string;
  /** The MQTT TCP listener's port. */
  mqttPort: number;
  brokerCpuMs?: () => number;
}

export interface Scenario7Load {
  subscribers: number;
  seconds: number;
  window: number;
  /** Stop after exactly this many messages if before `seconds` (tests). */
  messages?: number;
  /** Unique per run (MQTT client ids). */
  runId: string;
}

/** One measured run of `scenario` over `protocol`. */
export function runScenario7(
  scenario: Scenario,
  protocol: Protocol,
  target: Scenario7Target,
  load: Scenario7Load,
): Promise<LoadResult> {
  const limit = {
    seconds: load.seconds,
    window: load.window,
    subscribers: load.subscribers,
    ...(load.messages === undefined ? {} : { messages: load.messages }),
  };
  const cpu = target.brokerCpuMs === undefined ? {} : { brokerCpuMs: target.brokerCpuMs };
  const fanout = scenario === 'fanout';
  const topic = fanout ? FANOUT_TOPIC : ENTITLED_TOPIC;
  const subscribeTopic = fanout ? FANOUT_TOPIC : 'bench/#';
  const subscriberUser = fanout ? (i: number): string => `fan${i}` : (i: number): string => `sub${i}`;
  const publisherUser = fanout ? 'fanpub' : 'publisher';
  if (protocol === 'native') {
    return runNativeFanout({
      ...limit,
      ...cpu,
      url: target.nativeUrl,
      topic,
      subscribeTopic,
      subscriberUser,
      publisherUser,
      ...(fanout
        ? { payload: { bytes: fanoutPayload() }, stampKind: 'binary' }
        : { payload: { data: { ...STAMPED_TRADE } }, stampKind: 'digits' }),
    });
  }
  return runFanout({
    ...limit,
    ...cpu,
    port: target.mqttPort,
    runId: load.runId,
    topic,
    subscribeTopic,
    subscriberUser,
    publisherUser,
    payloadBytes: FANOUT_PAYLOAD_BYTES,
    // Scenario 1 keeps bench:peers' payload (zeroed, binary stamp at 0); scenario 4 sends the trade as JSON text.
    ...(fanout
      ? {}
      : { payload: { bytes: Buffer.from(JSON.stringify(STAMPED_TRADE), 'utf8'), stampKind: 'digits' as const } }),
  });
}
