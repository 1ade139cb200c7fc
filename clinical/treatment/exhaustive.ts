import type { GaProblem } from "../../protocol/index.js";
import { fitness, violations } from "./fitness.js";

/** Best plan by enumerating every genome (reduced mode only: the full space is far too large). */
export function exhaustiveBest(problem: GaProblem): { genome: number[]; fitness: number; evaluated: number } {
  const d = problem.domains;
  const size = d.reduce((a, b) => a * b, 1);
  if (size > 5_000_000) throw new Error(`space of ${size} plans is too large to enumerate`);
  const g = new Array<number>(d.length).fill(0);
  let best = { genome: g.slice(), fitness: -Infinity };
  let evaluated = 0;
  for (let i = 0; i < size; i++) {
    let x = i;
    for (let j = d.length - 1; j >= 0; j--) {
      const dj = d[j];
      if (dj === undefined) throw new Error(`no domain for gene ${j}`); // j < d.length by the loop bounds
      g[j] = x % dj;
      x = Math.floor(x / dj);
    }
    if (violations(problem, g) > 0 && best.fitness > -Infinity) continue;
    const f = fitness(problem, g);
    evaluated++;
    if (f > best.fitness) best = { genome: g.slice(), fitness: f };
  }
  return { ...best, evaluated };
}
