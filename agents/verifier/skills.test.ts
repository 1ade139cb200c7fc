import pino from "pino";
import { describe, expect, it } from "vitest";
import { tsImpl } from "../../clinical/treatment/loader.js";
import { basePatient } from "../../clinical/treatment/testing/patients.js";
import { item, planWith } from "../../clinical/treatment/testing/plans.js";
import type { SkillContext } from "../../runtime/index.js";
import { verifierSkills } from "./skills.js";

const ctx = {
  agentId: "verifier",
  taskId: "t1",
  contextId: "c1",
  traceId: "tr",
  principal: undefined,
  logger: pino({ level: "silent" }),
  signal: new AbortController().signal,
  progress: async () => {},
  call: async () => {
    throw new Error("no calls");
  },
  publish: async () => {},
  calls: [],
  redelivered: false,
} as Partial<SkillContext> as SkillContext; // only what these handlers use
const [verify, simulate, alternatives] = verifierSkills({ impl: () => tsImpl });

describe("verifier skills", () => {
  it("reports a contraindicated drug with the reference it rests on", async () => {
    const p = basePatient({ comorbidities: { ...basePatient().comorbidities, demyelinatingDisease: true } });
    const r = await verify.handler({ patient: p, plan: planWith([item.infliximab()]) }, ctx);
    expect(r.isValid).toBe(false);
    expect(r.findings).toContainEqual(
      expect.objectContaining({
        ruleId: "ci-demyelinating",
        item: "items[0]",
        reference: expect.stringMatching(/^drugs\.json#infliximab\.contraindications\[\d+\]$/),
      }),
    );
  });

  it("simulates week-12 and week-52 remission with intervals", async () => {
    const o = await simulate.handler({ patient: basePatient(), plan: planWith([item.ustekinumab()]) }, ctx);
    expect(o.pRemissionWeek52.low).toBeLessThan(o.pRemissionWeek52.high);
  });

  it("suggests alternatives without the blocking drug", async () => {
    const p = basePatient({ comorbidities: { ...basePatient().comorbidities, heartFailureNyha: 4 } });
    const r = await alternatives.handler(
      { patient: p, plan: planWith([item.adalimumab()]), topK: 2, seed: 1, excludedDrugs: [] },
      ctx,
    );
    expect(r.excluded).toEqual(["adalimumab"]);
    for (const a of r.alternatives) for (const i of a.plan.items) expect(i.drugClass).not.toBe("anti-TNF");
  });
});
