// The one error the topic engine throws for bad client input. Codes match the protocol's error
// codes so the session layer can forward them without translation.

export type TopicErrorCode = 'INVALID_TOPIC' | 'TOPIC_TOO_LONG' | 'INVALID_REGEX' | 'RESOURCE_LIMIT';

export class TopicError extends Error {
  override readonly name = 'TopicError';
  readonly code: TopicErrorCode;

  constructor(code: TopicErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Longest slice of client input echoed in an error message; keeps error frames small. */
const MAX_QUOTED_CHARS = 80;

/** Quote client input for an error message: JSON-escaped (NUL and friends stay visible), truncated. */
export function quoteInput(text: string): string {
  return text.length <= MAX_QUOTED_CHARS
    ? JSON.stringify(text)
    : `${JSON.stringify(text.slice(0, MAX_QUOTED_CHARS))}...`;
}
