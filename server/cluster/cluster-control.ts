// Admin actions for the whole cluster: an entitlement reset (all, or one user), disable and enable,
// closing connections (by id or user), and promoting the shadow policies.
// The node an admin called publishes the action on the control channel (Redis answers with how
// many nodes are subscribed, so it knows how many answers to expect), every node, itself
// included, applies it and answers on the caller's reply channel, and the call returns once all
// have answered or cluster.requestTimeoutMs passed, saying which nodes applied it.
//
// What a node away from Redis missed is not lost: resets are counted in Redis (the reset
// generation) and the disabled flag is kept there, and a node that comes back compares both with
// what it applied (rejoin()), resetting everything if it missed a reset. A shadow policy's promotion
// is not kept: a node away when it ran keeps its live policy and its shadow; promoting again does
// it there (the nodes that promoted already have no shadow left, and say so in `failed`).
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClusterKeys } from './cluster-keys.js';
import type { EntitlementResetMode, KickTarget } from '../admin/admin-actions.js';
import type { InvalidationTarget } from '../security/module-types.js';

export type ControlAction =
  /** `mode` absent: disconnect (messages from nodes of an older version carry none). */
  | {
      readonly t: 'reset';
      readonly user?: string;
      readonly mode?: EntitlementResetMode;
      /** One vhost's entitlements and connections only (docs/vhosts.md#admin). */
      readonly vhost?: string;
    }
  | { readonly t: 'disable' }
  | { readonly t: 'enable' }
  /** Forget some answers of a user and re-evaluate that user's connections. */
  | { readonly t: 'invalidate'; readonly target: InvalidationTarget }
  /** Close a connection by id (it is on one node), or every connection of a user. */
  | { readonly t: 'kick'; readonly target: KickTarget }
  /** Make the shadow policies live (the caller resets entitlements cluster-wide after). */
  | { readonly t: 'promote-shadow' };

interface ControlMessage {
  readonly id: string;
  readonly origin: string;
  readonly action: ControlAction | { readonly t: 'leave' };
  /** For a reset: the reset generation it made. */
  readonly generation?: number;
}

interface ControlReply {
  readonly id: string;
  readonly node: string;
  readonly ok: boolean;
  readonly disconnected?: number;
  /** A reset in reevaluate mode: subscriptions it ended. */
  readonly subscriptionsRevoked?: number;
  readonly error?: string;
}

/** A request to one node (a client id taken over from it). */
export interface DirectRequest {
  readonly t: 'takeover';
  readonly clientId: string;
  /** Clean Start: the node discards the session instead of leaving it in the store for the taker. */
  readonly discard: boolean;
}

interface DirectMessage {
  readonly id: string;
  readonly origin: string;
  readonly request: DirectRequest;
}

/** How a request to one node ended. */
export type DirectOutcome = 'done' | 'failed' | 'absent' | 'timeout';

/** What applying an action does on one node (the broker's own admin actions, local only). */
export interface LocalActions {
  resetLocally(
    user: string | undefined,
    mode?: EntitlementResetMode,
    vhost?: string,
  ): Promise<{ disconnected: number; subscriptionsRevoked?: number }>;
  disableLocally(): Promise<void>;
  enableLocally(): Promise<void>;
  entitlementsEnabled(): boolean;
  kickLocally(target: KickTarget): number;
  invalidateLocally(target: InvalidationTarget): Promise<{ disconnected: number; subscriptionsRevoked: number }>;
  /** Throws when this node had no shadow policy to promote. */
  promoteShadowLocally(): Promise<unknown>;
}

/** The answer to a cluster-wide action. */
export interface ClusterActionResult {
  /** Nodes that applied it. */
  readonly applied: number;
  /** Nodes that were asked (subscribed to the control channel when it was sent). */
  readonly of: number;
  /** Connections closed, summed over the nodes (a reset). */
  readonly disconnected: number;
  /** Subscriptions ended, summed over the nodes (a reset in reevaluate mode). */
  readonly subscriptionsRevoked: number;
  /** Nodes that failed to apply it, with why. */
  readonly failed: readonly { node: string; error: string }[];
  /** Live nodes that had not answered within cluster.requestTimeoutMs. */
  readonly missing: readonly string[];
}

/** A cluster action refused because Redis cannot be reached: nothing was applied anywhere. */
export class ClusterUnavailableError extends Error {}

interface Waiting {
  readonly replies: ControlReply[];
  expected: number;
  readonly done: (replies: ControlReply[]) => void;
}

export class ClusterControl {
  private readonly waiting = new Map<string, Waiting>();
  /** The highest reset generation this node applied (or saw, when it joined). */
  private generation = 0;

  constructor(
    private readonly nodeId: string,
    private readonly redis: Redis,
    private readonly keys: ClusterKeys,
    private readonly local: LocalActions,
    private readonly timeoutMs: number,
    private readonly liveOthers: () => readonly string[],
    private readonly nodeLeft: (node: string) => void,
    private readonly log: Logger,
    /** Carries out a request another node sent this one. */
    private readonly serve: (request: DirectRequest) => Promise<void>,
  ) {}

  /**
   * Ask `node` to do `request` and wait for its answer: `absent` when no node listens on its
   * channel (it is dead, or away from Redis), `timeout` after cluster.requestTimeoutMs.
   */
  async request(node: string, request: DirectRequest): Promise<DirectOutcome> {
    const id = randomUUID();
    const answered = new Promise<ControlReply[]>((resolve) =>
      this.waiting.set(id, { replies: [], expected: 1, done: resolve }),
    );
    const message: DirectMessage = { id, origin: this.nodeId, request };
    let listeners: number;
    try {
      listeners = await this.redis.publish(this.keys.directChannel(node), JSON.stringify(message));
    } catch {
      this.waiting.delete(id);
      return 'absent';
    }
    if (listeners === 0) {
      this.waiting.delete(id);
      return 'absent';
    }
    const timer = setTimeout(() => this.finish(id), this.timeoutMs);
    const replies = await answered;
    clearTimeout(timer);
    if (replies.length === 0) return 'timeout';
    return replies[0]!.ok ? 'done' : 'failed';
  }

  /** A request on this node's direct channel. */
  onDirect(text: string): void {
    let message: DirectMessage;
    try {
      message = JSON.parse(text) as DirectMessage;
    } catch {
      return;
    }
    void this.serve(message.request).then(
      () => this.reply(message.origin, { id: message.id, node: this.nodeId, ok: true }),
      (err: unknown) => {
        this.log.error({ err, request: message.request.t }, 'cluster: a request from another node failed');
        this.reply(message.origin, { id: message.id, node: this.nodeId, ok: false, error: (err as Error).message });
      },
    );
  }

  private reply(origin: string, reply: ControlReply): void {
    this.redis.publish(this.keys.replyChannel(origin), JSON.stringify(reply)).catch((err: unknown) => {
      this.log.warn({ err: (err as Error).message, origin }, 'cluster: could not answer another node');
    });
  }

  /** Run `action` on every node; rejects with ClusterUnavailableError when Redis is away. */
  async run(action: ControlAction): Promise<ClusterActionResult> {
    if (this.redis.status !== 'ready')
      throw new ClusterUnavailableError('the cluster is unavailable (Redis cannot be reached): nothing was applied');
    const id = randomUUID();
    let generation: number | undefined;
    try {
      if (action.t === 'reset') generation = await this.redis.incr(this.keys.resetGeneration);
      else if (action.t === 'disable') await this.redis.set(this.keys.entitlementsDisabled, '1');
      else if (action.t === 'enable') await this.redis.del(this.keys.entitlementsDisabled);
    } catch (err) {
      throw new ClusterUnavailableError(`the cluster is unavailable: ${(err as Error).message}; nothing was applied`);
    }
    const message: ControlMessage = {
      id,
      origin: this.nodeId,
      action,
      ...(generation !== undefined ? { generation } : {}),
    };
    const answered = new Promise<ControlReply[]>((resolve) =>
      this.waiting.set(id, { replies: [], expected: Number.POSITIVE_INFINITY, done: resolve }),
    );
    let expected: number;
    try {
      expected = await this.redis.publish(this.keys.controlChannel, JSON.stringify(message));
    } catch (err) {
      this.waiting.delete(id);
      throw new ClusterUnavailableError(`the cluster is unavailable: ${(err as Error).message}`);
    }
    const waiting = this.waiting.get(id);
    if (waiting !== undefined) {
      waiting.expected = expected;
      if (waiting.replies.length >= expected) this.finish(id);
    }
    const timer = setTimeout(() => this.finish(id), this.timeoutMs);
    const replies = await answered;
    clearTimeout(timer);
    const answeredBy = new Set(replies.map((r) => r.node));
    const missing = [...this.liveOthers(), this.nodeId].filter((n) => !answeredBy.has(n)).sort();
    return {
      applied: replies.filter((r) => r.ok).length,
      of: Math.max(expected, replies.length + missing.length),
      disconnected: replies.reduce((sum, r) => sum + (r.disconnected ?? 0), 0),
      subscriptionsRevoked: replies.reduce((sum, r) => sum + (r.subscriptionsRevoked ?? 0), 0),
      failed: replies.filter((r) => !r.ok).map((r) => ({ node: r.node, error: r.error ?? 'failed' })),
      missing,
    };
  }

  /** Tell the others this node is leaving (they drop its routes at once). */
  async announceLeave(): Promise<void> {
    const message: ControlMessage = { id: randomUUID(), origin: this.nodeId, action: { t: 'leave' } };
    await this.redis.publish(this.keys.controlChannel, JSON.stringify(message));
  }

  /** A message on the control channel (from any node, this one included). */
  onControl(text: string): void {
    let message: ControlMessage;
    try {
      message = JSON.parse(text) as ControlMessage;
    } catch {
      return;
    }
    if (message.action.t === 'leave') {
      if (message.origin !== this.nodeId) this.nodeLeft(message.origin);
      return;
    }
    void this.apply(message);
  }

  /** An answer on this node's reply channel. */
  onReply(text: string): void {
    let reply: ControlReply;
    try {
      reply = JSON.parse(text) as ControlReply;
    } catch {
      return;
    }
    const waiting = this.waiting.get(reply.id);
    if (waiting === undefined) return;
    waiting.replies.push(reply);
    if (waiting.replies.length >= waiting.expected) this.finish(reply.id);
  }

  /**
   * Joining, or back after losing Redis: apply what was decided meanwhile. A reset missed while
   * away resets everything here (which user it was for is not kept); the disabled flag is matched.
   */
  async rejoin(): Promise<void> {
    const [generation, disabled] = await Promise.all([
      this.redis.get(this.keys.resetGeneration),
      this.redis.get(this.keys.entitlementsDisabled),
    ]);
    const current = Number(generation ?? 0);
    if (this.generation === -1) this.generation = current;
    else if (current > this.generation) {
      this.generation = current;
      const { disconnected } = await this.local.resetLocally(undefined);
      this.log.warn(
        { generation: current, disconnected },
        'cluster: entitlements were reset while this node was away from Redis; reset here on rejoining',
      );
    }
    const shouldBeDisabled = disabled === '1';
    if (shouldBeDisabled && this.local.entitlementsEnabled()) {
      await this.local.disableLocally();
      this.log.warn('cluster: entitlements are disabled cluster-wide; disabled here');
    } else if (!shouldBeDisabled && !this.local.entitlementsEnabled()) {
      await this.local.enableLocally();
      this.log.warn('cluster: entitlements were enabled cluster-wide; enabled here');
    }
  }

  /** Before the first rejoin(): what is in Redis now is the starting point, not something missed. */
  startFresh(): void {
    this.generation = -1;
  }

  private async apply(message: ControlMessage): Promise<void> {
    const action = message.action as ControlAction;
    let reply: ControlReply;
    try {
      let disconnected = 0;
      let subscriptionsRevoked: number | undefined;
      if (action.t === 'reset') {
        if (message.generation !== undefined && message.generation > this.generation)
          this.generation = message.generation;
        ({ disconnected, subscriptionsRevoked } = await this.local.resetLocally(
          action.user,
          action.mode,
          action.vhost,
        ));
      } else if (action.t === 'invalidate')
        ({ disconnected, subscriptionsRevoked } = await this.local.invalidateLocally(action.target));
      else if (action.t === 'kick') disconnected = this.local.kickLocally(action.target);
      else if (action.t === 'promote-shadow') await this.local.promoteShadowLocally();
      else if (action.t === 'disable') await this.local.disableLocally();
      else await this.local.enableLocally();
      reply = {
        id: message.id,
        node: this.nodeId,
        ok: true,
        disconnected,
        ...(subscriptionsRevoked !== undefined ? { subscriptionsRevoked } : {}),
      };
    } catch (err) {
      this.log.error({ err, action: action.t }, 'cluster: applying an admin action failed');
      reply = { id: message.id, node: this.nodeId, ok: false, error: (err as Error).message };
    }
    this.redis.publish(this.keys.replyChannel(message.origin), JSON.stringify(reply)).catch((err: unknown) => {
      this.log.warn(
        { err: (err as Error).message, origin: message.origin },
        'cluster: could not answer an admin action',
      );
    });
  }

  private finish(id: string): void {
    const waiting = this.waiting.get(id);
    if (waiting === undefined) return;
    this.waiting.delete(id);
    waiting.done(waiting.replies);
  }

  /** At shutdown: every caller still waiting gets what it has. */
  close(): void {
    for (const id of [...this.waiting.keys()]) this.finish(id);
  }
}
