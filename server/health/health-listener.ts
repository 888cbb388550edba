// The probes on a listener of their own (health.port), for an orchestrator that should reach
// /healthz and /readyz but not the admin API. Plain HTTP; every other path is 404.
import { listenOn, urlAuthority } from '../transports/listen-on.js';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { sendJson } from '../admin/json-response.js';
import { answerProbe, type HealthSource } from './health.js';

export class HealthListener {
  private readonly server: Server;

  constructor(
    private readonly host: string,
    private readonly port: number,
    source: HealthSource,
    private readonly log: Logger,
  ) {
    this.server = createServer((req, res) => {
      try {
        if (answerProbe(req, res, source)) return;
        sendJson(res, 404, { error: { code: 'NOT_FOUND', message: 'this listener serves /healthz and /readyz' } });
      } catch (err) {
        this.log.error({ err }, 'health: failed to answer a probe');
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL_ERROR', message: 'see the broker log' } });
      }
    });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 10_000;
  }

  /** Resolves with the bound URL. */
  async listen(): Promise<string> {
    const port = await listenOn(this.server, this.host, this.port, 'the health listener');
    const url = `http://${urlAuthority(this.host, port)}`;
    this.log.info({ url }, 'health listener started');
    return url;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
