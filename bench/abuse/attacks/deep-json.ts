// Attack 1: deeply nested JSON (about 40 KB of {"a":[[[[…]]]]}) reaching a subscriber with
// a select list, so the broker parses, projects and re-encodes it: as an MQTT will fired by the
// socket closing, by the keepalive timer and by the Will Delay timer, and as a native publish whose
// read entitlement is answered asynchronously (a module file that answers with a promise).
import type { Attack, AttackContext, AttackOutcome } from '../attack.js';
import { connectAccepted, type RawMqttOptions } from '../mqtt-raw.js';
import { RawNative, describe } from '../native-raw.js';
import { waitForCounter, waitUntil } from '../wait.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TOPIC = 'abuse/deep';
const DEPTH = 20_000;

/** {"a":[[[…]]]} nested DEPTH levels: 40 KB of brackets. */
export function deepJson(depth = DEPTH): string {
  return `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

/** A native JSON subscriber whose select list makes the broker parse and project the payload. */
async function selectSubscriber(ctx: AttackContext, subscription: Record<string, unknown>): Promise<RawNative> {
  const subscriber = await RawNative.logOn(ctx.nativeUrl, 'reader');
  const answer = await subscriber.request({ op: 'subscribe', sid: 1, ...subscription, select: '+/a' });
  if (answer?.op !== 'ack') throw new Error(`select-list subscription refused: ${describe(answer)}`);
  return subscriber;
}

/** After the deep message went out: what the select-list subscriber got, or why not. */
async function deliveryOutcome(ctx: AttackContext, subscriber: RawNative, what: string): Promise<AttackOutcome> {
  // The delivery (or its refusal) follows the publish at once; give it a bounded moment.
  await waitUntil(
    ctx,
    async () => subscriber.deliveries > 0 || ((await ctx.stats(2_000))?.deliveriesNotFilterable ?? 0) > 0,
    3_000,
  );
  if (!ctx.alive()) return { attackerGot: `${what}; the broker died`, ownTarget: null };
  const stats = await ctx.stats();
  const notFilterable = stats?.deliveriesNotFilterable ?? 0;
  const got =
    subscriber.deliveries > 0
      ? `${what}, delivered projected to the select-list subscriber`
      : notFilterable > 0
        ? `${what}, not delivered (deliveriesNotFilterable ${notFilterable})`
        : `${what}, not delivered`;
  return {
    attackerGot: got,
    ownTarget: null,
    details: { deliveries: subscriber.deliveries, deliveriesNotFilterable: notFilterable },
  };
}

function willAttack(id: string, name: string, trigger: 'close' | 'keepalive' | 'will-delay'): Attack {
  return {
    id,
    name,
    async run(ctx) {
      const subscriber = await selectSubscriber(ctx, { topic: TOPIC });
      const options: RawMqttOptions = {
        port: ctx.mqttPort,
        clientId: `deep-will-${trigger}`,
        username: 'mallory',
        password: 'x',
        protocolVersion: 5,
        // The keepalive variant never sends PINGREQ: the broker closes it after 1.5 x 1 s.
        keepalive: trigger === 'keepalive' ? 1 : 0,
        will: {
          topic: TOPIC,
          payload: Buffer.from(deepJson()),
          qos: 0,
          retain: false,
          ...(trigger === 'will-delay' ? { properties: { willDelayInterval: 1 } } : {}),
        },
        ...(trigger === 'will-delay' ? { properties: { sessionExpiryInterval: 10 } } : {}),
      };
      const attacker = await connectAccepted(options);
      if (trigger === 'keepalive') await attacker.waitClosed(5_000);
      else attacker.destroy();
      const fired = await waitForCounter(ctx, 'mqttWillsPublished', 1, 5_000);
      if (!fired && ctx.alive())
        return { attackerGot: `will not published (${attacker.endReason()})`, ownTarget: null };
      return deliveryOutcome(ctx, subscriber, fired ? 'will published' : 'will triggered');
    },
  };
}

export const deepJsonAttacks: Attack[] = [
  willAttack('1a', 'will, deep JSON, select-list subscriber, socket close', 'close'),
  willAttack('1b', 'will, deep JSON, fired by keepalive timeout', 'keepalive'),
  willAttack('1c', 'will, deep JSON, fired by Will Delay timer', 'will-delay'),
  {
    id: '1d',
    name: 'native deep JSON publish, async entitlement',
    config(dir) {
      // Every answer through a promise, as a module asking a remote service would give it.
      writeFileSync(
        join(dir, 'async-allow.mjs'),
        "export default () => ({ name: 'async-allow', check: () => new Promise((resolve) => setImmediate(() => resolve({ allow: true }))) });\n",
      );
      return { security: { entitlement: { module: './async-allow.mjs' } } };
    },
    async run(ctx) {
      // A wildcard subscription: the read entitlement is asked at the first delivery on the topic.
      const subscriber = await selectSubscriber(ctx, { topic: 'abuse/#' });
      const publisher = await RawNative.logOn(ctx.nativeUrl, 'mallory');
      publisher.sendRaw(`{"op":"publish","topic":"${TOPIC}","data":${deepJson()}}`);
      const outcome = await deliveryOutcome(ctx, subscriber, 'published');
      if (publisher.errors.length > 0)
        outcome.attackerGot = `error ${publisher.errors[0]!.code ?? '?'}; ${outcome.attackerGot}`;
      return outcome;
    },
  },
];
