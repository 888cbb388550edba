// Helpers for lists whose order does not matter.

/** Remove one occurrence of item by swapping the last element into its place. */
export function removeUnordered<T>(list: T[], item: T): boolean {
  const index = list.indexOf(item);
  if (index === -1) return false;
  list[index] = list[list.length - 1]!;
  list.pop();
  return true;
}
