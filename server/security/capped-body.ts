// Reading a remote service's answer without holding more than a module will read: a bigger body
// is a misbehaving service, not worth buffering.

/** The answer was bigger than the module reads: the service answered, uselessly. */
export class TooLargeError extends Error {
  override readonly name = 'TooLargeError';
}

/** The body as UTF-8 text; throws TooLargeError past `maxBytes` (what the stream throws passes through). */
export async function readCappedText(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks).toString('utf8');
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new TooLargeError(`answer larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
}
