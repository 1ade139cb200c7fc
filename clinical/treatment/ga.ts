import type { ConvergencePoint, GaConfig, GaProblem, GaRunResult } from "../../protocol/index.js";
import { INFEASIBLE, fitness } from "./fitness.js";
import { Xoshiro128 } from "./rng.js";

/**
 * The genetic algorithm, in TypeScript. native/src/ga.rs is the same algorithm step for step
 * (same RNG draws in the same order, same tie-breaking), so a seed gives the same result in both.
 *
 * Per generation: rank by fitness (ties: lower index first); copy the elite; fill the rest with
 * children of two tournament winners (uniform crossover with probability crossoverRate, then
 * per-gene mutation to a uniform random value with probability mutationRate).
 */

export interface GaProgress {
  generation: number;
  best: number;
  meanFeasible: number | null;
  feasibleFraction: number;
}

export interface RunGaOptions {
  onProgress?: (p: GaProgress) => void;
  signal?: AbortSignal;
}

/** Runs the GA on a numeric problem. */
export function runGa(problem: GaProblem, cfg: GaConfig, opts: RunGaOptions = {}): GaRunResult {
  // `!`: indices are in range by the loop bounds (genes < n, individuals and tournament draws < P).
  const rng = new Xoshiro128(cfg.seed);
  const n = problem.domains.length;
  const P = cfg.populationSize;
  const cache = new Map<string, number>();
  let evaluations = 0;
  const evalG = (g: number[]): number => {
    const key = g.join(",");
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const f = fitness(problem, g);
    evaluations++;
    cache.set(key, f);
    return f;
  };

  let pop: number[][] = [];
  for (let i = 0; i < P; i++) {
    const g = new Array<number>(n);
    for (let j = 0; j < n; j++) g[j] = rng.nextInt(problem.domains[j]!);
    pop.push(g);
  }
  let fit = pop.map(evalG);
  let bestG = pop[0]!.slice();
  let bestF = fit[0]!;
  const history: ConvergencePoint[] = [];
  const record = (gen: number): void => {
    for (let i = 0; i < P; i++) {
      if (fit[i]! > bestF) {
        bestF = fit[i]!;
        bestG = pop[i]!.slice();
      }
    }
    let sum = 0;
    let nf = 0;
    for (let i = 0; i < P; i++)
      if (fit[i]! > INFEASIBLE / 2) {
        sum += fit[i]!;
        nf++;
      }
    const point = { generation: gen, best: bestF, meanFeasible: nf > 0 ? sum / nf : null, feasibleFraction: nf / P };
    history.push(point);
    if (opts.onProgress && (gen % cfg.progressEvery === 0 || gen === cfg.generations)) opts.onProgress(point);
  };
  record(0);

  const tournament = (): number => {
    let best = rng.nextInt(P);
    for (let k = 1; k < cfg.tournamentSize; k++) {
      const c = rng.nextInt(P);
      if (fit[c]! > fit[best]!) best = c;
    }
    return best;
  };
  const mutate = (g: number[]): void => {
    for (let j = 0; j < n; j++) {
      if (rng.nextFloat() < cfg.mutationRate) g[j] = rng.nextInt(problem.domains[j]!);
    }
  };

  for (let gen = 1; gen <= cfg.generations; gen++) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const order = rankOrder(fit);
    const nextPop: number[][] = [];
    for (let e = 0; e < cfg.elitismCount && e < P; e++) nextPop.push(pop[order[e]!]!.slice());
    while (nextPop.length < P) {
      const a = pop[tournament()]!;
      const b = pop[tournament()]!;
      let c1: number[];
      let c2: number[];
      if (rng.nextFloat() < cfg.crossoverRate) {
        c1 = new Array<number>(n);
        c2 = new Array<number>(n);
        for (let j = 0; j < n; j++) {
          if (rng.nextFloat() < 0.5) {
            c1[j] = a[j]!;
            c2[j] = b[j]!;
          } else {
            c1[j] = b[j]!;
            c2[j] = a[j]!;
          }
        }
      } else {
        c1 = a.slice();
        c2 = b.slice();
      }
      mutate(c1);
      mutate(c2);
      nextPop.push(c1);
      if (nextPop.length < P) nextPop.push(c2);
    }
    pop = nextPop;
    fit = pop.map(evalG);
    record(gen);
  }

  return {
    best: { genome: bestG, fitness: bestF },
    top: topDistinct(pop, fit, cfg.topK, bestG, bestF),
    history,
    evaluations,
  };
}

/** Indices sorted by fitness, best first; ties keep the lower index first. */
export function rankOrder(fit: readonly number[]): number[] {
  // `!`: x and y are indices of fit.
  const idx = fit.map((_, i) => i);
  idx.sort((x, y) => fit[y]! - fit[x]! || x - y);
  return idx;
}

/** Best-ever first, then the best distinct genomes of the final population. */
function topDistinct(
  pop: number[][],
  fit: number[],
  k: number,
  bestG: number[],
  bestF: number,
): { genome: number[]; fitness: number }[] {
  const out = [{ genome: bestG, fitness: bestF }];
  const seen = new Set([bestG.join(",")]);
  for (const i of rankOrder(fit)) {
    if (out.length >= k) break;
    const g = pop[i];
    const f = fit[i];
    if (g === undefined || f === undefined) throw new Error(`individual ${i} has no genome or fitness`);
    const key = g.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ genome: g.slice(), fitness: f });
  }
  return out;
}
