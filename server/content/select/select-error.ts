// The one error a select list raises: a malformed or over-limit list. Messages name the step
// (1-based) and quote it, because lists come from operators and subscribers who must fix them.
export class SelectError extends Error {
  override readonly name = 'SelectError';
}
