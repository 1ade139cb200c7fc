import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadLoinc } from "./reference/loinc.js";
import { bandFor, loadScores } from "./reference/scores.js";
import { interpretLab } from "./labs.js";
import { computeCdai, computeHbi, montrealAgeCode } from "./scores.js";

const ref = loadScores();
const full = {
  liquid_stools: 35,
  abdominal_pain: 12,
  general_wellbeing: 14,
  complications: 1,
  antidiarrheal_use: 1,
  abdominal_mass: 2,
  hematocrit: 41,
  weightKg: 63,
  standardWeightKg: 70,
  sex: "male" as const,
};

describe("activity scores from scores.json", () => {
  it("computes CDAI by the published weights", () => {
    // 70 + 60 + 98 + 20 + 30 + 20 + 6*(47-41) + (1-63/70)*100 = 344
    expect(computeCdai(full, ref)).toMatchObject({
      status: "computed",
      value: 344,
      band: "moderate",
      source: "scores.json#CDAI",
    });
    expect(computeCdai({ ...full, sex: "female", hematocrit: 36 }, ref)).toMatchObject({ value: 344 });
  });

  it("puts band edges where scores.json draws them", () => {
    const cdai = (v: number) => bandFor(ref.cdai.bands, v)?.band;
    expect([149, 150, 220, 221, 450, 451].map(cdai)).toEqual([
      "remission",
      "mild",
      "mild",
      "moderate",
      "moderate",
      "severe",
    ]);
    const hbi = (v: number) => bandFor(ref.hbi.bands, v)?.band;
    expect([4, 5, 7, 8, 16, 17].map(hbi)).toEqual(["remission", "mild", "mild", "moderate", "moderate", "severe"]);
  });

  it("never leaves a whole-number score without a band, and more stools never lower the score", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 140 }),
        fc.integer({ min: 0, max: 21 }),
        fc.integer({ min: 0, max: 28 }),
        fc.integer({ min: 1, max: 20 }),
        (stools, pain, wb, extra) => {
          const a = computeCdai({ ...full, liquid_stools: stools, abdominal_pain: pain, general_wellbeing: wb }, ref);
          const b = computeCdai(
            { ...full, liquid_stools: stools + extra, abdominal_pain: pain, general_wellbeing: wb },
            ref,
          );
          return a.status === "computed" && b.status === "computed" && b.value >= a.value;
        },
      ),
      { numRuns: 200, seed: 1976 },
    );
  });

  it("names the missing inputs instead of guessing", () => {
    const r = computeCdai({ ...full, hematocrit: null, standardWeightKg: undefined }, ref);
    expect(r).toEqual({
      status: "missing",
      missingInputs: ["hematocrit", "standard_weight"],
      source: "scores.json#CDAI",
    });
    expect(computeCdai({ ...full, sex: "unknown" }, ref).status).toBe("missing");
    expect(
      computeHbi({ general_wellbeing: 1, abdominal_pain: 1, liquid_stools: 3, abdominal_mass: 0 }, ref),
    ).toMatchObject({ status: "missing", missingInputs: ["complications"] });
    expect(
      computeHbi(
        { general_wellbeing: 2, abdominal_pain: 2, liquid_stools: 5, abdominal_mass: 1, complications: 1 },
        ref,
      ),
    ).toMatchObject({ value: 11, band: "moderate" });
  });

  it("codes Montreal age at diagnosis", () => {
    expect([14, 16, 17, 40, 41].map((a) => montrealAgeCode(a, ref))).toEqual(["A1", "A1", "A2", "A2", "A3"]);
  });
});

describe("lab interpretation from loinc.json", () => {
  const loinc = loadLoinc();
  it("reads critical, abnormal and normal values", () => {
    const hb = loinc.byKey("hemoglobin");
    expect([6.5, 7, 11, 13, 18, 21].map((v) => interpretLab(hb, v, "g/dL").interpretation)).toEqual([
      "critical-low",
      "critical-low",
      "low",
      "normal",
      "high",
      "critical-high",
    ]);
    expect(interpretLab(loinc.byKey("crp"), 3, "mg/L").interpretation).toBe("normal");
  });

  it("explains calprotectin against the 150 ug/g decision threshold", () => {
    const fc = loinc.byKey("fecal_calprotectin");
    expect(interpretLab(fc, 90, "ug/g")).toMatchObject({
      interpretation: "high",
      meaning: expect.stringContaining("below 150"),
    });
    expect(interpretLab(fc, 620, "ug/g").meaning).toContain("at or above 150");
  });

  it("does not misread a value in another unit", () => {
    expect(interpretLab(loinc.byKey("crp"), 3, "mg/dL").interpretation).toBe("unknown");
  });
});
