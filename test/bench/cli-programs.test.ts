// The compiled benchmark programs (dist/bench, `npm run build` first) as users run them: every
// `bench:*` script and `fuzz` answers --help with its options and exits 0, and a mistake on the
// command line is one line on stderr and exit status 2, before anything is started.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;

interface Program {
  script: string;
  /** What `node` is given after the build step: flags, then dist/bench/NAME.js. */
  args: string[];
}

const BUILD_FIRST = 'node scripts/build-if-stale.mjs && ';
const programs: Program[] = Object.entries(scripts)
  .filter(([name, command]) => (name.startsWith('bench:') || name === 'fuzz') && command.includes('dist/bench/'))
  .map(([script, command]) => ({
    script,
    args: command.slice(command.indexOf('&& node ') + '&& node '.length).split(' '),
  }));
const built = programs.every((p) => existsSync(join(ROOT, p.args.at(-1)!)));

function run(program: Program, argv: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [...program.args, ...argv], { cwd: ROOT, encoding: 'utf8', timeout: 15_000 });
}

const byName = (script: string): Program => programs.find((p) => p.script === script)!;

describe('the bench scripts in package.json', () => {
  it('run a compiled program each, after building only if a source changed', () => {
    expect(programs.length).toBeGreaterThanOrEqual(14);
    for (const [name, command] of Object.entries(scripts))
      if (name.startsWith('bench:') || name === 'fuzz') expect(command.startsWith(BUILD_FIRST), name).toBe(true);
  });
});

describe.skipIf(!built)('the compiled programs', () => {
  it.each(programs.map((p) => [p.script, p] as const))('%s --help lists its options and exits 0', (script, program) => {
    const { status, stdout, stderr } = run(program, ['--help']);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout.startsWith(`Usage: npm run ${script} -- [options]\n`)).toBe(true);
    expect(stdout).toMatch(/\nOptions:\n {2}--\S+/);
    expect(stdout).toMatch(/\(default [^)]+\)\n/);
    expect(stdout).toMatch(/\n {2}-h, --help +print this help and exit\n$/);
  });

  it.each([
    ['bench:fanout', ['--bogus'], 'unknown option --bogus'],
    ['bench:topics', ['--seconds', '5'], 'unknown option --seconds'],
    ['bench:fanout', ['--runs', '0'], '--runs must be an integer in 1..9'],
    [
      'bench:peers',
      ['--scenarios', 'fanout,nope'],
      '--scenarios: unknown "nope"; known: fanout, paced, topics, publishers, qos1, storm',
    ],
    ['bench:peers', ['--publishers', '30'], '--topics must be a multiple of --publishers'],
  ])('%s %j: one line on stderr, exit 2', (script, argv, message) => {
    const { status, stdout, stderr } = run(byName(script), argv);
    expect(stdout).toBe('');
    expect(stderr).toBe(`${script}: ${message} (--help lists the options)\n`);
    expect(status).toBe(2);
  });
});
