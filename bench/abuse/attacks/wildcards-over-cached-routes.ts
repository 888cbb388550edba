// Found after attacks 1-11, reading the fuzz run's heap snapshots (filed under attack 2's kind):
// one user fills the route cache by publishing to 100,000 new topics, and another subscribes to `#`
// 200 times. Every cached route lists its matching subscriptions: when a subscribe updated every
// cached route at once it blocked the loop for up to 1.7 s, and the lists grew without bound. Eve may
// subscribe to `#` (wildcards are entitled per topic at delivery) but may read nothing under m/, so
// she receives nothing and the cost is the broker's alone. Mallory then publishes to every topic
// again (each route takes the 200 subscriptions at its next use), and Eve's connection closes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configNumber, type Attack } from '../attack.js';
import { RawNative, describe, subscribeInBatches } from '../native-raw.js';

const TOPICS = 100_000;
const SUBSCRIPTIONS = 200;
/** Publishes per acknowledged one: the ack paces the publisher, so the broker is never handed more. */
const PACE = 500;
const MODULE = `export default () => ({
  name: 'eve-reads-nothing-under-m',
  check: (r) => ({ allow: !(r.user === 'eve' && r.action === 'read' && r.resourceType === 'topic' && r.resource.startsWith('m/')) }),
});
`;

/** Publishes to m/0 .. m/(TOPICS-1); returns the ms it took, or the first refusal. */
async function publishAll(client: RawNative): Promise<{ ms: number; refused: string | null }> {
  const started = Date.now();
  for (let i = 0; i < TOPICS && client.isOpen; i++) {
    const paced = i % PACE === PACE - 1 || i === TOPICS - 1;
    if (!paced) {
      client.sendRaw(JSON.stringify({ op: 'publish', topic: `m/${i}`, data: { i } }));
      continue;
    }
    const answer = await client.request({ op: 'publish', topic: `m/${i}`, data: { i }, ack: true }, 30_000);
    if (answer?.op !== 'ack') return { ms: Date.now() - started, refused: `publish ${i}: ${describe(answer)}` };
  }
  const refused =
    client.errors.length > 0 ? `${client.errors.length} refused, first ${client.errors[0].code ?? '?'}` : null;
  return { ms: Date.now() - started, refused };
}

export const wildcardsOverCachedRoutesAttack: Attack = {
  id: '2d',
  name: `${TOPICS.toLocaleString('en-US')} cached topics, then ${SUBSCRIPTIONS} subscriptions to # (no read rights)`,
  timeoutMs: 120_000,
  // The route cache's budget; the entitlement cache's 100,000 answers are within the 64 MB margin.
  capBytes: (config) => configNumber(config, 'topics.routeCacheMaxBytes'),
  config(dir) {
    writeFileSync(join(dir, 'eve-reads-nothing.mjs'), MODULE);
    return { security: { entitlement: { module: './eve-reads-nothing.mjs' } } };
  },
  async run(ctx) {
    const mallory = await RawNative.logOn(ctx.nativeUrl, 'mallory');
    const fill = await publishAll(mallory);
    if (fill.refused !== null) return { attackerGot: `filling the cache: ${fill.refused}`, ownTarget: null };
    ctx.log(`2d: ${TOPICS} topics published in ${fill.ms} ms`);

    const eve = await RawNative.logOn(ctx.nativeUrl, 'eve');
    const subscribeStarted = Date.now();
    const { accepted, refused } = await subscribeInBatches(eve, SUBSCRIPTIONS, () => ({ topic: '#' }));
    const subscribeMs = Date.now() - subscribeStarted;
    ctx.log(`2d: ${accepted} subscriptions to # in ${subscribeMs} ms`);

    const again = await publishAll(mallory);
    ctx.log(`2d: ${TOPICS} topics published again in ${again.ms} ms`);
    const stats = await ctx.stats(5_000);
    // The connection's end takes all 200 subscriptions out of the routes at once.
    eve.close();
    await eve.closed;
    return {
      attackerGot: `${accepted} subscribed${refused === '' ? '' : `, ${refused}`} in ${subscribeMs} ms; ${eve.deliveries} delivered to eve; republish ${again.refused ?? 'accepted'}; ${mallory.endReason()}`,
      ownTarget: {
        met: eve.deliveries === 0 && again.refused === null,
        expected: 'eve receives nothing under m/; every republish accepted',
      },
      details: {
        fillMs: fill.ms,
        subscribeMs,
        republishMs: again.ms,
        routesEvictedForBytes: stats?.routesEvictedForBytes ?? null,
        routeCacheBytes: stats?.routeCacheBytes ?? null,
      },
    };
  },
};
