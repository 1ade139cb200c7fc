import { describe, expect, it } from "vitest";
import type { PatientSummary } from "../../protocol/clinical/patient.js";
import type { TreatmentPlan } from "../../protocol/clinical/plan.js";
import { HmsError } from "../../protocol/errors.js";
import { tsImpl } from "./loader.js";
import { optimizeTreatment, simulateOutcome } from "./optimize.js";
import { basePatient } from "./testing/patients.js";
import { item, planWith } from "./testing/plans.js";
import { RULE_CASES } from "./testing/rule-cases.js";
import { suggestAlternatives, verifyPlan } from "./verify.js";

const base = basePatient();
const co = (c: Partial<PatientSummary["comorbidities"]>): PatientSummary => ({
  ...base,
  comorbidities: { ...base.comorbidities, ...c },
});
describe("verifier rules", () => {
  const atSeverity = ([p, plan]: [PatientSummary, TreatmentPlan], rule: string, severity: string) =>
    verifyPlan(p, plan).findings.filter((f) => f.ruleId === rule && f.severity === severity);
  it.each(RULE_CASES)("$rule ($severity) fires: $why", ({ rule, severity, fires }) => {
    expect(atSeverity(fires, rule, severity)).toHaveLength(1);
  });
  it.each(RULE_CASES)("$rule ($severity) stays quiet on its near miss: $why", ({ rule, severity, nearMiss }) => {
    expect(atSeverity(nearMiss, rule, severity)).toEqual([]);
  });

  it("cites the label entry and the plan item of each finding", () => {
    const r = verifyPlan(co({ pregnant: true }), planWith([item.methotrexate()]));
    const f = r.findings.find((x) => x.ruleId === "ci-pregnancy")!;
    expect(f).toMatchObject({
      severity: "error",
      reference: "drugs.json#methotrexate.safety.pregnancy",
      item: "items[0]",
    });
    expect(r.isValid).toBe(false);
    expect(r.recommendations.length).toBeGreaterThan(0);
  });

  it("passes a clean standard plan", () => {
    // With the monitoring the azathioprine label asks for (blood count, liver and renal function).
    const labs = (["cbc", "lft", "renal-function"] as const).map((test) => ({
      test,
      weeks: [2, 4, 8, 12, 24, 36, 48],
      reason: "azathioprine label",
      reference: "drugs.json#azathioprine.monitoring",
    }));
    const plan = planWith([item.infliximab(), item.azathioprine()]);
    const r = verifyPlan(base, { ...plan, monitoring: [...plan.monitoring, ...labs] });
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
      const best = res.plans[0];
      if (!best) throw new Error(`seed ${seed}: no plan`);
      const errs = verifyPlan(base, best.plan).findings.filter((f) => f.severity === "error");
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
