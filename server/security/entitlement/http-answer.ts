// Reading an entitlement service's HTTP response into an answer (errors say what the service did;
// the caller adds which service). Anything but a 2xx response with exactly the documented JSON
// throws an UnusableAnswerError: the broker counts a throwing module as a failure and denies.
// Unknown keys are rejected too, so a misspelt "filter" cannot silently drop a restriction.
// Anything else thrown while reading (the connection cut, the timeout) is the service failing.
import { z } from 'zod';
import type { EntitlementAnswer } from '../module-types.js';
import { FILTER_SYNTAXES } from '../../content/filter/index.js';
import { allowAnswer, denyAnswer } from './answers.js';

/** An answer is a few hundred bytes; a bigger body is a misbehaving service, not worth buffering. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** The service answered, but not with an answer (the service works; this request fails). */
export class UnusableAnswerError extends Error {
  override readonly name = 'UnusableAnswerError';
}

const serviceAnswerSchema = z.discriminatedUnion('allow', [
  z.strictObject({
    allow: z.literal(true),
    filter: z.string().optional(),
    filterSyntax: z.enum(FILTER_SYNTAXES).optional(),
    select: z.string().optional(),
  }),
  z.strictObject({ allow: z.literal(false), reason: z.string().optional() }),
]);

export async function answerFromResponse(response: Response): Promise<EntitlementAnswer> {
  if (!response.ok) {
    await response.body?.cancel();
    throw new UnusableAnswerError(`answered HTTP ${response.status}`);
  }
  const text = await readBody(response, MAX_ANSWER_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UnusableAnswerError('answered with a body that is not JSON');
  }
  const parsed = serviceAnswerSchema.safeParse(json);
  if (!parsed.success) {
    throw new UnusableAnswerError(
      `answered with unexpected JSON (${z.prettifyError(parsed.error).replaceAll('\n', '; ')})`,
    );
  }
  const answer = parsed.data;
  return answer.allow
    ? allowAnswer(answer.filter, answer.select, answer.filterSyntax)
    : denyAnswer(
        answer.reason === undefined ? 'denied by the entitlement service' : `entitlement service: ${answer.reason}`,
      );
}

/** The body as UTF-8 text, refusing more than `maxBytes` or invalid UTF-8. */
async function readBody(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new UnusableAnswerError(`answered with ${declared} bytes; the limit is ${maxBytes}`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body !== null) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw new UnusableAnswerError(`answered with more than the ${maxBytes}-byte limit`);
      }
      chunks.push(value);
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new UnusableAnswerError('answered with a body that is not valid UTF-8');
  }
}
