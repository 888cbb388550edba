// Calls to a node's admin listener (docs/admin.md) with Basic credentials, which the default
// allow-any / allow-all modules accept whatever they are. node:http rather than fetch, to choose
// the connection: a keep-alive agent for timed calls (no TCP handshake in the figure), or a new
// connection per call (`agent: false`) where node:cluster must spread the calls over the workers
// sharing the port, which a kept-alive connection to one of them would not.
import { request, type Agent } from 'node:http';

const AUTHORIZATION = `Basic ${Buffer.from('admin:pw').toString('base64')}`;
const TIMEOUT_MS = 15_000;

export interface AdminAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** One admin call; rejects on a connection error, a timeout or a body that is not JSON. */
export function adminRequest(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  agent: Agent | false,
  body?: unknown,
): Promise<AdminAnswer> {
  const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, baseUrl),
      {
        method,
        agent,
        timeout: TIMEOUT_MS,
        headers: {
          authorization: AUTHORIZATION,
          ...(payload === null ? {} : { 'content-type': 'application/json', 'content-length': payload.length }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(payload ?? undefined);
  });
}

/** A node as GET /admin/cluster lists it (the fields the bench reads). */
export interface ClusterMember {
  readonly node: string;
  readonly alive: boolean;
  /** Subscription patterns the answering node knows this one has. */
  readonly patterns: number;
  readonly status: { readonly pid: number } | null;
}

/** GET /admin/cluster: the answering node's id and its list of members (empty when not clustered). */
export async function clusterView(
  baseUrl: string,
  agent: Agent | false,
): Promise<{ node: string | null; nodes: ClusterMember[] }> {
  const { status, body } = await adminRequest(baseUrl, 'GET', '/admin/cluster', agent);
  if (status !== 200) throw new Error(`GET /admin/cluster answered ${status}: ${JSON.stringify(body)}`);
  const view = body as { clustered: boolean; node?: string; nodes?: ClusterMember[] };
  return { node: view.node ?? null, nodes: view.nodes ?? [] };
}
