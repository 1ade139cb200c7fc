import { describe, expect, it } from "vitest";
import type { PatientSummary } from "../../protocol/clinical/patient.js";
import { loadOptimizerImpl, nativeAvailable, tsImpl, type OptimizerImpl } from "./loader.js";
import { optimizeTreatment } from "./optimize.js";
import { ADVANCED_DRUGS, loadPlanSpace } from "./space.js";
import { basePatient } from "./testing/patients.js";

/**
 * The coordinator's clinical scenarios, through the optimizer (TypeScript and, when built, Rust).
 * Outcomes follow from efficacy.json's sourced numbers and the rule table, not from special cases.
 */
const space = loadPlanSpace();
const impls: OptimizerImpl[] = [tsImpl, ...(nativeAvailable() ? [loadOptimizerImpl({ impl: "native" })] : [])];
const isAntiTnf = (drug: string) => space.drugs.has(drug) && space.drugs.byId(drug).class === "anti-TNF";
const lab = (key: string, value: number, unit: string): PatientSummary["labs"][number] => ({
  key,
  loinc: "x",
  display: key,
  value,
  unit,
  effective: "2026-01-01T00:00:00Z",
  interpretation: "unknown",
  ref: `Observation/${key}`,
});

const tpmtIntermediate = basePatient({
  patientId: "moderate-ileal-tpmt-im",
  diagnosis: {
    ...basePatient().diagnosis,
    montreal: { age: "A2", location: "L1", upperGi: false, behaviour: "B2", perianal: false },
  },
  labs: [lab("fecal_calprotectin", 620, "ug/g"), lab("crp", 24, "mg/L"), lab("albumin", 3.4, "g/dL")],
  genotype: { tpmt: "*1/*3A", nudt15: "*1/*1", hlaDqa105: false, nod2: ["R702W"] },
  pharmacogenomics: {
    tpmtPhenotype: "intermediate",
    nudt15Phenotype: "normal",
    thiopurineDoseFraction: 0.8,
    recommendation: "",
    source: "",
  },
});
const heartFailure = basePatient({
  patientId: "heart-failure",
  comorbidities: { ...basePatient().comorbidities, heartFailureNyha: 3 },
});
const primaryNonResponse = basePatient({
  patientId: "antitnf-pnr",
  treatmentHistory: [
    {
      drug: "infliximab",
      drugClass: "anti-TNF",
      status: "stopped",
      response: "primary-non-response",
      adverseEvents: [],
      ref: "MedicationStatement/1",
    },
  ],
});

describe.each(impls.map((impl) => [impl.name, impl] as const))("optimizer scenarios (%s)", (_name, impl) => {
  it("gives a TPMT intermediate metabolizer on infliximab a thiopurine at a CPIC-reduced dose (SONIC combination)", async () => {
    // Reduced mode (one stage, no decision points): with every other advanced drug excluded there
    // is no switch target for a week-12 non-responder, so full-mode infliximab plans would all have
    // to "continue" a non-responder against the label's stopping rule, and none is feasible.
    const others = ADVANCED_DRUGS.filter((d) => d !== "infliximab");
    const r = await optimizeTreatment(
      { patient: tpmtIntermediate, constraints: { excludedDrugs: others }, config: { mode: "reduced" } },
      { impl },
    );
    const combos = r.plans
      .slice(0, 1)
      .map((p) => p.plan.items)
      .filter((items) => items.some((i) => i.drug === "infliximab"))
      .map((items) => items.find((i) => i.drug === "azathioprine" || i.drug === "mercaptopurine"))
      .filter((i) => i !== undefined);
    expect(combos.length).toBeGreaterThan(0);
    for (const thio of combos) {
      expect(thio.doseFraction).toBeGreaterThanOrEqual(0.3);
      expect(thio.doseFraction).toBeLessThanOrEqual(0.8);
    }
  });

  it("never gives a TPMT intermediate metabolizer a full thiopurine dose, nor changes therapy in remission", async () => {
    const r = await optimizeTreatment({ patient: tpmtIntermediate }, { impl });
    for (const p of r.plans) {
      for (const it of p.plan.items)
        if (it.drug === "azathioprine" || it.drug === "mercaptopurine")
          expect(it.doseFraction).toBeLessThanOrEqual(0.8);
      for (const dp of p.plan.decisionPoints) expect(dp.onRemission.kind).toBe("continue");
    }
  });

  it("plans no anti-TNF for NYHA III heart failure and says why", async () => {
    const r = await optimizeTreatment({ patient: heartFailure }, { impl });
    for (const p of r.plans) {
      expect(p.plan.items.filter((i) => isAntiTnf(i.drug))).toEqual([]);
      for (const dp of p.plan.decisionPoints)
        for (const a of [dp.onRemission, dp.onPartialResponse, dp.onNoResponse])
          if (a.kind === "switch") expect(isAntiTnf(a.drug)).toBe(false);
      expect(p.explanations.some((e) => /infliximab excluded: .*ci-heart-failure/.test(e))).toBe(true);
    }
  });

  it("starts a class other than anti-TNF after primary non-response to infliximab", async () => {
    const r = await optimizeTreatment({ patient: primaryNonResponse }, { impl });
    const adv = r.plans[0]?.plan.items.find((i) => i.role === "advanced");
    expect(adv).toBeDefined();
    expect(isAntiTnf(adv!.drug)).toBe(false);
  });
});
