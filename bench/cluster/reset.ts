// S3, an entitlement reset across 3 nodes: before each reset, `clientsPerNode` native clients log
// on to each of nodes A, B, C and subscribe; then POST /admin/entitlements/reset on A (a kept-alive
// admin connection). A answers once every node has applied the reset (docs/admin.md): the time from
// sending the request to its whole answer is the figure, checked to say `nodes.applied` 3 of 3
// and every client disconnected. Also timed from the same start: until the last client on C, and
// the last client anywhere, saw its connection closed (the close frame, code 4004, or the socket's
// end, whichever came first). One untimed reset first (the admin connection, the first request).
import { Agent } from 'node:http';
import { closeNativeClients, call, openNativeClient, type NativeClient } from '../native-raw/generator.js';
import { NativeFrameCounter } from '../native-raw/frame-counter.js';
import { now } from '../load/run-summary.js';
import { adminRequest } from './admin-client.js';
import { CLUSTER_NODES } from './fanout.js';
import type { WardenNode } from './nodes.js';
import { withCluster } from './setup.js';

const CLOSE_TIMEOUT_MS = 5_000;
/** Close code of the connections an entitlement reset closes (docs/protocol.md). */
const ENTITLEMENTS_RESET = 4004;

export interface ResetParams {
  resets: number;
  clientsPerNode: number;
}

export interface ResetSample {
  /** POST sent -> answer read, ms. */
  answerMs: number;
  /** POST sent -> the last client on node C closed, ms. */
  lastOnCMs: number;
  /** POST sent -> the last client on any node closed, ms. */
  lastAnyMs: number;
  applied: number;
  of: number;
  disconnected: number;
  /** Clients whose close code was not 4004 (or that were not closed within CLOSE_TIMEOUT_MS). */
  unexpectedCloses: number;
}

interface Watched {
  readonly client: NativeClient;
  readonly node: string;
  closedAt: number;
  closeCode: number | null;
}

async function connectClients(nodes: readonly WardenNode[], perNode: number, round: number): Promise<Watched[]> {
  const watched: Watched[] = [];
  for (const node of nodes) {
    for (let i = 0; i < perNode; i++) {
      const counter = new NativeFrameCounter();
      let w: Watched | null = null;
      const closed = (): void => {
        if (w === null || w.closedAt !== 0) return;
        w.closedAt = now();
        w.closeCode = counter.closeCode;
      };
      const client = await openNativeClient(node.nativeUrl, counter, () => {
        if (counter.closeCode !== null) closed();
      });
      w = { client, node: node.name, closedAt: 0, closeCode: null };
      client.socket.once('close', closed);
      watched.push(w);
      await call(client, { op: 'logon', rid: 1, user: `reset-${node.name}-${i}`, password: 'bench' });
      await call(client, { op: 'subscribe', rid: 2, sid: 1, topic: `bench/reset/${round}/${node.name}/${i}` });
    }
  }
  return watched;
}

async function resetOnce(a: WardenNode, agent: Agent, watched: Watched[]): Promise<ResetSample> {
  const started = now();
  const { status, body } = await adminRequest(a.adminUrl, 'POST', '/admin/entitlements/reset', agent, {});
  const answerMs = now() - started;
  if (status !== 200) throw new Error(`POST /admin/entitlements/reset answered ${status}: ${JSON.stringify(body)}`);
  const answer = body as { disconnected: number; nodes: { applied: number; of: number } };
  const deadline = now() + CLOSE_TIMEOUT_MS;
  while (watched.some((w) => w.closedAt === 0) && now() < deadline) await new Promise((r) => setTimeout(r, 1));
  const lastOf = (ws: readonly Watched[]): number =>
    ws.some((w) => w.closedAt === 0) ? Number.NaN : Math.max(...ws.map((w) => w.closedAt)) - started;
  return {
    answerMs,
    lastOnCMs: lastOf(watched.filter((w) => w.node === 'C')),
    lastAnyMs: lastOf(watched),
    applied: answer.nodes.applied,
    of: answer.nodes.of,
    disconnected: answer.disconnected,
    unexpectedCloses: watched.filter((w) => w.closedAt === 0 || w.closeCode !== ENTITLEMENTS_RESET).length,
  };
}

/** One run: a fresh 3-node cluster, one untimed reset, then `resets` timed ones. */
export function runResets(p: ResetParams): Promise<ResetSample[]> {
  return withCluster(CLUSTER_NODES, async ({ nodes }) => {
    const a = nodes[0]!;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const samples: ResetSample[] = [];
    try {
      for (let round = 0; round <= p.resets; round++) {
        const watched = await connectClients(nodes, p.clientsPerNode, round);
        try {
          const sample = await resetOnce(a, agent, watched);
          if (round > 0) samples.push(sample);
        } finally {
          closeNativeClients(watched.map((w) => w.client));
        }
      }
      return samples;
    } finally {
      agent.destroy();
    }
  });
}
