// One HTTP exchange with the admin listener, with every way it can fail turned into a message
// naming the URL. node:http rather than fetch: no keep-alive pool to hold the process open, and
// socket errors arrive with their codes.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError } from './cli-error.js';

export interface AdminHttpAnswer {
  readonly status: number;
  readonly statusText: string;
  /** The parsed JSON body, or undefined when it was empty or not JSON. */
  readonly json: unknown;
}

const TIMEOUT_MS = 30_000;
/** Admin answers are small; more than this is not the admin listener talking. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export function requestAdmin(
  url: URL,
  method: 'GET' | 'POST' | 'DELETE',
  authorization: string,
  body?: unknown,
): Promise<AdminHttpAnswer> {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const headers: Record<string, string | number> = {
    Authorization: authorization,
    Accept: 'application/json',
    'Content-Length': Buffer.byteLength(payload),
  };
  if (payload !== '') headers['Content-Type'] = 'application/json';
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers, agent: false, timeout: TIMEOUT_MS }, (res) => {
      readAnswer(res).then(resolve, (err: Error) =>
        reject(new CliError(`reading the answer from ${url.href} failed: ${err.message}`)),
      );
    });
    req.on('timeout', () => req.destroy(new CliError(`no answer from ${url.href} within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', (err) => reject(err instanceof CliError ? err : new CliError(connectionFailure(url, err))));
    req.end(payload);
  });
}

function readAnswer(res: IncomingMessage): Promise<AdminHttpAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) res.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
      else chunks.push(chunk);
    });
    res.on('error', reject);
    res.on('end', () => {
      resolve({
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        json: parseJson(Buffer.concat(chunks).toString('utf8')),
      });
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function connectionFailure(url: URL, err: Error): string {
  const code = 'code' in err ? String(err.code) : '';
  const where = `the admin listener at ${url.origin}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${where}: connection refused (is the broker running, with admin.enabled, on that address?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot connect to ${where}: unknown host ${url.hostname}`;
    case 'ECONNRESET':
      return `${where} closed the connection without answering`;
    default:
      return `cannot connect to ${where}: ${err.message}`;
  }
}
