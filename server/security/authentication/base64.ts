// Strict standard base64 decoding: Buffer.from(text, 'base64') silently skips characters that are
// not base64, and a credential that only looks right must be refused, not half-read.

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** The bytes of standard base64 `text` (padding optional), or undefined if it is not exactly that. */
export function decodeStrictBase64(text: string): Buffer | undefined {
  if (text === '' || !STANDARD_BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}
