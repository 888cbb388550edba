// TLS test fixtures: development certificates made at test time (the generator behind
// `npm run certs:dev`), brokers with TLS listeners on ephemeral ports, a log sink to wait on, and
// raw TLS probes (the certificate a listener serves, whether a handshake succeeds).
import { readFileSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { generateDevCertificates, type DevCertificates } from '../../scripts/lib/dev-certificates.js';
import {
  MemoryStore,
  startBroker,
  type BrokerHandle,
  type StartBrokerOptions,
  type WardenConfigInput,
} from '../../server/index.js';
import { Collector } from '../helpers/collector.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** Generates a certificate set once for the test file (in a temp dir removed afterwards). */
export function useDevCertificates(): () => DevCertificates {
  let certs: DevCertificates | undefined;
  beforeAll(async () => {
    certs = await generateDevCertificates(makeTempDir('warden-tls-').path);
  });
  afterAll(() => {
    if (certs !== undefined) rmSync(certs.dir, { recursive: true, force: true });
  });
  return () => {
    if (certs === undefined) throw new Error('certificates are generated in beforeAll');
    return certs;
  };
}

export function pem(file: string): Buffer {
  return readFileSync(file);
}

/** A `tls.profiles` entry as the config takes it. */
export type TlsProfileInput = NonNullable<NonNullable<WardenConfigInput['tls']>['profiles']>[string];

/** The profile most tests use: the dev server certificate, trusting the dev CA for client certificates. */
export function serverProfile(certs: DevCertificates, extra: Partial<TlsProfileInput> = {}): TlsProfileInput {
  return { certificate: certs.server, privateKey: certs.serverKey, ca: certs.ca, ...extra };
}

/** JSON log lines of a broker, to wait for (never sleep) and to check for what must not be logged. */
export class LogSink {
  readonly entries = new Collector<Record<string, unknown>>();
  readonly text: string[] = [];
  readonly logger: Logger;

  constructor(level: 'debug' | 'info' = 'info') {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        const line = chunk.toString('utf8');
        this.text.push(line);
        this.entries.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    this.logger = pino({ level }, sink);
  }

  /** Resolves with the first entry (already logged or future) whose msg is `msg` and that matches `pred`. */
  async waitFor(
    msg: string,
    pred: (entry: Record<string, unknown>) => boolean = () => true,
  ): Promise<Record<string, unknown>> {
    const match = (entry: Record<string, unknown>): boolean => entry.msg === msg && pred(entry);
    await this.entries.until((items) => items.some(match));
    return this.entries.items.find(match)!;
  }

  messages(): string[] {
    return this.entries.items.map((entry) => String(entry.msg));
  }
}

/** Brokers started by a test, closed after it. */
export function useBrokers(): (config: WardenConfigInput, options?: StartBrokerOptions) => Promise<BrokerHandle> {
  const started: BrokerHandle[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((broker) => broker.close()));
  });
  return async (config, options = {}) => {
    const broker = await startBroker(config, {
      logger: pino({ level: 'silent' }),
      store: new MemoryStore(),
      ...options,
    });
    started.push(broker);
    return broker;
  };
}

export function urlOf(broker: BrokerHandle, name: string): string {
  const listener = broker.listeners.find((l) => l.name === name);
  if (listener === undefined) throw new Error(`no listener ${name}`);
  return listener.url;
}

export function portOf(broker: BrokerHandle, name: string): number {
  return Number(new URL(urlOf(broker, name)).port);
}

export type Handshake =
  | { readonly ok: true; readonly protocol: string | null; readonly fingerprint256: string }
  | { readonly ok: false; readonly error: Error };

/**
 * A raw TLS handshake with 127.0.0.1:`port`: the protocol and the served certificate's
 * fingerprint, or the error. The socket is closed either way.
 */
export function handshake(port: number, options: ConnectionOptions = {}): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ...options });
    socket.once('secureConnect', () => {
      resolve({ ok: true, protocol: socket.getProtocol(), fingerprint256: socket.getPeerCertificate().fingerprint256 });
      socket.destroy();
    });
    socket.once('error', (error) => resolve({ ok: false, error }));
  });
}

/** The SHA-256 fingerprint of the certificate a TLS listener serves now (verified against `ca`). */
export async function servedFingerprint(port: number, ca: Buffer): Promise<string> {
  const result = await handshake(port, { ca });
  if (!result.ok) throw result.error;
  return result.fingerprint256;
}
