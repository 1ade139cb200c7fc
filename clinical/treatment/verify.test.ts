import { describe, expect, it } from "vitest";
import type { PatientSummary } from "../../protocol/clinical/patient.js";
import type { TreatmentPlan } from "../../protocol/clinical/plan.js";
import { HmsError } from "../../protocol/errors.js";
import { tsImpl } from "./loader.js";
import { optimizeTreatment, simulateOutcome } from "./optimize.js";
import { basePatient } from "./testing/patients.js";
import { item, planWith } from "./testing/plans.js";
import { suggestAlternatives, verifyPlan } from "./verify.js";

const base = basePatient();
const co = (c: Partial<PatientSummary["comorbidities"]>): PatientSummary => ({
  ...base,
  comorbidities: { ...base.comorbidities, ...c },
});
const pgx = (
  tpmtPhenotype: PatientSummary["pharmacogenomics"]["tpmtPhenotype"],
  nudt15Phenotype: PatientSummary["pharmacogenomics"]["nudt15Phenotype"],
): PatientSummary => ({ ...base, pharmacogenomics: { ...base.pharmacogenomics, tpmtPhenotype, nudt15Phenotype } });
const ruleIds = (p: PatientSummary, plan: TreatmentPlan) => verifyPlan(p, plan).findings.map((f) => f.ruleId);

interface Case {
  rule: string;
  fires: [PatientSummary, TreatmentPlan];
  nearMiss: [PatientSummary, TreatmentPlan];
}
const cases: Case[] = [
  {
    rule: "ci-active-infection",
    fires: [co({ activeSeriousInfection: true }), planWith([item.infliximab()])],
    nearMiss: [co({ activeSeriousInfection: false }), planWith([item.infliximab()])],
  },
  {
    rule: "ci-latent-tb",
    fires: [co({ latentTbUntreated: true }), planWith([item.adalimumab()])],
    nearMiss: [co({ latentTbUntreated: true }), planWith([item.azathioprine()])],
  },
  {
    rule: "ci-hepatitis-b",
    fires: [co({ hepatitisBActive: true }), planWith([item.infliximab()])],
    nearMiss: [co({ hepatitisBActive: true }), planWith([item.ustekinumab()])],
  },
  {
    rule: "ci-heart-failure",
    fires: [co({ heartFailureNyha: 3 }), planWith([item.adalimumab()])],
    nearMiss: [co({ heartFailureNyha: 2 }), planWith([item.adalimumab()])],
  },
  {
    rule: "ci-demyelinating",
    fires: [co({ demyelinatingDisease: true }), planWith([item.infliximab()])],
    nearMiss: [co({ demyelinatingDisease: true }), planWith([item.ustekinumab()])],
  },
  {
    rule: "ci-pregnancy-methotrexate",
    fires: [co({ pregnant: true }), planWith([item.methotrexate()])],
    nearMiss: [co({ pregnant: false }), planWith([item.methotrexate()])],
  },
  {
    rule: "ci-jak-risk",
    fires: [{ ...base, demographics: { ...base.demographics, age: 65 } }, planWith([item.upadacitinib()])],
    nearMiss: [{ ...base, demographics: { ...base.demographics, age: 64 } }, planWith([item.upadacitinib()])],
  },
  {
    rule: "ci-budesonide-severe",
    fires: [{ ...base, activity: { ...base.activity, band: "severe" } }, planWith([item.budesonide()])],
    nearMiss: [{ ...base, activity: { ...base.activity, band: "moderate" } }, planWith([item.budesonide()])],
  },
  {
    rule: "ci-pgx-poor",
    fires: [pgx("poor", "normal"), planWith([item.azathioprine(0.1)])],
    nearMiss: [pgx("intermediate", "normal"), planWith([item.azathioprine(0.5)])],
  },
  {
    rule: "ix-allopurinol-thiopurine",
    fires: [co({ currentInteractingMedications: ["allopurinol"] }), planWith([item.mercaptopurine()])],
    nearMiss: [co({ currentInteractingMedications: ["allopurinol"] }), planWith([item.methotrexate()])],
  },
  {
    rule: "ix-methotrexate-trimethoprim",
    fires: [co({ currentInteractingMedications: ["trimethoprim"] }), planWith([item.methotrexate()])],
    nearMiss: [co({ currentInteractingMedications: [] }), planWith([item.methotrexate()])],
  },
  {
    rule: "ix-thiopurine-trimethoprim",
    fires: [co({ currentInteractingMedications: ["co-trimoxazole"] }), planWith([item.azathioprine()])],
    nearMiss: [co({ currentInteractingMedications: ["co-trimoxazole"] }), planWith([item.ustekinumab()])],
  },
  {
    rule: "ix-jak-immunosuppressant",
    fires: [base, planWith([item.upadacitinib(), item.azathioprine()])],
    nearMiss: [base, planWith([item.ustekinumab(), item.azathioprine()])],
  },
  {
    rule: "dose-max",
    fires: [base, planWith([item.infliximab(12)])],
    nearMiss: [base, planWith([item.infliximab(10)])],
  },
  {
    rule: "dose-range",
    fires: [base, planWith([item.adalimumab(60)])],
    nearMiss: [base, planWith([item.adalimumab(80)])],
  },
  {
    rule: "dose-weight-unknown",
    fires: [
      { ...base, demographics: { ...base.demographics, weightKg: null } },
      planWith([item.infliximab(350, { unit: "mg" })]),
    ],
    nearMiss: [base, planWith([item.infliximab(350, { unit: "mg" })])],
  },
  {
    rule: "pgx-dose",
    fires: [pgx("intermediate", "intermediate"), planWith([item.azathioprine(0.8)])],
    nearMiss: [pgx("intermediate", "intermediate"), planWith([item.azathioprine(0.5)])],
  },
  {
    rule: "dup-advanced",
    fires: [base, planWith([item.infliximab(), item.ustekinumab()])],
    nearMiss: [base, planWith([item.infliximab(5, { endWeek: 10 }), { ...item.ustekinumab(), startWeek: 10 }])],
  },
  {
    rule: "steroid-too-long",
    fires: [base, planWith([item.prednisone(16)])],
    nearMiss: [base, planWith([item.prednisone(12)])],
  },
  {
    rule: "screening-before-start",
    fires: [base, planWith([item.infliximab()], [])],
    nearMiss: [base, planWith([item.infliximab()])],
  },
  {
    rule: "pgx-untested",
    fires: [pgx("unknown", "unknown"), planWith([item.azathioprine()])],
    nearMiss: [pgx("normal", "normal"), planWith([item.azathioprine()])],
  },
  {
    rule: "mesalamine-crohns",
    fires: [base, planWith([item.mesalamine()])],
    nearMiss: [base, planWith([item.azathioprine()])],
  },
  {
    rule: "hla-dqa105-monotherapy",
    fires: [{ ...base, genotype: { ...base.genotype, hlaDqa105: true } }, planWith([item.infliximab()])],
    nearMiss: [
      { ...base, genotype: { ...base.genotype, hlaDqa105: true } },
      planWith([item.infliximab(), item.azathioprine()]),
    ],
  },
];

describe("verifier rules", () => {
  it.each(cases)("$rule fires on its case", ({ rule, fires }) => {
    expect(ruleIds(...fires)).toContain(rule);
  });
  it.each(cases)("$rule stays quiet on its near miss", ({ rule, nearMiss }) => {
    expect(ruleIds(...nearMiss)).not.toContain(rule);
  });

  it("cites the reference entry and the plan item of each finding", () => {
    const r = verifyPlan(co({ pregnant: true }), planWith([item.methotrexate()]));
    const f = r.findings.find((x) => x.ruleId === "ci-pregnancy-methotrexate")!;
    expect(f).toMatchObject({
      severity: "error",
      reference: "drugs.json#methotrexate.contraindications[0]",
      item: "items[0]",
    });
    expect(r.isValid).toBe(false);
    expect(r.recommendations.length).toBeGreaterThan(0);
  });

  it("passes a clean standard plan", () => {
    const r = verifyPlan(base, planWith([item.infliximab(), item.azathioprine()]));
    expect(r.findings.filter((f) => f.severity === "error")).toEqual([]);
    expect(r.isValid).toBe(true);
    expect(r.safetyScore).toBe(1);
    expect(r.efficacyScore).toBeGreaterThan(0);
  });

  it("finds no blocking issue in the optimizer's best plans", async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const res = await optimizeTreatment(
        { patient: base, config: { seed, populationSize: 30, generations: 20 } },
        { impl: tsImpl },
      );
      const errs = verifyPlan(base, res.plans[0].plan).findings.filter((f) => f.severity === "error");
      expect(errs, `seed ${seed}`).toEqual([]);
    }
  });
});

describe("outcome simulation", () => {
  it("gives P(remission) at weeks 12 and 52 inside an uncertainty interval", () => {
    const o = simulateOutcome(base, planWith([item.infliximab(), item.azathioprine()]));
    for (const iv of [o.pRemissionWeek12, o.pRemissionWeek52]) {
      expect(iv.low).toBeLessThanOrEqual(iv.estimate);
      expect(iv.high).toBeGreaterThanOrEqual(iv.estimate);
      expect(iv.high).toBeGreaterThan(iv.low);
      expect(iv.estimate).toBeGreaterThan(0);
      expect(iv.estimate).toBeLessThan(1);
    }
  });
  it("expects a second anti-TNF after primary non-response to do worse", () => {
    const failed: PatientSummary = {
      ...base,
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
    };
    const plan = planWith([item.adalimumab()]);
    expect(simulateOutcome(failed, plan).pRemissionWeek52.estimate).toBeLessThan(
      simulateOutcome(base, plan).pRemissionWeek52.estimate,
    );
  });
  it("expects an HLA-DQA1*05 carrier on anti-TNF monotherapy to do worse than a non-carrier", () => {
    const carrier: PatientSummary = { ...base, genotype: { ...base.genotype, hlaDqa105: true } };
    const plan = planWith([item.adalimumab()]);
    expect(simulateOutcome(carrier, plan).pRemissionWeek52.estimate).toBeLessThan(
      simulateOutcome(base, plan).pRemissionWeek52.estimate,
    );
  });
});

describe("alternatives", () => {
  it("suggests plans without the contraindicated drug", async () => {
    const p = co({ pregnant: true });
    const res = await suggestAlternatives(p, planWith([item.methotrexate()]), { impl: tsImpl, seed: 3 });
    expect(res.excluded).toContain("methotrexate");
    for (const alt of res.alternatives) expect(alt.plan.items.map((i) => i.drug)).not.toContain("methotrexate");
  });
});

describe("malformed input", () => {
  it("names the bad optimizer config field", async () => {
    await expect(optimizeTreatment({ patient: base, config: { mutationRate: 2 } }, { impl: tsImpl })).rejects.toSatisfy(
      (e: unknown) => HmsError.is(e, "INVALID_INPUT") && e.message.includes("mutationRate"),
    );
  });
});
