import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as fhir4 from "fhir/r4.js";
import { describe, expect, it } from "vitest";
import { deidentifyResources } from "../../clinical/deid/index.js";
import { defaultReferenceDir } from "../../clinical/reference/loinc.js";
import { loadSafeHarbor } from "../../clinical/reference/safe-harbor.js";
import { buildPatientSummary } from "./summary.js";

const asOf = new Date("2026-01-15T12:00:00Z");
const load = (id: string) =>
  (
    JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "examples", "patients", `${id}.json`), "utf8")) as {
      entry: { resource: fhir4.Resource }[];
    }
  ).entry.map((e) => e.resource);
const summaryOf = (id: string) => buildPatientSummary(load(id), { asOf });
const lab = (s: ReturnType<typeof summaryOf>, key: string) => s.labs.find((l) => l.key === key);

describe("patient summary", () => {
  it("scores a moderate ileal stricturing patient with TPMT intermediate", () => {
    const s = summaryOf("pt-moderate-ileal-tpmt-im");
    // CDAI by hand: 2*35 + 5*12 + 7*14 + 20*1 + 30*1 + 10*2 + 6*(47-41) + (1-0.9)*100 = 344
    expect(s.activity.cdai).toMatchObject({ status: "computed", value: 344, band: "moderate" });
    // HBI: 2 + 2 + 5 + 1 + 1 = 11
    expect(s.activity.hbi).toMatchObject({ status: "computed", value: 11, band: "moderate" });
    expect(s.activity.band).toBe("moderate");
    expect(s.diagnosis.montreal).toEqual({
      age: "A2",
      location: "L1",
      upperGi: false,
      behaviour: "B2",
      perianal: false,
    });
    expect(s.genotype).toMatchObject({ tpmt: "*1/*3A", nudt15: "*1/*1", hlaDqa105: false, nod2: ["R702W"] });
    expect(s.pharmacogenomics).toMatchObject({ tpmtPhenotype: "intermediate", nudt15Phenotype: "normal" });
    expect(lab(s, "fecal_calprotectin")).toMatchObject({
      value: 620,
      unit: "ug/g",
      interpretation: "high",
      effective: "2026-01-15T09:00:00Z",
    });
    expect(lab(s, "fecal_calprotectin")!.meaning).toContain("150");
    expect(s.demographics).toMatchObject({ age: 29, sex: "male" });
    expect(s.treatmentHistory.map((t) => [t.drug, t.status])).toEqual([["prednisone", "active"]]);
  });

  it("scores a severe perianal patient and reads her anti-TNF history", () => {
    const s = summaryOf("pt-severe-ileocolonic-perianal");
    // 2*60 + 5*18 + 7*21 + 20*3 + 30*1 + 10*5 + 6*(42-32) + (1-0.85)*100 = 572
    expect(s.activity.cdai).toMatchObject({ value: 572, band: "severe" });
    expect(s.diagnosis.montreal).toMatchObject({ location: "L3", behaviour: "B3", perianal: true });
    expect(s.genotype.hlaDqa105).toBe(true);
    expect(s.treatmentHistory.find((t) => t.drug === "infliximab")).toMatchObject({
      drugClass: "anti-TNF",
      status: "stopped",
      response: "loss-of-response",
      adverseEvents: ["anti-drug antibodies"],
    });
    expect(lab(s, "fecal_calprotectin")).toMatchObject({ value: 1450, interpretation: "high" });
    expect(lab(s, "hemoglobin")).toMatchObject({ value: 9.1, interpretation: "low" });
  });

  it("puts a patient in remission and a mild colonic patient in the mild band", () => {
    // 2*7 + 5*2 + 7*3 + 6*(42-40) + ~2 = 59
    expect(summaryOf("pt-remission-ileal-tpmt-nm").activity.cdai).toMatchObject({ value: 59, band: "remission" });
    // 2*20 + 5*7 + 7*7 + 20*1 + 6*(47-43) + ~5 = 173
    const mild = summaryOf("pt-mild-colonic");
    expect(mild.activity.cdai).toMatchObject({ value: 173, band: "mild" });
    expect(mild.diagnosis.montreal).toMatchObject({ age: "A3", location: "L2" });
  });

  it("marks CDAI missing, naming the inputs, when labs and diary are absent", () => {
    const s = summaryOf("pt-missing-labs");
    expect(s.activity.cdai.status).toBe("missing");
    if (s.activity.cdai.status === "missing")
      expect(s.activity.cdai.missingInputs).toEqual(
        expect.arrayContaining(["liquid_stools", "hematocrit", "standard_weight"]),
      );
    expect(s.activity.hbi).toMatchObject({ value: 6, band: "mild" });
    expect(s.activity.band).toBe("mild");
    expect(lab(s, "fecal_calprotectin")).toBeUndefined();
    expect(s.pharmacogenomics.tpmtPhenotype).toBe("unknown");
  });

  it("derives CPIC phenotypes for poor and double-intermediate genotypes", () => {
    expect(summaryOf("pt-moderate-tpmt-poor").pharmacogenomics.tpmtPhenotype).toBe("poor");
    expect(summaryOf("pt-moderate-nudt15-poor").pharmacogenomics.nudt15Phenotype).toBe("poor");
    expect(summaryOf("pt-moderate-tpmt-nudt15-both-im").pharmacogenomics).toMatchObject({
      tpmtPhenotype: "intermediate",
      nudt15Phenotype: "intermediate",
    });
  });

  it("flags the comorbidities the verifier's rules read", () => {
    expect(summaryOf("pt-heart-failure-nyha3").comorbidities).toMatchObject({
      heartFailureNyha: 3,
      cardiovascularRisk: true,
    });
    expect(summaryOf("pt-latent-tb-untreated").comorbidities.latentTbUntreated).toBe(true);
    expect(summaryOf("pt-pregnant").comorbidities.pregnant).toBe(true);
    expect(summaryOf("pt-vte-history").comorbidities.vteHistory).toBe(true);
    expect(summaryOf("pt-multiple-sclerosis").comorbidities.demyelinatingDisease).toBe(true);
    expect(summaryOf("pt-hepatitis-b").comorbidities.hepatitisBActive).toBe(true);
    expect(summaryOf("pt-allopurinol").comorbidities.currentInteractingMedications).toEqual(["allopurinol"]);
    const elderly = summaryOf("pt-elderly-cv-risk");
    expect(elderly.demographics.age).toBeGreaterThanOrEqual(65);
    expect(elderly.comorbidities.cardiovascularRisk).toBe(true);
    expect(summaryOf("pt-childhood-onset-a1").diagnosis.montreal.age).toBe("A1");
    expect(summaryOf("pt-moderate-hla-dqa1-05").treatmentHistory[0]).toMatchObject({
      drug: "azathioprine",
      response: "intolerance",
      adverseEvents: ["pancreatitis"],
    });
  });

  it("builds a de-identified summary with age 90+ and no identifiers, keeping the scores", () => {
    const resources = deidentifyResources(load("pt-age-over-89") as never, {
      pseudonym: "anon-00000000000000aa",
      safeHarbor: loadSafeHarbor(),
      asOf,
    }).resources;
    const s = buildPatientSummary(resources as fhir4.Resource[], { asOf, deidentified: true });
    expect(s.patientId).toBe("anon-00000000000000aa");
    expect(s.demographics).toMatchObject({ age: 90, ageTopCoded: true });
    expect(s.demographics.name).toBeUndefined();
    expect(s.demographics.mrn).toBeUndefined();
    expect(s.demographics.birthDate).toBeUndefined();
    expect(s.deidentified).toBe(true);
    expect(s.activity.cdai).toEqual(
      summaryOf("pt-age-over-89").activity.cdai.status === "computed"
        ? expect.objectContaining({ value: (summaryOf("pt-age-over-89").activity.cdai as { value: number }).value })
        : expect.anything(),
    );
    expect(JSON.stringify(s)).not.toContain("pt-age-over-89");
  });

  it("reads pharmacogenomics from the reference directory it is given", () => {
    const dir = mkdtempSync(join(tmpdir(), "hms-ref-"));
    try {
      cpSync(defaultReferenceDir(), dir, { recursive: true });
      const file = join(dir, "pharmacogenomics.json");
      const pgx = JSON.parse(readFileSync(file, "utf8")) as {
        cpic_thiopurines: { recommendations: { recommendation: string }[] };
      };
      for (const r of pgx.cpic_thiopurines.recommendations)
        r.recommendation = `from the test directory: ${r.recommendation}`;
      writeFileSync(file, JSON.stringify(pgx));
      const s = buildPatientSummary(load("pt-moderate-ileal-tpmt-im"), { asOf, referenceDir: dir });
      expect(s.pharmacogenomics.recommendation).toMatch(/^from the test directory: /);
      expect(summaryOf("pt-moderate-ileal-tpmt-im").pharmacogenomics.recommendation).not.toMatch(
        /^from the test directory/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
