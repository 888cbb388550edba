// Checking the values of a benchmark's options (parseArgs gives strings): a list of known names,
// and an integer in a range, each refused with a message that names the flag.

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
  if (!(Number.isInteger(n) && n >= min && n <= max)) throw new Error(`${flag} must be an integer in ${min}..${max}`);
  return n;
}
