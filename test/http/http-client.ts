// A small HTTP client for HTTP publish tests: node:http requests (so bodies, headers and the
// connection can be exactly what a test needs), answers read whole, JSON parsed when there is one.
import { type Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when there is none. */
  readonly json: unknown;
}

export interface PostOptions {
  /** Default: application/json. null sends none. */
  readonly contentType?: string | null;
  readonly authorization?: string;
  readonly method?: string;
  /** Send the body chunked (no Content-Length). */
  readonly chunked?: boolean;
  readonly headers?: Record<string, string>;
  /** Default: a fresh connection per request (no keep-alive). */
  readonly agent?: Agent | false;
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export function send(
  url: string,
  body: string | Buffer | object | undefined,
  options: PostOptions = {},
): Promise<Answer> {
  const text = body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const headers: Record<string, string> = { ...options.headers };
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  if (text !== undefined && options.chunked !== true) headers['content-length'] = String(Buffer.byteLength(text));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'POST', headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          json: raw === '' ? undefined : (JSON.parse(raw) as unknown),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** The `{ error: { code, message } }` of a refusal. */
export function errorOf(answer: Answer): { code: string; message: string } {
  return (answer.json as { error: { code: string; message: string } }).error;
}
