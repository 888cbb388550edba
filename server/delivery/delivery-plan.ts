// What a route's subscribers need per message, resolved once per route change rather than per
// message: the distinct receiving connections, for each the frame prefix listing its matching
// subscription ids, its read entitlement for the route's topic, and whether anything (a filter,
// a select list) must look at the payload. The topic engine drops a route's plan (plan = null)
// whenever its entries change; its read decisions are asked again when the entitlement epoch
// moves (a reset, or a tick of the entitlementCache.ttlMs clock), by the router.
import { ALLOW_ALL, DENY_FAILED, isPromiseLike, type Decision } from '../security/decision.js';
import { composedSelect, rulesOf, type EntitlementRules } from '../content/content-rules.js';
import type { CompiledSelect } from '../content/select/index.js';
import type { BrokerStats } from '../stats.js';
import type { Encoding } from '../../protocol/native.js';
import { encodeDeliveryPrefix } from './delivery-frame.js';
import { SharedFrame } from '../transports/shared-frame.js';
import type { Message } from './message.js';
import { FAILED_READ_RETRY_MS, FailedRead, PendingRead, type ReadAccess } from './read-access.js';
import type { DeliveryTarget, HoldingPlan, SubscriptionEntry } from './subscription-entry.js';

const NO_PREFIX = Buffer.alloc(0);

/** What a plan derives from its route's entries alone, whatever the topic: shared between plans. */
interface PlanShape {
  readonly targets: readonly DeliveryTarget[];
  readonly prefixes: readonly Buffer[];
  readonly entries: readonly (readonly SubscriptionEntry[])[];
  readonly plain: readonly boolean[];
}

/**
 * The last route entries list a plan was built from (DeliveryPlan.forRoute), and its shape; one per
 * router. Routes matching the same subscriptions share one entries list (the topic engine's
 * SharedLists), so plans for many new topics that the same wildcards match share one shape.
 */
export class LastRouteShape {
  entries: readonly SubscriptionEntry[] | null = null;
  shape: PlanShape | null = null;
}

export class DeliveryPlan implements HoldingPlan {
  private constructor(
    readonly topic: string,
    readonly targets: readonly DeliveryTarget[],
    readonly prefixes: readonly Buffer[],
    /** Per target, its subscriptions matching the topic. */
    readonly entries: readonly (readonly SubscriptionEntry[])[],
    /** Per target: true when none of its subscriptions has a filter or a select list. */
    readonly plain: readonly boolean[],
    readonly access: ReadAccess[],
  ) {
    this.rules = new Array<EntitlementRules | null>(targets.length).fill(null);
    this.rulesOf = new Array<Decision | null>(targets.length).fill(null);
    this.projections = new Array<readonly (CompiledSelect | null)[] | null>(targets.length).fill(null);
  }

  /** Per target: the compiled rules of `rulesOf[i]`, so a message does not look them up again. */
  private readonly rules: (EntitlementRules | null)[];
  private readonly rulesOf: (Decision | null)[];
  /** Per target with subscriber rules: each subscription's composed projection under `rules[i]`. */
  private readonly projections: (readonly (CompiledSelect | null)[] | null)[];

  /** The entitlement epoch the read decisions in `access` were resolved in (see refresh). */
  epoch = 0;

  /** A plan over `entries`, which the caller may change later (a shared subscription's members). */
  static build(topic: string, entries: readonly SubscriptionEntry[], epoch = 0): DeliveryPlan {
    return DeliveryPlan.fromShape(topic, shapeOf(entries), epoch);
  }

  /**
   * A plan for a cached route. The topic engine never changes an entries list it handed out (it
   * gives the route a new one), so the same list has the same shape, and the last one is reused.
   */
  static forRoute(
    topic: string,
    routeEntries: readonly SubscriptionEntry[],
    epoch: number,
    last: LastRouteShape,
  ): DeliveryPlan {
    if (routeEntries !== last.entries || last.shape === null) {
      last.shape = shapeOf(routeEntries);
      last.entries = routeEntries;
    }
    return DeliveryPlan.fromShape(topic, last.shape, epoch);
  }

  private static fromShape(topic: string, shape: PlanShape, epoch: number): DeliveryPlan {
    const { targets, prefixes, entries, plain } = shape;
    const plan = new DeliveryPlan(topic, targets, prefixes, entries, plain, new Array<ReadAccess>(targets.length));
    plan.epoch = epoch;
    for (let i = 0; i < targets.length; i++) plan.resolve(i);
    return plan;
  }

  /**
   * The entitlement epoch moved: ask every known read decision again, from the entitlement cache
   * (the same Decision while it is cached; the module again once it has expired or been reset).
   * Pending answers are left to land, failed ones keep their retry time.
   */
  refresh(epoch: number): void {
    this.epoch = epoch;
    for (let i = 0; i < this.targets.length; i++) {
      const a = this.access[i]!;
      if (!(a instanceof PendingRead) && !(a instanceof FailedRead)) this.resolve(i);
    }
  }

  /** Ask target i's read entitlement; a pending answer lands in this plan when it arrives. */
  resolve(i: number): ReadAccess {
    const target = this.targets[i]!;
    let answer: Decision | PromiseLike<Decision>;
    try {
      answer = target.readAccess(this.topic);
    } catch (err) {
      // Fail closed for this target alone (retried later), never stop the publish loop.
      target.reportDeliveryError(err, this.topic);
      answer = DENY_FAILED;
    }
    if (!isPromiseLike(answer)) return (this.access[i] = settled(answer));
    const pending = new PendingRead();
    this.access[i] = pending;
    // A continuation is an entry point: a rejection or a throw while releasing the held deliveries
    // must end here, never as an unhandled rejection (it would end the process).
    answer.then(
      (decision) => this.answered(i, pending, decision),
      (err: unknown) => {
        target.reportDeliveryError(err, this.topic);
        this.answered(i, pending, DENY_FAILED);
      },
    );
    return pending;
  }

  /** Target i's pending read is answered: keep the decision and release what the target holds. */
  private answered(i: number, pending: PendingRead, decision: Decision): void {
    pending.decision = decision;
    if (this.access[i] === pending) this.access[i] = settled(decision);
    const target = this.targets[i]!;
    try {
      target.releaseHeld();
    } catch (err) {
      target.reportDeliveryError(err, this.topic);
    }
  }

  /**
   * Deliver `message` to target i under a known read decision; returns the frames sent. Whatever
   * building or sending this one delivery throws is contained here (counted in deliveryErrors,
   * logged by the target), so the other receivers of the message are still served: every caller
   * (router, held deliveries, shared groups, retained messages) goes through this. A try/catch
   * costs nothing measurable in V8's optimized code.
   */
  deliver(i: number, decision: Decision, message: Message, stats: BrokerStats): number {
    try {
      return this.deliverTo(i, decision, message, stats);
    } catch (err) {
      stats.deliveryErrors++;
      this.targets[i]!.reportDeliveryError(err, message.topic);
      return 0;
    }
  }

  /** The common case (allowed, nothing to apply) sends the message's frame for the cached prefix, shared by receivers with equal ones. */
  private deliverTo(i: number, decision: Decision, message: Message, stats: BrokerStats): number {
    const target = this.targets[i]!;
    if (!decision.allow) {
      stats.deliveriesNotEntitled++;
      return 0;
    }
    if (decision === ALLOW_ALL && this.plain[i]) {
      if (target.kind === 'native')
        target.sendDelivery(message.frame(this.prefixes[i]!, message.body(target.encoding)));
      else target.deliverEntries(message, this.entries[i]!, null);
      return 1;
    }
    let rules = this.rules[i] ?? null;
    if (this.rulesOf[i] !== decision) {
      rules = rulesOf(decision, (err) => target.reportInvalidRules(err));
      this.rules[i] = rules;
      this.rulesOf[i] = decision;
      // Each subscription's effective projection, composed once here rather than per message.
      this.projections[i] =
        rules === null || this.plain[i] ? null : this.entries[i]!.map((e) => composedSelect(rules!.select, e.select));
    }
    if (rules === null) {
      stats.deliveriesNotEntitled++;
      return 0;
    }
    // AMPS ("Entitlement Select Lists"): the entitlement filter applies first, then the entitlement select list, then the subscriber's.
    const document = message.document();
    if (document === null) {
      stats.deliveriesNotFilterable++;
      return 0;
    }
    if (rules.filter !== null && !message.matches(rules.filter)) {
      stats.deliveriesFiltered++;
      return 0;
    }
    if (this.plain[i]) {
      if (target.kind === 'packet') target.deliverEntries(message, this.entries[i]!, rules.select);
      else
        target.sendDelivery(
          message.frame(
            this.prefixes[i]!,
            rules.select === null
              ? message.body(target.encoding)
              : message.projectedBody(rules.select, target.encoding),
          ),
        );
      return 1;
    }
    return this.deliverPerSubscription(i, message);
  }

  /** Subscriptions with their own filters or select lists: one frame per distinct projection. */
  private deliverPerSubscription(i: number, message: Message): number {
    const target = this.targets[i]!;
    const entries = this.entries[i]!;
    const entryProjections = this.projections[i]!;
    const projections: (CompiledSelect | null)[] = [];
    const groups: SubscriptionEntry[][] = [];
    let matched = 0;
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k]!;
      if (entry.filter !== null && !message.matches(entry.filter)) continue;
      matched++;
      const projection = entryProjections[k]!;
      const group = projections.indexOf(projection);
      if (group === -1) {
        projections.push(projection);
        groups.push([entry]);
      } else groups[group]!.push(entry);
    }
    for (let g = 0; g < projections.length; g++) {
      const projection = projections[g]!;
      if (target.kind === 'packet') {
        target.deliverEntries(message, groups[g]!, projection);
        continue;
      }
      const body =
        projection === null ? message.body(target.encoding) : message.projectedBody(projection, target.encoding);
      // All its subscriptions in one frame: the plan's prefix, which receivers with equal ids share.
      // Otherwise a prefix of this message's own, which no other receiver has.
      target.sendDelivery(
        matched === entries.length && projections.length === 1
          ? message.frame(this.prefixes[i]!, body)
          : new SharedFrame(
              encodeDeliveryPrefix(
                target.encoding,
                groups[g]!.map((e) => e.sid),
              ),
              body,
            ),
      );
    }
    return projections.length;
  }
}

/** Groups a route's entries by receiving connection, with each one's frame prefix. */
function shapeOf(routeEntries: readonly SubscriptionEntry[]): PlanShape {
  const byTarget = new Map<DeliveryTarget, SubscriptionEntry[]>();
  for (const entry of routeEntries) {
    const list = byTarget.get(entry.target);
    if (list === undefined) byTarget.set(entry.target, [entry]);
    else list.push(entry);
  }
  const targets: DeliveryTarget[] = [];
  const prefixes: Buffer[] = [];
  const entries: SubscriptionEntry[][] = [];
  const plain: boolean[] = [];
  // Receivers whose subscription ids (and encoding) are equal get the same prefix Buffer, so a
  // message's whole frame is built once for all of them (Message.frame keys on the identity).
  const prefixOf = new Map<string, Buffer>();
  for (const [target, list] of byTarget) {
    targets.push(target);
    entries.push(list);
    prefixes.push(target.kind === 'native' ? sharedPrefix(prefixOf, target.encoding, list) : NO_PREFIX);
    plain.push(list.every((e) => e.filter === null && e.select === null));
  }
  return { targets, prefixes, entries, plain };
}

function sharedPrefix(prefixOf: Map<string, Buffer>, encoding: Encoding, list: readonly SubscriptionEntry[]): Buffer {
  const sids = list.map((e) => e.sid);
  const key = `${encoding}:${sids.join(',')}`;
  let prefix = prefixOf.get(key);
  if (prefix === undefined) {
    prefix = encodeDeliveryPrefix(encoding, sids);
    prefixOf.set(key, prefix);
  }
  return prefix;
}

function settled(decision: Decision): ReadAccess {
  return decision.failed ? new FailedRead(Date.now() + FAILED_READ_RETRY_MS) : decision;
}
