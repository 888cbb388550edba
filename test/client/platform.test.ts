// Platform independence: the WebSocket constructor override, a global (browser-style)
// WebSocket, ArrayBuffer frames, and no Node-only code in the SDK sources.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import type { Encoding } from '../../client/index.js';
import { Fixture, Inbox } from './helpers.js';

const fixture = new Fixture();
afterEach(async () => {
  vi.unstubAllGlobals();
  await fixture.teardown();
});

/** `ws` configured like a browser socket after the SDK's setup: binary frames as ArrayBuffer. */
class BrowserLikeWebSocket extends NodeWebSocket {
  static instances = 0;
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    BrowserLikeWebSocket.instances++;
    this.binaryType = 'arraybuffer';
  }
}

describe.each<Encoding>(['msgpack', 'json'])('platform over %s', (encoding) => {
  it('uses options.WebSocket and handles ArrayBuffer frames', async () => {
    const { url } = await fixture.broker();
    const before = BrowserLikeWebSocket.instances;
    const client = await fixture.client(url, { user: 'alice', encoding, WebSocket: BrowserLikeWebSocket });
    expect(BrowserLikeWebSocket.instances).toBe(before + 1);
    const inbox = new Inbox();
    await client.subscribe({ topic: 't' }, inbox.handler);
    await client.publish('t', new Uint8Array([5, 6, 7]), { ack: true });
    await client.publish('t', { k: 'v' }, { ack: true });
    const [bytes, data] = await inbox.waitForCount(2);
    expect(bytes!.bytes).toEqual(new Uint8Array([5, 6, 7]));
    expect(data!.data).toEqual({ k: 'v' });
  });

  it('prefers a global WebSocket when the platform has one', async () => {
    const { url } = await fixture.broker();
    const before = BrowserLikeWebSocket.instances;
    vi.stubGlobal('WebSocket', BrowserLikeWebSocket);
    const client = await fixture.client(url, { user: 'alice', encoding });
    expect(BrowserLikeWebSocket.instances).toBe(before + 1);
    await client.ping();
  });
});

describe('SDK sources', () => {
  it('use nothing Node-only (the SDK runs in browsers)', () => {
    const dir = join(import.meta.dirname, '../../client');
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
      const code = readFileSync(join(dir, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/from ['"]node:|require\(|\bBuffer\b|\bprocess\.|from ['"](events|ws)['"]/);
    }
  });
});
