// A real broker for the console's tests: users with scrypt hashes, a policy in which `ops` is an
// admin and the traders are not, and the admin listener with its console on ephemeral ports; plus
// a small HTTP client that signs in and reads the event stream as a browser would.
import { expect } from 'vitest';
import { hashPassword } from '../../server/security/authentication/password-hash.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import type { WardenConfigInput } from '../../server/index.js';
import type { ConsoleSample } from '../../server/console/console-sampler.js';
import type { ConsoleHistory } from '../../server/console/console-event-streams.js';

export const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 } as const;
export const PASSWORDS = { ops: 'ops-secret-pw', alice: 'alice-pw', bob: 'bob-pw', pub: 'pub-pw' } as const;
export type UserName = keyof typeof PASSWORDS;

export const POLICY = {
  groups: {
    admins: { users: ['ops'], grants: [{ actions: ['admin'] }] },
    traders: {
      users: ['alice', 'bob', 'pub'],
      grants: [{ actions: ['read', 'write'], topics: ['prices/#', 'orders/#'] }],
    },
  },
  deny: [{ users: ['pub'], actions: ['write'], topics: ['orders/secret/#'] }],
};

export async function consoleBroker(
  console: NonNullable<WardenConfigInput['admin']>['console'] = {},
  extra: { mqtt?: boolean } = {},
): Promise<TestBroker> {
  const users = await Promise.all(
    Object.entries(PASSWORDS).map(async ([name, password]) => ({
      name,
      hash: await hashPassword(password, CHEAP_SCRYPT),
    })),
  );
  return startTestBroker({
    admin: { console, credentialCache: { ttlMs: 0 } },
    security: {
      authentication: { module: 'users', options: { users } },
      entitlement: { module: 'policy', options: { policy: POLICY } },
    },
    ...(extra.mqtt === true ? { mqtt: { transports: ['tcp'] } } : {}),
  });
}

/** A signed-in console session, as the page holds it: the cookie (the browser's) and the CSRF token. */
export interface SignedIn {
  readonly cookie: string;
  readonly csrfToken: string;
  readonly setCookie: string;
}

export async function signIn(adminUrl: string, user: UserName = 'ops'): Promise<SignedIn> {
  const response = await fetch(`${adminUrl}/console/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: adminUrl },
    body: JSON.stringify({ user, password: PASSWORDS[user] }),
  });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get('set-cookie')!;
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return { cookie: setCookie.split(';')[0]!, csrfToken, setCookie };
}

/** One Server-Sent Event. */
export interface StreamEvent {
  readonly event: string;
  readonly data: unknown;
}

/** Reads the events of a text/event-stream response one at a time. */
export class EventReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  /** True once the server ended the stream. */
  ended = false;

  constructor(response: Response) {
    this.reader = response.body!.getReader();
  }

  /** The next event; null when the stream ended first. */
  async next(): Promise<StreamEvent | null> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const parsed = parseEvent(block);
        if (parsed !== null) return parsed;
        continue;
      }
      const { done, value } = await this.reader.read();
      if (done) {
        this.ended = true;
        return null;
      }
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** The next event named `name`, skipping others. */
  async nextOf(name: string): Promise<StreamEvent> {
    for (;;) {
      const event = await this.next();
      if (event === null) throw new Error(`the stream ended before an event "${name}"`);
      if (event.event === name) return event;
    }
  }

  /** Samples until `predicate` holds for one. */
  async sampleWhere(predicate: (sample: ConsoleSample) => boolean): Promise<ConsoleSample> {
    for (;;) {
      const sample = (await this.nextOf('sample')).data as ConsoleSample;
      if (predicate(sample)) return sample;
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }
}

function parseEvent(block: string): StreamEvent | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return data.length === 0 ? null : { event, data: JSON.parse(data.join('\n')) as unknown };
}

export type { ConsoleHistory, ConsoleSample };
