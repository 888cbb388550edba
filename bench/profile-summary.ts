// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per source file, as
// percentages of the samples, heaviest first. Used for bench/RESULTS.md's "where the time goes".
//
//   node dist/bench/profile-summary.js PROFILE.cpuprofile [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

const { values: opts, positionals } = parseArgs({
  options: { top: { type: 'string', default: '25' } },
  allowPositionals: true,
});
if (positionals.length !== 1) throw new Error('usage: profile-summary PROFILE.cpuprofile [--top N]');
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as CpuProfile;
const top = Number(opts.top);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const hits = new Map<number, number>();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;

/** Shortens a file URL to the part after node_modules/ or the project's dist/. */
function shortFile(url: string): string {
  if (url === '') return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + '/dist/'.length);
  return url.replace(/^file:\/\//, '');
}

const perFunction = new Map<string, number>();
const perFile = new Map<string, number>();
for (const [id, count] of hits) {
  const node = byId.get(id)!;
  const file = shortFile(node.callFrame.url);
  const fn = `${node.callFrame.functionName || '(anonymous)'}  ${file}${node.callFrame.url === '' ? '' : `:${node.callFrame.lineNumber + 1}`}`;
  perFunction.set(fn, (perFunction.get(fn) ?? 0) + count);
  perFile.set(file, (perFile.get(file) ?? 0) + count);
}

function print(title: string, entries: Map<string, number>): void {
  process.stdout.write(`\n${title} (${total} samples)\n`);
  const sorted = [...entries].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [name, count] of sorted)
    process.stdout.write(`${((100 * count) / total).toFixed(1).padStart(5)}%  ${name}\n`);
}

print('Self time by function', perFunction);
print('Self time by file', perFile);
