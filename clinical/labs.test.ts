import { describe, expect, it } from "vitest";
import { interpretLab, normalRangeFor } from "./labs.js";
import { loadLoinc } from "./reference/loinc.js";

const loinc = loadLoinc();
const hb = loinc.byKey("hemoglobin");
const hct = loinc.byKey("hematocrit");

describe("sex- and age-specific lab ranges (loinc.json normal_range_by_population)", () => {
  it("reads haemoglobin 12.6 g/dL as low in a man and normal in a woman (WHO: 13.0 men, 12.0 non-pregnant women)", () => {
    const man = interpretLab(hb, 12.6, "g/dL", { sex: "male", age: 40 });
    expect(man.interpretation).toBe("low");
    expect(man.meaning).toContain("below 13 g/dL for male, 15 y and over (WHO 2011");
    expect(interpretLab(hb, 12.6, "g/dL", { sex: "female", age: 40 }).interpretation).toBe("normal");
    expect(interpretLab(hb, 13.0, "g/dL", { sex: "male", age: 40 }).interpretation).toBe("normal");
  });

  it("reads haemoglobin 11.5 g/dL as low in a non-pregnant woman and normal in a pregnant one (WHO 11.0)", () => {
    expect(interpretLab(hb, 11.5, "g/dL", { sex: "female", age: 30 }).interpretation).toBe("low");
    expect(interpretLab(hb, 11.5, "g/dL", { sex: "female", age: 30, pregnant: true }).interpretation).toBe("normal");
    expect(interpretLab(hb, 10.8, "g/dL", { sex: "female", age: 30, pregnant: true }).interpretation).toBe("low");
  });

  it("uses the WHO child thresholds by age, and adult ranges when the age is unknown", () => {
    expect(interpretLab(hb, 11.8, "g/dL", { sex: "male", age: 13 }).interpretation).toBe("low");
    expect(interpretLab(hb, 11.8, "g/dL", { sex: "male", age: 9 }).interpretation).toBe("normal");
    expect(normalRangeFor(hb, { sex: "male" })).toMatchObject({ low: 13, high: 17.5 });
  });

  it("reads a woman's haemoglobin of 16.5 g/dL as high, a man's as normal", () => {
    expect(interpretLab(hb, 16.5, "g/dL", { sex: "female", age: 30 }).interpretation).toBe("high");
    expect(interpretLab(hb, 16.5, "g/dL", { sex: "male", age: 30 }).interpretation).toBe("normal");
  });

  it("keeps the widest adult range when sex is unknown, and critical values for everyone", () => {
    expect(interpretLab(hb, 12.6, "g/dL").interpretation).toBe("normal");
    expect(interpretLab(hb, 12.6, "g/dL", { sex: "unknown", age: 40 }).interpretation).toBe("normal");
    expect(interpretLab(hb, 6.8, "g/dL", { sex: "male", age: 40 }).interpretation).toBe("critical-low");
  });

  it("reads haematocrit 39% as low in a man and normal in a woman", () => {
    expect(interpretLab(hct, 39, "%", { sex: "male", age: 50 }).interpretation).toBe("low");
    expect(interpretLab(hct, 39, "%", { sex: "female", age: 50 }).interpretation).toBe("normal");
    expect(interpretLab(hct, 48, "%", { sex: "female", age: 50 }).interpretation).toBe("high");
    expect(interpretLab(hct, 48, "%", { sex: "male", age: 50 }).interpretation).toBe("normal");
  });

  it("gives every population bound a source and a confidence", () => {
    for (const e of loinc.entries)
      for (const b of e.normal_range_by_population ?? []) {
        expect(b.source, e.key).toBeTruthy();
        expect(b.confidence, e.key).toMatch(/^(verified|verified-secondary|unverified)$/);
        if (b.high_source) expect(b.high_confidence, e.key).toMatch(/^(verified|verified-secondary|unverified)$/);
      }
  });
});

describe("screening entries in loinc.json", () => {
  it("finds each screening test by its LOINC code or an alternative code", () => {
    expect(loinc.byCode("http://loinc.org", "71773-6")?.screening).toBe("igra");
    expect(loinc.byCode("http://loinc.org", "45323-3")?.screening).toBe("igra");
    expect(loinc.byCode("http://loinc.org", "5196-1")?.screening).toBe("hbsag");
    expect(loinc.byCode("http://loinc.org", "5195-3")?.screening).toBe("hbsag");
    expect(loinc.byCode("http://loinc.org", "16933-4")?.screening).toBe("anti-hbc");
    expect(loinc.byCode("http://loinc.org", "42595-9")?.screening).toBe("hbv-dna");
    expect(loinc.byCode("http://loinc.org", "29615-2")?.screening).toBe("hbv-dna");
    expect(loinc.byCode("http://loinc.org", "2106-3")?.screening).toBe("hcg");
    expect(loinc.byCode("http://loinc.org", "2118-8")?.screening).toBe("hcg");
  });

  it("does not read the IGRA mitogen control (71774-4) or a race code as a screening result", () => {
    expect(loinc.byCode("http://loinc.org", "71774-4")).toBeUndefined();
    expect(loinc.byCode("urn:oid:2.16.840.1.113883.6.238", "2106-3")).toBeUndefined();
  });
});
