// The one endpoint of an HTTP publish listener: POST /api/publish with a JSON body. Anything else
// is refused before credentials are looked at or the body is read.
import type { IncomingMessage } from 'node:http';
import { ErrorCodes } from '../../protocol/native.js';
import { HttpRefusal } from './http-refusal.js';
import type { RequestHead } from './request-head.js';

export const PUBLISH_PATH = '/api/publish';

/** Throws the refusal for a request that is not a JSON POST to PUBLISH_PATH. */
export function checkPublishRequest(req: IncomingMessage, head: RequestHead): void {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  if (path !== PUBLISH_PATH)
    throw new HttpRefusal(
      ErrorCodes.UNKNOWN_COMMAND,
      `no endpoint at ${path.slice(0, 256)}; this listener serves POST ${PUBLISH_PATH}`,
      false,
      404,
    );
  if (req.method !== 'POST')
    throw new HttpRefusal(
      ErrorCodes.UNKNOWN_COMMAND,
      `${PUBLISH_PATH} takes POST, not ${String(req.method).slice(0, 32)}`,
      false,
      405,
      { Allow: 'POST' },
    );
  // Also what keeps browsers out: a cross-site form cannot send application/json without a CORS preflight, which is never answered.
  const type = head.contentType;
  if (!isJsonType(type))
    throw new HttpRefusal(
      ErrorCodes.BAD_FRAME,
      `expected Content-Type: application/json, not ${type === undefined ? 'none' : JSON.stringify(type.slice(0, 128))}`,
      false,
      415,
    );
}

/** application/json, with no charset or charset=utf-8 (RFC 8259 §8.1: JSON is UTF-8). */
function isJsonType(type: string | undefined): boolean {
  if (type === 'application/json') return true;
  if (type === undefined) return false;
  const [media, ...params] = type.split(';');
  if (media!.trim().toLowerCase() !== 'application/json') return false;
  return params.every((param) => {
    const [name, value] = param.split('=');
    if (name!.trim().toLowerCase() !== 'charset') return true;
    return value !== undefined && /^"?utf-8"?$/i.test(value.trim());
  });
}
