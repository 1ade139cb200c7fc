/**
 * `list[i]` where the element must exist (a gene of a genome, a plan-space table entry a gene
 * indexes, a regimen level): an error naming `what` instead of an undefined read further on.
 * Not for the GA's hot path (fitness.ts, ga.ts, model.ts's tables), which indexes directly.
 */
export function at<T>(list: readonly T[], i: number, what: string): T {
  const v = list[i];
  if (v === undefined) throw new Error(`${what}: no element ${i} (of ${list.length})`);
  return v;
}
