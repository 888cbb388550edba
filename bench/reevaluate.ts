// How long a re-evaluation of entitlements takes (issue 19): a broker process (the real CLI) with
// the `policy` module reading a file, --users native connections (one user each) holding
// --subscriptions literal-topic subscriptions each, then POST /admin/entitlements/reset with
// mode reevaluate, twice per run:
//   unchanged   the policy file as it was: every logon and read is asked again, nothing revoked
//   revoking    a new file that denies one topic to every tenth user: those subscriptions end
// The broker's own figure (the answer's reevaluation.durationMs) and the HTTP round trip are
// reported; the clients only count the ENTITLEMENT_REVOKED frames. Prints a table, writes JSON.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import WebSocket from 'ws';
import { SUBPROTOCOLS } from '../protocol/native.js';
import type { ReevaluationReport } from '../server/security/reevaluation.js';
import { startBrokerProcess, type BrokerProcess } from './broker-process.js';
import { commandLine, defineCommand } from './cli-options.js';
import { outOption, runsOption } from './common-options.js';
import { integerIn } from './option-values.js';
import { formatTable } from './report.js';

const opts = commandLine(
  defineCommand({
    npmScript: 'bench:reevaluate',
    node: 'dist/bench/reevaluate.js',
    summary: `Re-evaluation of entitlements: a broker process with the policy module, --users connections of one
user each holding --subscriptions literal-topic subscriptions, then a reset in reevaluate mode with the
policy unchanged and with one topic denied to every tenth user. Prints the broker's re-evaluation time
and the HTTP round trip (median of --runs), writes JSON.`,
    options: {
      users: {
        type: 'string',
        value: 'N',
        default: '10000',
        parse: integerIn(1, 15_000),
        description: 'connections, one user each (under ulimit -n)',
      },
      subscriptions: {
        type: 'string',
        value: 'N',
        default: '10',
        parse: integerIn(1, 1000),
        description: 'literal-topic subscriptions per connection',
      },
      runs: runsOption(20),
      out: outOption('bench/results/reevaluate.json'),
    },
  }),
);

/** Logons and subscribes in flight at once while the clients are set up. */
const SETUP_CONCURRENCY = 200;
const ADMIN_AUTH = `Basic ${Buffer.from('ops:bench').toString('base64')}`;

/** Every user reads and writes its own topics; `revokedEvery` > 0 denies topic 0 to every such user. */
function policyYaml(revokedEvery: number, users: number): string {
  const denied: string[] = [];
  if (revokedEvery > 0) for (let u = 0; u < users; u += revokedEvery) denied.push(`u${u}`);
  return [
    'allowUnknownUser: true',
    'groups:',
    '  admins: { users: [ops], grants: [{ actions: [admin] }] }',
    "  $default: { grants: [{ actions: [read, write], topics: ['t/${user}/#'] }] }",
    ...(denied.length > 0
      ? ['deny:', `  - { users: [${denied.join(', ')}], actions: [read], topics: ['t/+/0'] }`]
      : []),
    '',
  ].join('\n');
}

interface BenchClient {
  readonly socket: WebSocket;
  revoked: number;
}

/** One connection: logon, then `subscriptions` subscribes to its own topics, each acknowledged. */
function openClient(url: string, user: string, subscriptions: number): Promise<BenchClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, SUBPROTOCOLS.json);
    const client: BenchClient = { socket, revoked: 0 };
    let acked = 0;
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ op: 'logon', rid: 0, user, password: 'bench' })));
    socket.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as { op: string; rid?: number; code?: string; sid?: number };
      if (frame.op === 'error' && frame.code === 'ENTITLEMENT_REVOKED') {
        client.revoked++;
        return;
      }
      if (frame.op === 'error') {
        reject(new Error(`${user}: ${JSON.stringify(frame)}`));
        return;
      }
      if (frame.op !== 'ack') return;
      if (frame.rid === 0) {
        for (let i = 0; i < subscriptions; i++)
          socket.send(JSON.stringify({ op: 'subscribe', rid: i + 1, sid: i, topic: `t/${user}/${i}` }));
        return;
      }
      if (++acked === subscriptions) resolve(client);
    });
  });
}

async function openClients(url: string, users: number, subscriptions: number): Promise<BenchClient[]> {
  const clients: BenchClient[] = new Array<BenchClient>(users);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < users) {
      const index = next++;
      clients[index] = await openClient(url, `u${index}`, subscriptions);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SETUP_CONCURRENCY, users) }, worker));
  return clients;
}

type Reevaluation = ReevaluationReport;

async function reevaluate(adminUrl: string): Promise<{ broker: Reevaluation; roundTripMs: number }> {
  const started = performance.now();
  const response = await fetch(`${adminUrl}/admin/entitlements/reset`, {
    method: 'POST',
    headers: { authorization: ADMIN_AUTH },
    body: JSON.stringify({ mode: 'reevaluate' }),
  });
  const roundTripMs = performance.now() - started;
  if (response.status !== 200) throw new Error(`reset answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { reevaluation: Reevaluation };
  return { broker: body.reevaluation, roundTripMs };
}

interface RunResult {
  readonly unchanged: { broker: Reevaluation; roundTripMs: number };
  readonly revoking: { broker: Reevaluation; roundTripMs: number };
  readonly revokedFramesSeen: number;
}

async function run(users: number, subscriptions: number): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-reevaluate-'));
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, policyYaml(0, users));
  let broker: BrokerProcess | null = null;
  let clients: BenchClient[] = [];
  try {
    broker = await startBrokerProcess({
      cpu: null,
      config: {
        // The log stays at info: startBrokerProcess reads the listeners' URLs from it.
        audit: { enabled: false },
        persistence: { store: 'memory' },
        security: { entitlement: { module: 'policy', options: { file: policyFile } } },
      },
    });
    const adminUrl = broker.adminUrl!;
    clients = await openClients(broker.url, users, subscriptions);
    const unchanged = await reevaluate(adminUrl);
    writeFileSync(policyFile, policyYaml(10, users));
    const revoking = await reevaluate(adminUrl);
    const expected = revoking.broker.subscriptionsRevoked;
    // The frames are sent before the answer; give the sockets a turn to read them.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const revokedFramesSeen = clients.reduce((sum, c) => sum + c.revoked, 0);
    if (revokedFramesSeen > expected) throw new Error(`saw ${revokedFramesSeen} revocations, expected ${expected}`);
    return { unchanged, revoking, revokedFramesSeen };
  } finally {
    for (const c of clients) c?.socket.terminate();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: RunResult[] = [];
for (let i = 0; i < opts.runs; i++) {
  const result = await run(opts.users, opts.subscriptions);
  results.push(result);
  process.stderr.write(
    `run ${i + 1}/${opts.runs}: unchanged ${result.unchanged.broker.durationMs.toFixed(1)} ms, revoking ${result.revoking.broker.durationMs.toFixed(1)} ms (${result.revoking.broker.subscriptionsRevoked} revoked)\n`,
  );
}

const medianOf = (pick: (r: RunResult) => number): number => {
  const sorted = results.map(pick).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const rows = (['unchanged', 'revoking'] as const).map((kind) => ({
  kind,
  connections: results[0]![kind].broker.connections,
  checked: results[0]![kind].broker.subscriptionsChecked,
  revoked: results[0]![kind].broker.subscriptionsRevoked,
  brokerMs: medianOf((r) => r[kind].broker.durationMs),
  roundTripMs: medianOf((r) => r[kind].roundTripMs),
}));
process.stdout.write(
  `Re-evaluation of ${opts.users} users x ${opts.subscriptions} literal-topic subscriptions (median of ${opts.runs})\n`,
);
process.stdout.write(
  formatTable(
    ['policy', 'connections', 'reads asked', 'revoked', 'broker ms', 'round trip ms'],
    rows.map((r) => [
      r.kind,
      String(r.connections),
      String(r.checked),
      String(r.revoked),
      r.brokerMs.toFixed(1),
      r.roundTripMs.toFixed(1),
    ]),
  ),
);
mkdirSync(dirname(opts.out), { recursive: true });
writeFileSync(
  opts.out,
  `${JSON.stringify({ users: opts.users, subscriptions: opts.subscriptions, runs: opts.runs, rows, results }, null, 2)}\n`,
);
process.stdout.write(`\nwrote ${opts.out}\n`);
