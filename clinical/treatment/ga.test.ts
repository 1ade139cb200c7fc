import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FitnessWeightsSchema, OptimizerConfigSchema } from "../../protocol/clinical/plan.js";
import { decodePlan } from "./decode.js";
import { exhaustiveBest } from "./exhaustive.js";
import { runGa } from "./ga.js";
import { tsImpl } from "./loader.js";
import { buildProblem } from "./model.js";
import { optimizeTreatment } from "./optimize.js";
import { drugBlocks } from "./rules.js";
import { loadPlanSpace, spaceSize } from "./space.js";
import { basePatient, randomPatient } from "./testing/patients.js";

const space = loadPlanSpace();
const weights = FitnessWeightsSchema.parse({});
const none = { excludedDrugs: [], excludedClasses: [] };
const defaults = OptimizerConfigSchema.parse({});
const gaCfg = { ...defaults, topK: 1, progressEvery: 10 };

describe("genetic algorithm", () => {
  it("finds the exhaustive optimum for at least 99% of 1,000 reduced-mode patients with the default config", async () => {
    const misses: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const { problem } = buildProblem(randomPatient(i), space, { mode: "reduced", weights, constraints: none });
      const ex = exhaustiveBest(problem);
      const ga = runGa(problem, gaCfg);
      if (Math.abs(ga.best.fitness - ex.fitness) > 1e-9)
        misses.push(`seed ${i}: ga ${ga.best.fitness} exhaustive ${ex.fitness}`);
      // One patient (well under a second) at a time: the worker's event loop must stay free to read vitest's
      // RPC replies. The whole loop as one synchronous block (20-40 s, over 60 s on a loaded machine)
      // outlasted birpc's 60 s timeout: "Timeout calling onTaskUpdate", a green run that exited 1.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(misses.length, misses.join("\n")).toBeLessThanOrEqual(10);
  }, 150_000); // ~8.6M TypeScript evaluations: 20-40 s, more on a shared machine

  it("gives the same plan for the same seed and config", () => {
    const { problem } = buildProblem(basePatient(), space, { mode: "full", weights, constraints: none });
    expect(runGa(problem, gaCfg)).toEqual(runGa(problem, gaCfg));
  });

  it("has a full plan space far too large to enumerate and a reduced one that is small", () => {
    expect(spaceSize(space, "full")).toBeGreaterThan(1e8);
    expect(spaceSize(space, "reduced")).toBeLessThan(1e5);
  });

  it("never returns a plan with a drug contraindicated for that patient", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1_000_000 }), async (seed) => {
        const patient = randomPatient(seed);
        const res = await optimizeTreatment(
          { patient, config: { populationSize: 20, generations: 8, seed } },
          { impl: tsImpl },
        );
        for (const rp of res.plans) {
          if (!rp.feasible) continue;
          const drugs = [
            ...rp.plan.items.map((i) => i.drug),
            ...rp.plan.decisionPoints
              .flatMap((d) => [d.onRemission, d.onPartialResponse, d.onNoResponse])
              .flatMap((a) => (a.kind === "switch" ? [a.drug] : [])),
          ];
          for (const d of drugs) expect(drugBlocks(patient, d, space), `${d} for seed ${seed}`).toEqual([]);
        }
      }),
      { numRuns: 40, seed: 4242 },
    );
  });

  it("ranks infeasible plans below every feasible plan", () => {
    const p = basePatient({ comorbidities: { ...basePatient().comorbidities, activeSeriousInfection: true } });
    const { problem } = buildProblem(p, space, { mode: "reduced", weights, constraints: none });
    const best = exhaustiveBest(problem);
    expect(best.fitness).toBeGreaterThan(-1e6);
    expect(decodePlan(best.genome, p, space).items.every((i) => drugBlocks(p, i.drug, space).length === 0)).toBe(true);
  });
});
