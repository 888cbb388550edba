// Writing HTTP publish answers: 204 for an accepted publish, one small JSON document for a refusal
// (`{"error":{"code","message"}}`, the native error frame's fields).
import type { ServerResponse } from 'node:http';
import type { HttpRefusal } from './http-refusal.js';

export interface HttpErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export function answerPublished(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

/** `close`: the connection ends after this answer (Connection: close). */
export function answerRefusal(res: ServerResponse, refusal: HttpRefusal, close: boolean): void {
  // An answer already under way (a failure after its headers): the client sees the connection end instead.
  if (res.headersSent) return void res.socket?.destroy();
  const body: HttpErrorBody = { error: { code: refusal.code, message: refusal.message } };
  const text = JSON.stringify(body);
  res.writeHead(refusal.status, {
    ...refusal.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...(close ? { Connection: 'close' } : {}),
  });
  res.end(text);
}
