// The cluster's half of a publish. Before local delivery: which other nodes may want the message
// (the replicated route table), which node delivers it to each matching `$share` group (round
// robin over the nodes with members, this one included), and one encoding of it for all of them.
// On the receiving side: a frame from the bus becomes a Message again and is delivered here like
// a local publish, through this node's own entitlements, filters and select lists.
import type { Logger } from 'pino';
import { Message } from '../delivery/message.js';
import { Payload } from '../delivery/payload.js';
import { msgpack } from '../native/msgpack-codec.js';
import type { BrokerStats } from '../stats.js';
import { decodeBusFrame, encodeBusFrame, splitBatch, type BusMessage, type BusMqttFields } from './bus-codec.js';
import type { LocalInterest } from './local-interest.js';
import type { MessageBus } from './message-bus.js';
import type { RemoteRoutes } from './remote-routes.js';

/** What a protocol adapter (MQTT) adds to a message on the bus, and puts back on arrival. */
export interface BusAdapter {
  /** The MQTT fields of a message an MQTT client published (or a will), else null. */
  fieldsOf(message: Message): BusMqttFields | null;
  /** Whether `message` is a retained publish (cheap: asked for every publish). */
  isRetained(message: Message): boolean;
  /** Make an arrived message an MQTT publish again. */
  attach(message: Message, fields: BusMqttFields): void;
  /** A retained publish made on another node: keep it here too (the store already has it). */
  retainReplica(message: Message, fields: BusMqttFields): void;
}

/** The `$share` groups another node was chosen for; this one delivers to the rest. */
class NotElsewhere {
  constructor(private readonly elsewhere: ReadonlySet<string>) {}
  has(group: string): boolean {
    return !this.elsewhere.has(group);
  }
}

const NO_GROUPS: ReadonlySet<string> = new Set();

/** Past this many groups, the round-robin positions start again (a bound on what they hold). */
const MAX_ROUND_ROBIN_GROUPS = 100_000;

export class ClusterRouter {
  private readonly nextMember = new Map<string, number>();

  constructor(
    private readonly nodeId: string,
    private readonly routes: RemoteRoutes,
    private readonly local: LocalInterest,
    private readonly bus: MessageBus,
    private readonly adapter: BusAdapter,
    /** Every other live node: where a retained publish goes, whatever their interest. */
    private readonly otherNodes: () => readonly string[],
    /** Deliver to this node's subscribers only (Router.publishLocal); returns the frames sent. */
    private readonly deliverLocal: (message: Message) => number,
    private readonly stats: BrokerStats,
    private readonly log: Logger,
  ) {}

  /** Called by the router before it delivers `message` here. */
  forward(message: Message): void {
    const fanout = this.routes.fanout(message.topic);
    let targets = fanout.nodes;
    let shares: Map<string, string> | null = null;
    if (fanout.shares !== null) {
      shares = new Map();
      let elsewhere: Set<string> | null = null;
      for (const [group, nodes] of fanout.shares) {
        const chosen = this.choose(group, nodes);
        shares.set(group, chosen);
        if (chosen === this.nodeId) continue;
        (elsewhere ??= new Set()).add(group);
        if (!targets.includes(chosen)) targets = [...targets, chosen];
      }
      if (elsewhere !== null) message.sharesHere = new NotElsewhere(elsewhere);
    }
    // Every node keeps the retained messages (a later subscriber anywhere gets them).
    if (this.adapter.isRetained(message)) targets = this.otherNodes();
    if (targets.length === 0) return;
    this.bus.send(targets, encodeBusFrame(toBus(message, this.adapter.fieldsOf(message), shares)));
  }

  /** A batch from another node: each message delivered here; a bad frame is counted and skipped. */
  receive(batch: Buffer): void {
    let frames: Buffer[];
    try {
      frames = splitBatch(batch);
    } catch (err) {
      this.invalid(err);
      return;
    }
    for (const frame of frames) {
      let arrived: BusMessage;
      try {
        arrived = decodeBusFrame(frame);
      } catch (err) {
        this.invalid(err);
        continue;
      }
      try {
        this.deliver(arrived);
      } catch (err) {
        this.log.error({ err, topic: arrived.topic }, 'delivering a message from another node failed');
      }
    }
  }

  private deliver(arrived: BusMessage): void {
    // Copied: the batch's buffer is shared by all its frames, and a message may be kept (retained, queued).
    const bytes = Buffer.from(arrived.payload);
    const payload = arrived.payloadKind === 'bytes' ? Payload.ofBytes(bytes) : Payload.ofMsgpack(bytes);
    const message = new Message(arrived.topic, payload, this.stats);
    if (arrived.mqtt !== null) {
      this.adapter.attach(message, arrived.mqtt);
      if (arrived.mqtt.retain) this.adapter.retainReplica(message, arrived.mqtt);
    }
    // Only the groups this node was chosen for: never a second delivery to a group.
    let here: Set<string> | null = null;
    if (arrived.shares !== null)
      for (const [group, node] of arrived.shares) if (node === this.nodeId) (here ??= new Set()).add(group);
    message.sharesHere = here ?? NO_GROUPS;
    this.stats.clusterMessagesReceived++;
    this.stats.deliveries += this.deliverLocal(message);
  }

  private choose(group: string, nodes: readonly string[]): string {
    const withSelf = this.local.has(`s:${group}`);
    const count = nodes.length + (withSelf ? 1 : 0);
    if (this.nextMember.size > MAX_ROUND_ROBIN_GROUPS) this.nextMember.clear();
    const turn = this.nextMember.get(group) ?? 0;
    this.nextMember.set(group, turn + 1);
    const index = turn % count;
    return index < nodes.length ? nodes[index]! : this.nodeId;
  }

  private invalid(err: unknown): void {
    this.stats.clusterFramesInvalid++;
    this.log.warn({ err: (err as Error).message }, 'cluster bus: a frame from another node did not decode; skipped');
  }
}

function toBus(message: Message, mqtt: BusMqttFields | null, shares: ReadonlyMap<string, string> | null): BusMessage {
  const payload = message.payload;
  if (payload.isBytes) {
    const bytes = payload.bytes;
    return {
      topic: message.topic,
      payloadKind: 'bytes',
      payload: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      mqtt,
      shares,
    };
  }
  const encoded = payload.msgpack ?? msgpack.pack(payload.value);
  return { topic: message.topic, payloadKind: 'msgpack', payload: encoded, mqtt, shares };
}
