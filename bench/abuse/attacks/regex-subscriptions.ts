// Issue 11, item 2: many native regex subscriptions to a pattern whose linear-time matching needs a
// large state ([ab]*a[ab]{900}c, within topics.maxRegexLength), from one user, then one publish to
// a new 1 KB topic, which is tested against every regex.
import type { Attack } from '../attack.js';
import { RawNative, describe } from '../native-raw.js';
import { waitUntil } from '../wait.js';

const PATTERN = '[ab]*a[ab]{900}c';
const PUBLISH_WAIT_MS = 45_000;
/**
 * A new topic of 1,024 bytes: 1,023 pseudo-random a and b, then c. Without the c, re2js sees that
 * the required literal is missing and answers at once; with it, every regex scans the whole topic
 * with a state set that keeps changing (~26 ms per pattern measured alone).
 */
export function expensiveTopic(): string {
  let x = 0x9e3779b9;
  let topic = '';
  for (let i = 0; i < 1_023; i++) {
    // xorshift32: the same topic every run.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    topic += (x & 1) === 0 ? 'a' : 'b';
  }
  return `${topic}c`;
}
const TOPIC = expensiveTopic();

function regexAttack(id: string, count: number): Attack {
  return {
    id,
    name: `${count.toLocaleString('en-US')} regex subscriptions ${PATTERN}, one publish`,
    timeoutMs: PUBLISH_WAIT_MS + 15_000,
    async run(ctx) {
      const attacker = await RawNative.logOn(ctx.nativeUrl, 'mallory');
      let accepted = 0;
      const refusals = new Map<string, number>();
      // Sent in batches of 50 and answered in order, so the broker is never given more than that at once.
      for (let sid = 1; sid <= count && attacker.isOpen; sid += 50) {
        const batch = [];
        for (let i = sid; i < Math.min(sid + 50, count + 1); i++) batch.push(attacker.request({ op: 'subscribe', sid: i, regex: PATTERN }, 30_000));
        for (const answer of await Promise.all(batch)) {
          if (answer?.op === 'ack') accepted++;
          else refusals.set(describe(answer), (refusals.get(describe(answer)) ?? 0) + 1);
        }
      }
      const refused = [...refusals].map(([what, n]) => `${n}x ${what}`).join(', ');
      ctx.log(`${id}: ${accepted} regex subscriptions accepted${refused === '' ? '' : `, refused ${refused}`}`);
      // One publish to a new topic, acked: the broker answers after routing it (or dies trying).
      // Waited for at most PUBLISH_WAIT_MS, so the attack reports before the harness gives up on it.
      const publisher = await RawNative.logOn(ctx.nativeUrl, 'mallory');
      const started = Date.now();
      const answer = await publisher.request({ op: 'publish', topic: TOPIC, data: { x: 1 }, ack: true }, PUBLISH_WAIT_MS);
      const publishMs = Date.now() - started;
      await waitUntil(ctx, () => attacker.deliveries > 0 || !attacker.isOpen, 1_000);
      return {
        attackerGot: `${accepted} subscribed${refused === '' ? '' : `, ${refused}`}; publish: ${answer === null ? `no answer in ${publishMs} ms` : `${describe(answer)} after ${publishMs} ms`}; ${attacker.endReason()}`,
        ownTarget: null,
        details: { accepted, refusals: Object.fromEntries(refusals), publishMs, deliveries: attacker.deliveries },
      };
    },
  };
}

export const regexAttacks: Attack[] = [regexAttack('2a', 400), regexAttack('2b', 3_000)];
