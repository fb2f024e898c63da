// The member picker's pure part: the selection as a sorted set of user ids.

/** The selection with `id` added or removed. */
export function toggleMember(selected: readonly number[], id: number): number[] {
  return selected.includes(id) ? selected.filter((m) => m !== id) : [...selected, id].sort((a, b) => a - b);
}

/** Whether two selections hold the same people, whatever their order. */
export function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}
