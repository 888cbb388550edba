// Reading an admin request body: bounded in size (the API only ever takes a user name), strictly
// UTF-8, and JSON when present. An empty body means "no parameters".
import type { IncomingMessage } from 'node:http';
import { AdminHttpError, badRequest } from './admin-http-error.js';

function tooLarge(limit: number): AdminHttpError {
  // Connection: close, because the rest of an oversized body is not worth reading.
  return new AdminHttpError(413, 'PAYLOAD_TOO_LARGE', `request body larger than ${limit} bytes`, {
    Connection: 'close',
  });
}

/** The whole body, refusing (413) before buffering more than `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume(); // discard the rest so the 413 can still be written
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('aborted', () => reject(badRequest('the request body was not completely received')));
    req.once('error', () => reject(badRequest('the request body was not completely received')));
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The parsed JSON document, or undefined for an empty (or all-whitespace) body. */
export function parseJsonBody(body: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw badRequest('request body is not valid UTF-8');
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`request body is not valid JSON: ${(error as Error).message}`);
  }
}
