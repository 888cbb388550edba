// The `warden` CLI as a real process (the compiled dist/server/cli.js: `npm test` builds first).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CloseCodes } from '../../protocol/native.js';
import { RawClient } from '../helpers/raw-client.js';
import { TEST_TRANSPORT } from '../helpers/broker.js';

const CLI = join(import.meta.dirname, '../../dist/server/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'warden-cli-'));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    // The embedded default keeps its store in ./data: here, not in the checkout.
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', not 'exit': only then has all of the child's output been read.
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Wait for the JSON log line announcing the listener and return its URL. */
function listeningUrl(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'listening' && entry.url) resolve(entry.url);
    });
    child.on('exit', (code) => reject(new Error(`warden exited with ${code} before listening`)));
  });
}

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const EPHEMERAL = `admin:\n  enabled: false\nlisteners:\n  - name: native\n    protocol: native\n    transport: ${TEST_TRANSPORT}\n    host: 127.0.0.1\n    port: 0\n`;

describe('warden CLI', () => {
  it('prints its version and help', async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(await exited(run(['--version']))).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const help = await exited(run(['--help']));
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--config PATH/);
    const bad = await exited(run(['--bogus']));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bogus/);
  });

  it('refuses to start on an invalid config, naming the key', async () => {
    const path = writeConfig('bad.yaml', 'listeners:\n  - name: native\n    protocol: native\n    port: "eighty"\n');
    const result = await exited(run(['--config', path]));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/listeners\[0\]\.port/);
    expect(result.stderr).toMatch(/eighty/);
    // One heading, not two.
    expect(result.stderr.match(/invalid/gi)).toHaveLength(1);
    expect(result.stderr.startsWith(`warden: invalid Warden configuration in ${path}:\n`)).toBe(true);
  });

  it('logs JSON lines to a pipe by default, and lines for people with log.format: pretty', async () => {
    const pretty = run(['--config', writeConfig('pretty.yaml', `log:\n  format: pretty\n${EPHEMERAL}`)]);
    const lines = createInterface({ input: pretty.stdout! });
    const first = await new Promise<string>((resolve) => lines.once('line', resolve));
    expect(first).toMatch(/^\[\d{4}-\d\d-\d\d [\d:.]+ [+-]\d{4}\] INFO \(warden\/\d+\): /);
    expect(() => JSON.parse(first)).toThrow();
    pretty.kill('SIGTERM');
    const json = run(['--config', writeConfig('json.yaml', EPHEMERAL)]);
    expect((await listeningUrl(json)).startsWith('ws://127.0.0.1:')).toBe(true);
    json.kill('SIGTERM');
  });

  it('names the variable a bad substituted value came from, not the value', async () => {
    const path = writeConfig('bad-env.yaml', 'broker:\n  name: ${env:WARDEN_TEST_NAME}\n');
    const result = await exited(run(['--config', path], { WARDEN_TEST_NAME: 'not a name hunter2' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('broker.name: expected');
    expect(result.stderr).toContain('got "${env:WARDEN_TEST_NAME}" (the substituted value is not shown)');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('serves on the configured listener and exits 0 on SIGTERM after sending close frames', async () => {
    const child = run(['--config', writeConfig('ok.yaml', EPHEMERAL)]);
    const done = exited(child);
    const url = await listeningUrl(child);
    const client = await RawClient.logon(url, 'json');
    expect(await client.request({ op: 'ping', rid: 1 })).toMatchObject({ op: 'ack' });
    child.kill('SIGTERM');
    expect((await client.closed).code).toBe(CloseCodes.GOING_AWAY);
    expect((await done).code).toBe(0);
  });

  it('takes the config from WARDEN_CONFIG and exits 0 on SIGINT', async () => {
    const child = run([], { WARDEN_CONFIG: writeConfig('env.yaml', `broker:\n  name: from-env\n${EPHEMERAL}`) });
    const done = exited(child);
    const url = await listeningUrl(child);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/"name":"from-env"/);
  });
});
