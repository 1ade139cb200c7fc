/** What the benchmarks share: a left-aligned table, percentiles, and a closed-loop load driver. */

/** Prints rows (the first is the header) as columns padded to their widest cell, two spaces apart. */
export function printTable(rows: readonly (readonly string[])[]): void {
  const [header = []] = rows;
  const w = header.map((_, c) => Math.max(...rows.map((r) => r[c]?.length ?? 0)));
  for (const r of rows) console.log(r.map((x, c) => x.padEnd(w[c] ?? 0)).join("  "));
}

/** The `p`-quantile (0..1, nearest rank rounded down) of `xs`; NaN when empty. `xs` is not modified. */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
}

/**
 * Runs `op(i)` for i = 0…n−1 with `concurrency` calls in flight (each worker starts the next call as
 * soon as its last one ends) and returns every call's latency in ms, in completion order.
 */
export async function drive(concurrency: number, n: number, op: (i: number) => Promise<void>): Promise<number[]> {
  const lat: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const s = performance.now();
        await op(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  return lat;
}
