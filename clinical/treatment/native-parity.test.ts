import { describe, expect, it } from "vitest";
import { FitnessWeightsSchema } from "../../protocol/clinical/plan.js";
import { loadOptimizerImpl, nativeAvailable, tsImpl } from "./loader.js";
import { buildProblem } from "./model.js";
import { Xoshiro128 } from "./rng.js";
import { loadPlanSpace } from "./space.js";
import { randomPatient } from "./testing/patients.js";

// CI builds native/index.node, so this suite must run there; locally it needs scripts/build-native.sh.
const present = nativeAvailable();
if (!present && process.env.CI)
  throw new Error("native/index.node is missing in CI: run scripts/build-native.sh before the tests");

describe.runIf(present)("native (Rust) and TypeScript optimizers", () => {
  const space = loadPlanSpace();
  const weights = FitnessWeightsSchema.parse({});
  const none = { excludedDrugs: [], excludedClasses: [] };

  it("find the same best plan with the same fitness on 200 generated problems", async () => {
    const native = loadOptimizerImpl({ impl: "native" });
    const failures: string[] = [];
    for (let i = 0; i < 200; i++) {
      const mode = i % 2 === 0 ? "full" : "reduced";
      const { problem } = buildProblem(randomPatient(1000 + i), space, { mode, weights, constraints: none });
      const cfg = {
        populationSize: 24,
        generations: 12,
        mutationRate: 0.1,
        crossoverRate: 0.9,
        elitismCount: 2,
        tournamentSize: 3,
        seed: i,
        topK: 3,
        progressEvery: 5,
      };
      const [a, b] = [await tsImpl.run(problem, cfg), await native.run(problem, cfg)];
      if (
        a.best.genome.join() !== b.best.genome.join() ||
        Math.abs(a.best.fitness - b.best.fitness) > 1e-9 ||
        a.evaluations !== b.evaluations
      ) {
        failures.push(
          `problem ${i} (${mode}): ts ${a.best.genome.join()} ${a.best.fitness} native ${b.best.genome.join()} ${b.best.fitness}`,
        );
      }
      // Both runs finish synchronously (small runs stay on the JS thread): give the event loop a turn
      // per problem so the worker keeps answering vitest's RPC (see ga.test.ts).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(failures).toEqual([]);
  });

  it("agree on the fitness of random genomes within 1e-9", async () => {
    const native = loadOptimizerImpl({ impl: "native" });
    const { problem } = buildProblem(randomPatient(7), space, { mode: "full", weights, constraints: none });
    const r = new Xoshiro128(99);
    const genomes = Array.from({ length: 500 }, () => problem.domains.map((d) => r.nextInt(d)));
    const [a, b] = [await tsImpl.evaluate(problem, genomes), await native.evaluate(problem, genomes)];
    expect(b).toHaveLength(a.length);
    // A missing native value is NaN, which fails the bound.
    a.forEach((x, i) => expect(Math.abs(x - (b[i] ?? NaN))).toBeLessThanOrEqual(1e-9));
  });

  it("rejects a malformed problem with INVALID_INPUT", async () => {
    const native = loadOptimizerImpl({ impl: "native" });
    const { problem } = buildProblem(randomPatient(7), space, { mode: "reduced", weights, constraints: none });
    const bad = { ...problem, forbiddenValues: [] };
    await expect(native.evaluate(bad, [[0, 0, 0, 0, 0, 0]])).rejects.toMatchObject({
      code: "INVALID_INPUT",
      message: expect.stringContaining("forbiddenValues"),
    });
  });
});

describe("optimizer loader", () => {
  it("uses TypeScript when asked to", () => {
    expect(loadOptimizerImpl({ impl: "ts" }).name).toBe("ts");
  });
  it("falls back to TypeScript when the native module is absent", () => {
    expect(loadOptimizerImpl({ nativePath: "/nonexistent/index.node" }).name).toBe("ts");
  });
  it("fails with DEPENDENCY_FAILED when native is forced but absent", () => {
    expect(() => loadOptimizerImpl({ impl: "native", nativePath: "/nonexistent/index.node" })).toThrow(
      expect.objectContaining({ code: "DEPENDENCY_FAILED" }),
    );
  });
});
