// Checking the values of a benchmark's options (parseArgs gives strings): a list of known names,
// one of a few names, an integer or a number in a range, each refused with a message that names
// the flag. The curried forms are `parse` functions for bench/cli-options.ts.

/** The known names `value` lists (comma-separated, any case), in `known`'s order. */
export function list<T extends string>(value: string, known: readonly T[], flag: string): T[] {
  const items = value.split(',').map((s) => s.trim().toLowerCase());
  for (const item of items)
    if (!(known as readonly string[]).includes(item))
      throw new Error(`${flag}: unknown ${JSON.stringify(item)}; known: ${known.join(', ')}`);
  return known.filter((k) => items.includes(k));
}

export function integer(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!(value.trim() !== '' && Number.isInteger(n) && n >= min && n <= max))
    throw new Error(`${flag} must be an integer in ${min}..${max}`);
  return n;
}

/** A number in (0, max]: a duration or a rate, where 0 means nothing would be measured. */
export function positive(value: string, flag: string, max: number): number {
  const n = Number(value);
  if (!(value.trim() !== '' && n > 0 && n <= max)) throw new Error(`${flag} must be a number in (0, ${max}]`);
  return n;
}

/** A number in [min, max]. */
export function numberIn(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!(value.trim() !== '' && n >= min && n <= max)) throw new Error(`${flag} must be a number in [${min}, ${max}]`);
  return n;
}

export const listOf =
  <T extends string>(known: readonly T[]) =>
  (value: string, flag: string): T[] =>
    list(value, known, flag);

export const integerIn =
  (min: number, max: number) =>
  (value: string, flag: string): number =>
    integer(value, flag, min, max);

export const positiveUpTo =
  (max: number) =>
  (value: string, flag: string): number =>
    positive(value, flag, max);

export const numberBetween =
  (min: number, max: number) =>
  (value: string, flag: string): number =>
    numberIn(value, flag, min, max);

/** Exactly one of `known` (as given, case-sensitive: these are names in code and config). */
export const oneOf =
  <T extends string>(known: readonly T[]) =>
  (value: string, flag: string): T => {
    const found = known.find((k) => k === value);
    if (found === undefined) {
      const names = known.length > 1 ? `${known.slice(0, -1).join(', ')} or ${known.at(-1)}` : known.join('');
      throw new Error(`${flag} must be ${names}, got ${JSON.stringify(value)}`);
    }
    return found;
  };
