// The one error compileFilter throws. A filter is rejected when it is given (subscribe, entitlement
// answer), never on the message path, so the message can name exactly what was wrong.

export class FilterError extends Error {
  override readonly name = 'FilterError';
  /** What was rejected, e.g. `function $sum`, `syntax`, `expression length`. */
  readonly construct: string;
  /** JSONata's character position of the construct, when it has one. */
  readonly position: number | undefined;

  constructor(message: string, construct: string, position?: number) {
    super(message);
    this.construct = construct;
    this.position = position;
  }
}

/** `unsupported construct in filter: <construct> (position N)`; `hint` says what to write instead. */
export function unsupportedConstruct(construct: string, position: number | undefined, hint?: string): FilterError {
  const where = position === undefined ? '' : ` (position ${position})`;
  const advice = hint === undefined ? '' : `; ${hint}`;
  return new FilterError(`unsupported construct in filter: ${construct}${where}${advice}`, construct, position);
}
