// The broker under attack, as its own process: starts the broker in-process with startBroker()
// from the config file named on the command line and answers the harness over the IPC channel
// with its memory, its longest event-loop block and its counters. It installs no error handler of
// its own: an error no entry point contained must end the process, as it would the real CLI.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startBroker, type WardenConfigInput } from '../../server/index.js';
import type { ChildReply, ChildRequest } from './child-messages.js';

const configPath = process.argv[2];
if (configPath === undefined || process.send === undefined)
  throw new Error('usage: node broker-child.js CONFIG.json (with an IPC channel)');
const send = process.send.bind(process);

// A 10 ms timer: a block of N ms shows as a delay of about N ms (the histogram is in ns).
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

// The config broker-under-attack.ts wrote; startBroker validates it like any other.
const broker = await startBroker(JSON.parse(readFileSync(configPath, 'utf8')) as WardenConfigInput, {
  baseDir: dirname(configPath),
});

process.on('message', (request: ChildRequest) => {
  if (request.type === 'reset-delay') delay.reset();
  const reply: ChildReply = {
    type: 'probe',
    seq: request.seq,
    rssBytes: process.memoryUsage.rss(),
    maxBlockMs: delay.count === 0 ? 0 : delay.max / 1e6,
    stats: broker.stats(),
  };
  send(reply);
});

const ready: ChildReply = { type: 'ready', listeners: broker.listeners.map((l) => ({ name: l.name, url: l.url })) };
send(ready);
