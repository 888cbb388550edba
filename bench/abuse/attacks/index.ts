// Every attack, in order: groups 1-11 (the ways one logged-on user could crash, stall or bloat the
// broker, listed in docs/benchmarks.md), with 2d (wildcards over cached routes), found later.
import type { Attack } from '../attack.js';
import { deepJsonAttacks } from './deep-json.js';
import { regexAttacks } from './regex-subscriptions.js';
import { wildcardsOverCachedRoutesAttack } from './wildcards-over-cached-routes.js';
import { slowConsumerAttacks } from './slow-consumer.js';
import { persistentSessionsAttack } from './persistent-sessions.js';
import { retainedPropertiesAttack } from './retained-properties.js';
import { inboundQos2Attack } from './inbound-qos2.js';
import { entitlementTtlAttack } from './entitlement-ttl.js';
import { clientIdTakeoverAttack } from './client-id-takeover.js';
import { logonFloodAttack } from './logon-flood.js';
import { preUpgradeSocketsAttack } from './pre-upgrade-sockets.js';
import { invalidUtf8TopicAttack } from './invalid-utf8-topic.js';

export const ATTACKS: readonly Attack[] = [
  ...deepJsonAttacks,
  ...regexAttacks,
  wildcardsOverCachedRoutesAttack,
  ...slowConsumerAttacks,
  persistentSessionsAttack,
  retainedPropertiesAttack,
  inboundQos2Attack,
  entitlementTtlAttack,
  clientIdTakeoverAttack,
  logonFloodAttack,
  preUpgradeSocketsAttack,
  invalidUtf8TopicAttack,
];

/** The attacks --only names: ids or group numbers (`1` is 1a-1d), comma-separated; all when empty. */
export function selectAttacks(attacks: readonly Attack[], only: string): Attack[] {
  const wanted = only
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (wanted.length === 0) return [...attacks];
  const chosen = attacks.filter((a) => wanted.some((w) => a.id === w || a.id.replace(/[a-z]$/, '') === w));
  const unknown = wanted.filter((w) => !attacks.some((a) => a.id === w || a.id.replace(/[a-z]$/, '') === w));
  if (unknown.length > 0)
    throw new Error(`--only: no attack ${unknown.join(', ')} (ids: ${attacks.map((a) => a.id).join(', ')})`);
  return chosen;
}
