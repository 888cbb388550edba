// Writing a JSON response: every admin answer, success or error, is one JSON document.
import type { ServerResponse } from 'node:http';
import type { AdminErrorBody } from './admin-api.js';
import type { AdminHttpError } from './admin-http-error.js';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: AdminHttpError): void {
  const body: AdminErrorBody = { error: { code: error.code, message: error.message } };
  sendJson(res, error.status, body, error.headers);
}
