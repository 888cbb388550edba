// AMPS User Guide, *Securing AMPS* > "Content Filtered Entitlements": a write entitlement's filter
// must match the published message, or the publish is refused. The PublishGate's last step.
import { rulesOf } from '../content/content-rules.js';
import type { Decision } from '../security/decision.js';
import type { Message } from '../delivery/message.js';
import type { BrokerStats } from '../stats.js';

/**
 * `allowed`; `unavailable`: the module sent rules that do not compile (denied, fail closed);
 * `not-object`: a filter applies and the payload is not a JSON object; `filtered`: it does not match.
 */
export type WriteVerdict = 'allowed' | 'unavailable' | 'not-object' | 'filtered';

/** Applies the write filter of an allowing `decision` to `message`, counting refusals in `stats`. */
export function checkWriteFilter(
  decision: Decision,
  message: Message,
  stats: BrokerStats,
  onInvalidRules: (err: unknown) => void,
): WriteVerdict {
  const rules = rulesOf(decision, onInvalidRules);
  if (rules === null) {
    stats.publishesDenied++;
    return 'unavailable';
  }
  if (rules.filter === null) return 'allowed';
  const document = message.document();
  if (document !== null && rules.filter.test(document)) return 'allowed';
  stats.publishesFiltered++;
  return document === null ? 'not-object' : 'filtered';
}
