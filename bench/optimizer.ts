/**
 * GA benchmark: fitness evaluations per second and time to the best plan, native (Rust) against
 * TypeScript, on the same problems and seeds; and the exhaustive search time in reduced mode.
 * Prints a table, then one JSON object on the last line.
 *   npx tsx bench/optimizer.ts [--problems 5] [--genomes 20000]
 */
import { performance } from "node:perf_hooks";
import { FitnessWeightsSchema, OptimizerConfigSchema, type GaProblem } from "../protocol/clinical/plan.js";
import { exhaustiveBest } from "../clinical/treatment/exhaustive.js";
import { violations } from "../clinical/treatment/fitness.js";
import { loadOptimizerImpl, nativeAvailable, tsImpl, type OptimizerImpl } from "../clinical/treatment/loader.js";
import { buildProblem } from "../clinical/treatment/model.js";
import { Xoshiro128 } from "../clinical/treatment/rng.js";
import { loadPlanSpace } from "../clinical/treatment/space.js";
import { randomPatient } from "../clinical/treatment/testing/patients.js";
import { printTable } from "./support.js";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const nProblems = arg("problems", 5);
const nGenomes = arg("genomes", 20_000);

const space = loadPlanSpace();
const weights = FitnessWeightsSchema.parse({});
const none = { excludedDrugs: [], excludedClasses: [] };
const problems = (mode: "full" | "reduced"): GaProblem[] =>
  Array.from(
    { length: nProblems },
    (_, i) => buildProblem(randomPatient(500 + i), space, { mode, weights, constraints: none }).problem,
  );
const full = problems("full");
const reduced = problems("reduced");
const defaults = OptimizerConfigSchema.parse({});
const gaCfg = (seed: number) => ({ ...defaults, seed, topK: 3, progressEvery: 1000 });

async function evalRate(impl: OptimizerImpl): Promise<number> {
  let evals = 0;
  let ms = 0;
  for (const [k, p] of full.entries()) {
    const r = new Xoshiro128(k);
    // Feasible genomes only: infeasible ones stop at the constraint check and say little about speed.
    const genomes: number[][] = [];
    while (genomes.length < nGenomes) {
      const g = p.domains.map((d) => r.nextInt(d));
      if (violations(p, g) === 0) genomes.push(g);
    }
    const t0 = performance.now();
    await impl.evaluate(p, genomes);
    ms += performance.now() - t0;
    evals += genomes.length;
  }
  return evals / (ms / 1000);
}

async function timeToBest(impl: OptimizerImpl): Promise<{ runMs: number; toBestMs: number; best: number[] }> {
  let runMs = 0,
    toBestMs = 0;
  const best: number[] = [];
  for (const [k, p] of full.entries()) {
    const cfg = gaCfg(k);
    const t0 = performance.now();
    const res = await impl.run(p, cfg);
    const ms = performance.now() - t0;
    const genOfBest = res.history.find((h) => h.best === res.best.fitness)?.generation ?? cfg.generations;
    runMs += ms;
    toBestMs += ms * ((genOfBest + 1) / (cfg.generations + 1));
    best.push(res.best.fitness);
  }
  return { runMs: runMs / full.length, toBestMs: toBestMs / full.length, best };
}

const native = nativeAvailable() ? loadOptimizerImpl({ impl: "native" }) : null;
const tsRate = await evalRate(tsImpl);
const nativeRate = native ? await evalRate(native) : null;
const tsRun = await timeToBest(tsImpl);
const nativeRun = native ? await timeToBest(native) : null;
const t0 = performance.now();
for (const p of reduced) exhaustiveBest(p);
const exhaustiveMs = (performance.now() - t0) / reduced.length;
const sameBest = nativeRun ? nativeRun.best.every((b, i) => Math.abs(b - (tsRun.best[i] ?? NaN)) <= 1e-9) : null;

const fmt = (x: number | null, d = 0) => (x === null ? "n/a" : x.toFixed(d));
const rows: [string, string, string, string][] = [
  ["metric", "typescript", "native", "native/ts"],
  ["fitness evals/s (full mode)", fmt(tsRate), fmt(nativeRate), nativeRate ? fmt(nativeRate / tsRate, 1) + "x" : "n/a"],
  [
    "GA run, default config (ms)",
    fmt(tsRun.runMs, 1),
    fmt(nativeRun?.runMs ?? null, 1),
    nativeRun ? fmt(tsRun.runMs / nativeRun.runMs, 1) + "x" : "n/a",
  ],
  [
    "time to best plan (ms)",
    fmt(tsRun.toBestMs, 1),
    fmt(nativeRun?.toBestMs ?? null, 1),
    nativeRun ? fmt(tsRun.toBestMs / nativeRun.toBestMs, 1) + "x" : "n/a",
  ],
  ["exhaustive reduced mode (ms/patient)", fmt(exhaustiveMs, 1), "-", "-"],
];
printTable(rows);
console.log(
  `problems ${nProblems}, genomes per problem ${nGenomes}, population ${defaults.populationSize}, generations ${defaults.generations}, same best plans: ${sameBest ?? "n/a"}`,
);
console.log(
  JSON.stringify({
    bench: "optimizer",
    problems: nProblems,
    genomes: nGenomes,
    tsEvalsPerSec: Math.round(tsRate),
    nativeEvalsPerSec: nativeRate && Math.round(nativeRate),
    evalRatio: nativeRate && nativeRate / tsRate,
    tsRunMs: tsRun.runMs,
    nativeRunMs: nativeRun?.runMs ?? null,
    tsTimeToBestMs: tsRun.toBestMs,
    nativeTimeToBestMs: nativeRun?.toBestMs ?? null,
    runRatio: nativeRun && tsRun.runMs / nativeRun.runMs,
    exhaustiveReducedMsPerPatient: exhaustiveMs,
    sameBest,
  }),
);
