// The console's page and its bundle (dist/console, built by scripts/build-console.mjs), read into
// memory once and served with headers that keep the page to itself: a Content-Security-Policy that
// allows nothing but this origin, no framing, no sniffing, no referrer.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const CONSOLE_PATH = '/console';
const ASSETS_PATH = `${CONSOLE_PATH}/assets/`;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** On every console response: the page may load and call only its own origin. */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** A file name the build writes: no directories, nothing to decode. */
const ASSET_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export class ConsoleAssets {
  private readonly assets = new Map<string, Asset>();

  /** `dir`: the built console (index.html and assets/); a missing build leaves `built` false. */
  constructor(dir: string) {
    const index = join(dir, 'index.html');
    if (!existsSync(index)) return;
    const page = this.asset(index);
    this.assets.set(CONSOLE_PATH, page);
    this.assets.set(`${CONSOLE_PATH}/`, page);
    const assets = join(dir, 'assets');
    if (!existsSync(assets)) return;
    for (const name of readdirSync(assets))
      if (ASSET_NAME.test(name) && CONTENT_TYPES[extname(name)] !== undefined)
        this.assets.set(`${ASSETS_PATH}${name}`, this.asset(join(assets, name)));
  }

  /** False when dist/console is missing (the console was not built). */
  get built(): boolean {
    return this.assets.has(CONSOLE_PATH);
  }

  /** Answer a GET or HEAD of `path` if it is one of the console's files; false when it is not. */
  serve(path: string, req: IncomingMessage, res: ServerResponse): boolean {
    const asset = this.assets.get(path);
    if (asset === undefined) return false;
    const headers = {
      ...CONSOLE_SECURITY_HEADERS,
      'Content-Type': asset.type,
      // Revalidated every time: a new build must reach the page without a stale half.
      'Cache-Control': 'no-cache',
      ETag: asset.etag,
    };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers).end();
      return true;
    }
    res.writeHead(200, { ...headers, 'Content-Length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }

  private asset(file: string): Asset {
    const body = readFileSync(file);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    return { body, type: CONTENT_TYPES[extname(file)]!, etag };
  }
}
