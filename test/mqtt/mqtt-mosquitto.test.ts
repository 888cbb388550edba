// Debian's mosquitto-clients (mosquitto_pub / mosquitto_sub) against the MQTT TCP listener.
// scripts/test.sh installs them; without them this test fails, saying so. Needs `stdbuf`
// (coreutils) to line-buffer mosquitto_sub's debug output.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const installed = spawnSync('mosquitto_sub', ['--help']).error === undefined;

let tb: TestBroker | null = null;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill();
  await tb?.close();
  tb = null;
});

/** Runs a mosquitto client; `output` grows as it prints, `exited` resolves with its exit code once all its output is in. */
function run(
  command: string,
  args: string[],
): { output: () => string; exited: Promise<number | null>; printed(text: string): Promise<void> } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let text = '';
  const watchers: { text: string; resolve: () => void }[] = [];
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    for (let i = watchers.length - 1; i >= 0; i--)
      if (text.includes(watchers[i]!.text)) watchers.splice(i, 1)[0]!.resolve();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  // 'close', not 'exit': 'exit' can come before the last output has been read from the pipes,
  // and a busy machine made the test miss mosquitto_sub's message that way.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    output: () => text,
    exited,
    printed: (wanted) =>
      text.includes(wanted)
        ? Promise.resolve()
        : new Promise<void>((resolve) => watchers.push({ text: wanted, resolve })),
  };
}

describe('mosquitto-clients', () => {
  it('mosquitto_sub -V mqttv5 receives what mosquitto_pub publishes', async () => {
    expect(installed, 'mosquitto_sub is not installed: run scripts/test.sh, or apt-get install mosquitto-clients').toBe(
      true,
    );
    tb = await startTestBroker({ mqtt: { transports: ['tcp'] } });
    const port = new URL(tb.mqttUrl!).port;
    const common = ['-h', '127.0.0.1', '-p', port, '-u', 'alice', '-P', 'alice-pw', '-V', 'mqttv5'];
    // stdbuf: mosquitto_sub's stdout is a pipe here, block-buffered unless told otherwise.
    const sub = run('stdbuf', ['-oL', 'mosquitto_sub', ...common, '-t', 't/#', '-C', '1', '-v', '-d']);
    await sub.printed('received SUBACK'); // -d prints the SUBACK: the subscription is in place
    const pub = run('mosquitto_pub', [...common, '-t', 't/1', '-m', '{"x":1}', '-q', '1']);
    expect(await pub.exited).toBe(0);
    expect(await sub.exited).toBe(0); // -C 1: exits after one message
    expect(sub.output()).toContain('t/1 {"x":1}');
  });
});
