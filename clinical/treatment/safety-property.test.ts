import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PatientSummary } from "../../protocol/clinical/patient.js";
import type { RankedPlan } from "../../protocol/clinical/plan.js";
import { tsImpl } from "./loader.js";
import { optimizeTreatment } from "./optimize.js";
import { randomTherapyPatient } from "./testing/patients.js";
import { verifyPlan } from "./verify.js";

/**
 * The property the coordinator rests on: whatever the patient, no plan the optimizer proposes as
 * feasible has an error-level finding from the verifier (decision points, switch targets, current
 * therapy and monitoring included), and its top-k are distinct regimens.
 */

/** What a generated patient carries beyond `randomTherapyPatient`: the situations the label rules read. */
const situation = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  hepatitisB: fc.constantFrom("none", "none", "none", "active", "past"),
  lactating: fc.constantFrom(false, false, false, true),
  coMedication: fc.constantFrom(
    null,
    null,
    null,
    "febuxostat",
    "allopurinol",
    "ketoconazole",
    "live vaccine",
    "trimethoprim",
  ),
  age: fc.constantFrom(null, null, 67),
  location: fc.constantFrom(null, "L1", "L2", "L3"),
  latentTb: fc.constantFrom(false, false, false, true),
});

type Situation = typeof situation extends fc.Arbitrary<infer T> ? T : never;

function generated(s: Situation): PatientSummary {
  const p = randomTherapyPatient(s.seed);
  return {
    ...p,
    demographics: { ...p.demographics, ...(s.age !== null ? { age: s.age } : {}) },
    diagnosis:
      s.location === null
        ? p.diagnosis
        : { ...p.diagnosis, montreal: { ...p.diagnosis.montreal, location: s.location } },
    comorbidities: {
      ...p.comorbidities,
      hepatitisBActive: s.hepatitisB === "active",
      hepatitisBPast: s.hepatitisB === "past",
      lactating: s.lactating && p.demographics.sex === "female",
      latentTbUntreated: p.comorbidities.latentTbUntreated || s.latentTb,
      currentInteractingMedications: s.coMedication ? [s.coMedication] : p.comorbidities.currentInteractingMedications,
    },
  };
}

const regimenKey = (r: RankedPlan) =>
  JSON.stringify([r.plan.items, r.plan.decisionPoints, r.plan.currentTherapy, r.plan.monitoring]);

describe("no unsafe plan (property over generated patients)", () => {
  it("every feasible plan of the optimizer's top 3 verifies without an error, and the three are distinct", async () => {
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(situation, async (s) => {
        // The TypeScript optimizer runs synchronously: a turn of the event loop per run keeps the 60 runs
        // (18 s under load) from being one block that a vitest worker's 60 s RPC timeout waits behind.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const patient = generated(s);
        const res = await optimizeTreatment(
          { patient, config: { seed: s.seed % 1000, populationSize: 40, generations: 25, topK: 3 } },
          { impl: tsImpl },
        );
        const feasible = res.plans.filter((r) => r.feasible);
        for (const r of feasible) {
          const errors = verifyPlan(patient, r.plan).findings.filter((f) => f.severity === "error");
          expect(errors, `${patient.patientId} rank ${r.rank}: ${JSON.stringify(errors)}`).toEqual([]);
          checked++;
        }
        expect(new Set(feasible.map(regimenKey)).size).toBe(feasible.length);
      }),
      { numRuns: 60, seed: 20261202 },
    );
    // The property must have looked at real plans, not only at patients with no feasible one.
    expect(checked).toBeGreaterThan(60);
  }, 240_000);
});
