/** Helpers shared by the editor's unit tests (not used by the app). */

/** Number of positions where two byte arrays differ (lengths must match). A plain loop, because
 * a deep toEqual over tens of thousands of elements takes a second each in the matcher. */
export function countDifferences(a: Uint8Array, b: Uint8Array | undefined): number {
  if (b === undefined) throw new Error("nothing to compare with");
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** Seeded PRNG (mulberry32), so randomised tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
