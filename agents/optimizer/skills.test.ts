import pino from "pino";
import { describe, expect, it } from "vitest";
import { tsImpl } from "../../clinical/treatment/loader.js";
import { basePatient } from "../../clinical/treatment/testing/patients.js";
import type { SkillContext } from "../../runtime/index.js";
import { optimizerSkills } from "./skills.js";

function ctx(progress: { message: string; data?: Record<string, unknown> }[] = []): SkillContext {
  return {
    agentId: "optimizer",
    taskId: "t1",
    contextId: "c1",
    traceId: "tr",
    principal: undefined,
    logger: pino({ level: "silent" }),
    signal: new AbortController().signal,
    progress: async (message, data) => {
      progress.push({ message, data });
    },
    call: async () => {
      throw new Error("no calls in unit tests");
    },
    publish: async () => {},
    calls: [],
    redelivered: false,
  } as Partial<SkillContext> as SkillContext; // only what these handlers use
}
const [optimize, biomarkers, genotype] = optimizerSkills({ impl: () => tsImpl });

describe("optimizer skills", () => {
  it("returns ranked plans with convergence history and reports progress every few generations", async () => {
    const progress: { message: string }[] = [];
    const out = await optimize.handler(
      { patient: basePatient(), config: { populationSize: 30, generations: 20, seed: 7, topK: 3 } as never },
      ctx(progress),
    );
    const [best] = out.plans;
    expect(out.plans.length).toBeGreaterThan(0);
    expect(best?.rank).toBe(1);
    expect(out.convergence).toHaveLength(21);
    expect(best?.explanations.length).toBeGreaterThan(0);
    expect(out.biomarkerInfluences.map((b) => b.key)).toEqual(["fecal_calprotectin", "crp", "albumin"]);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress[0]?.message).toMatch(/^generation 0/);
  });

  it("honours excluded drug classes", async () => {
    const out = await optimize.handler(
      {
        patient: basePatient(),
        constraints: { excludedDrugs: [], excludedClasses: ["anti-IL-23"] },
        config: { populationSize: 30, generations: 15 } as never,
      },
      ctx(),
    );
    for (const p of out.plans) for (const i of p.plan.items) expect(i.drugClass).not.toMatch(/^anti-IL-23/);
  });

  it("rejects a malformed patient with INVALID_INPUT naming the field", async () => {
    const bad = { ...basePatient(), demographics: { ...basePatient().demographics, weightKg: -3 } };
    await expect(optimize.handler({ patient: bad }, ctx())).rejects.toMatchObject({
      code: "INVALID_INPUT",
      message: expect.stringContaining("demographics.weightKg"),
    });
  });

  it("flags elevated calprotectin and low albumin", async () => {
    const p = basePatient({
      labs: [
        {
          key: "fecal_calprotectin",
          loinc: "38445-3",
          display: "Calprotectin",
          value: 600,
          unit: "ug/g",
          effective: "2026-01-01T00:00:00Z",
          interpretation: "high",
          ref: "Observation/1",
        },
        {
          key: "albumin",
          loinc: "1751-7",
          display: "Albumin",
          value: 2.9,
          unit: "g/dL",
          effective: "2026-01-01T00:00:00Z",
          interpretation: "low",
          ref: "Observation/2",
        },
      ],
    });
    const out = await biomarkers.handler({ patient: p }, ctx());
    expect(out.influences.find((b) => b.key === "fecal_calprotectin")).toMatchObject({
      status: "elevated",
      threshold: 150,
    });
    expect(out.influences.find((b) => b.key === "albumin")).toMatchObject({ status: "low" });
    expect(out.influences.find((b) => b.key === "crp")).toMatchObject({ status: "missing" });
  });

  it("interprets diplotypes and VCF text", async () => {
    const a = await genotype.handler({ tpmt: "*1/*3A", nudt15: "*1/*1", hlaDqa105: true }, ctx());
    expect(a.pharmacogenomics).toMatchObject({ tpmtPhenotype: "intermediate", thiopurineDoseFraction: 0.8 });
    expect(a.markers[0]).toMatchObject({ present: true, reference: "pharmacogenomics.json#other_markers[0]" });
    const vcf =
      "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\nchr13\t1\trs116855232\tC\tT\t.\tPASS\t.\tGT\t1/1";
    const b = await genotype.handler({ vcf }, ctx());
    expect(b.pharmacogenomics).toMatchObject({ nudt15Phenotype: "poor", thiopurineDoseFraction: 0 });
  });
});
