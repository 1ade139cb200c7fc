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
    const resources = deidentifyResources(load("pt-age-over-89"), {
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

// ---- The patient as a whole: current medications, allergies, screening (issue #12) ----

const LOINC = "http://loinc.org";
const SCT = "http://snomed.info/sct";
const subject = { reference: "Patient/t1" };
type R = fhir4.Resource & Record<string, unknown>;
const person = (gender: "male" | "female" = "male", birthDate = "1980-05-01"): R => ({
  resourceType: "Patient",
  id: "t1",
  gender,
  birthDate,
});
const summarise = (resources: R[], gender: "male" | "female" = "male") =>
  buildPatientSummary([person(gender), ...resources] as fhir4.Resource[], { asOf });
const drugCode = (code: string) => ({
  coding: [{ system: "https://hms-a2a.dev/fhir/CodeSystem/drug", code }],
  text: code,
});
const statement = (id: string, drug: string, extra: Record<string, unknown> = {}): R => ({
  resourceType: "MedicationStatement",
  id,
  status: "active",
  medicationCodeableConcept: drugCode(drug),
  subject,
  effectivePeriod: { start: "2025-06-01" },
  ...extra,
});
const dosage = (value: number, unit: string, route: unknown, repeat: unknown) => [
  {
    route,
    timing: { repeat },
    doseAndRate: [{ doseQuantity: { value, unit, system: "http://unitsofmeasure.org", code: unit } }],
  },
];
const SC = { coding: [{ system: SCT, code: "34206005", display: "Subcutaneous route" }] };
const RESULT = {
  positive: { coding: [{ system: SCT, code: "10828004", display: "Positive" }] },
  negative: { coding: [{ system: SCT, code: "260385009", display: "Negative" }] },
};
const qual = (id: string, code: string, result: "positive" | "negative", date: string, system = LOINC): R => ({
  resourceType: "Observation",
  id,
  status: "final",
  code: { coding: [{ system, code }] },
  subject,
  effectiveDateTime: date,
  valueCodeableConcept: RESULT[result],
});
const condition = (id: string, code: string): R => ({
  resourceType: "Condition",
  id,
  clinicalStatus: { coding: [{ code: "active" }] },
  code: { coding: [{ system: "http://hl7.org/fhir/sid/icd-10-cm", code }] },
  subject,
});
const allergy = (id: string, substance: string, extra: Record<string, unknown> = {}): R => ({
  resourceType: "AllergyIntolerance",
  id,
  clinicalStatus: { coding: [{ code: "active" }] },
  verificationStatus: { coding: [{ code: "confirmed" }] },
  type: "intolerance",
  category: ["medication"],
  code: drugCode(substance),
  patient: subject,
  ...extra,
});

describe("current medications in the summary", () => {
  it("carries an active biologic's dose, route, schedule, phase and response", () => {
    const s = summarise([
      statement("m1", "adalimumab", {
        dosage: dosage(40, "mg", SC, { frequency: 1, period: 2, periodUnit: "wk" }),
        extension: [
          { url: "https://hms-a2a.dev/fhir/StructureDefinition/treatment-response", valueCode: "remission" },
          { url: "https://hms-a2a.dev/fhir/StructureDefinition/treatment-phase", valueCode: "maintenance" },
        ],
      }),
    ]);
    expect(s.currentMedications).toEqual([
      {
        drug: "adalimumab",
        drugClass: "anti-TNF",
        status: "active",
        dose: 40,
        unit: "mg",
        route: "SC",
        schedule: { kind: "every", weeks: 2 },
        phase: "maintenance",
        since: "2025-06-01",
        response: "remission",
        ref: "MedicationStatement/m1",
      },
    ]);
  });

  it("lists co-medications from active orders, reads daily doses per day and converts UCUM units", () => {
    const s = summarise([
      {
        resourceType: "MedicationRequest",
        id: "r1",
        status: "active",
        intent: "order",
        medicationCodeableConcept: drugCode("allopurinol"),
        subject,
        authoredOn: "2024-01-10",
        dosageInstruction: dosage(150, "mg", { text: "by mouth" }, { frequency: 2, period: 1, periodUnit: "d" }),
      },
      statement("m2", "azathioprine", {
        dosage: dosage(2.5, "mg/kg/d", { coding: [{ system: SCT, code: "26643006" }] }, { period: 1, periodUnit: "d" }),
      }),
      statement("m3", "budesonide", { dosage: dosage(9, "mg/d", { text: "oral" }, { period: 1, periodUnit: "d" }) }),
      statement("m4", "infliximab", {
        dosage: dosage(5, "mg/kg", { text: "intravenous infusion" }, { period: 56, periodUnit: "d" }),
      }),
    ]);
    const by = (d: string) => s.currentMedications.find((m) => m.drug === d);
    expect(by("allopurinol")).toMatchObject({
      drugClass: null,
      dose: 300,
      unit: "mg",
      route: "PO",
      schedule: { kind: "daily" },
      response: "ongoing",
      since: "2024-01-10",
    });
    expect(by("azathioprine")).toMatchObject({
      dose: 2.5,
      unit: "mg/kg/day",
      route: "PO",
      schedule: { kind: "daily" },
    });
    expect(by("budesonide")).toMatchObject({ dose: 9, unit: "mg/day", route: "PO" });
    expect(by("infliximab")).toMatchObject({
      dose: 5,
      unit: "mg/kg",
      route: "IV",
      schedule: { kind: "every", weeks: 8 },
    });
    expect(s.comorbidities.currentInteractingMedications).toEqual(["allopurinol"]);
  });

  it("leaves stopped drugs, draft orders and unreadable doses out of what the patient takes", () => {
    const s = summarise([
      statement("m1", "infliximab", { status: "stopped" }),
      {
        resourceType: "MedicationRequest",
        id: "r1",
        status: "active",
        intent: "proposal",
        medicationCodeableConcept: drugCode("guselkumab"),
        subject,
      },
      statement("m2", "prednisone", { dosage: dosage(10, "mL", null, { period: 1, periodUnit: "d" }) }),
    ]);
    expect(s.currentMedications.map((m) => m.drug)).toEqual(["prednisone"]);
    expect(s.currentMedications[0]).toMatchObject({ dose: null, unit: null, route: null, schedule: { kind: "daily" } });
  });
});

describe("allergies and intolerances in the summary", () => {
  it("keeps an AllergyIntolerance with no medication record of the same drug, with severity and criticality", () => {
    const s = summarise([
      allergy("a1", "mercaptopurine", {
        criticality: "high",
        recordedDate: "2023-04-02",
        reaction: [{ manifestation: [{ text: "pancreatitis" }], severity: "severe" }],
      }),
    ]);
    expect(s.treatmentHistory).toEqual([]);
    expect(s.allergies).toEqual([
      {
        substance: "mercaptopurine",
        drugClass: "immunomodulator (thiopurine)",
        type: "intolerance",
        category: "medication",
        criticality: "high",
        clinicalStatus: "active",
        reactions: [{ manifestation: "pancreatitis", severity: "severe" }],
        recordedDate: "2023-04-02",
        ref: "AllergyIntolerance/a1",
      },
    ]);
  });

  it("drops allergies entered in error or refuted", () => {
    const s = summarise([
      allergy("a1", "infliximab", { verificationStatus: { coding: [{ code: "entered-in-error" }] } }),
      allergy("a2", "adalimumab", { verificationStatus: { coding: [{ code: "refuted" }] } }),
    ]);
    expect(s.allergies).toEqual([]);
  });

  it("turns an adverse event on a medication statement into an intolerance, once", () => {
    const ae = (event: string, severity?: string) =>
      severity
        ? {
            url: "https://hms-a2a.dev/fhir/StructureDefinition/adverse-event",
            extension: [
              { url: "event", valueString: event },
              { url: "severity", valueCode: severity },
            ],
          }
        : { url: "https://hms-a2a.dev/fhir/StructureDefinition/adverse-event", valueString: event };
    const s = summarise([
      statement("m1", "infliximab", {
        status: "stopped",
        effectivePeriod: { start: "2020-01-01", end: "2020-06-01" },
        extension: [ae("infusion reaction", "severe")],
      }),
      statement("m2", "azathioprine", { status: "stopped", extension: [ae("pancreatitis")] }),
      allergy("a1", "azathioprine", { reaction: [{ manifestation: [{ text: "Pancreatitis" }] }] }),
    ]);
    expect(s.allergies.find((a) => a.substance === "infliximab")).toEqual({
      substance: "infliximab",
      drugClass: "anti-TNF",
      type: "intolerance",
      category: "medication",
      criticality: null,
      clinicalStatus: "active",
      reactions: [{ manifestation: "infusion reaction", severity: "severe" }],
      recordedDate: "2020-06-01",
      ref: "MedicationStatement/m1",
    });
    expect(s.allergies.filter((a) => a.substance === "azathioprine").map((a) => a.ref)).toEqual([
      "AllergyIntolerance/a1",
    ]);
    expect(s.treatmentHistory.find((t) => t.drug === "infliximab")?.adverseEvents).toEqual(["infusion reaction"]);
  });
});

describe("screening results and the flags they set", () => {
  it("flags latent TB from a positive IGRA with no diagnosis code and no treatment", () => {
    const s = summarise([qual("o1", "71773-6", "positive", "2025-11-02")]);
    expect(s.screening).toEqual([
      {
        test: "igra",
        result: "positive",
        effective: "2025-11-02",
        loinc: "71773-6",
        ref: "Observation/o1",
      },
    ]);
    expect(s.comorbidities.latentTbUntreated).toBe(true);
    expect(s.comorbidities.conditions).toEqual([]);
  });

  it("does not flag latent TB for a negative IGRA, the IGRA mitogen control, or a positive IGRA since treated", () => {
    expect(summarise([qual("o1", "71773-6", "negative", "2025-11-02")]).comorbidities.latentTbUntreated).toBe(false);
    const mitogen = summarise([qual("o1", "71774-4", "positive", "2025-11-02")]);
    expect([mitogen.screening, mitogen.comorbidities.latentTbUntreated]).toEqual([[], false]);
    const treated = summarise([
      qual("o1", "71773-6", "positive", "2025-06-02"),
      statement("m1", "isoniazid", { status: "completed" }),
    ]);
    expect(treated.comorbidities.latentTbUntreated).toBe(false);
    const reverted = summarise([
      qual("o1", "71773-6", "positive", "2024-06-02"),
      qual("o2", "71773-6", "negative", "2025-06-02"),
    ]);
    expect(reverted.comorbidities.latentTbUntreated).toBe(false);
  });

  it("reads a tuberculin skin test in mm against the 5 mm threshold for immunosuppressed patients (CDC)", () => {
    const tst = (mm: number): R => ({
      resourceType: "Observation",
      id: "o1",
      status: "final",
      code: { coding: [{ system: "https://hms-a2a.dev/fhir/CodeSystem/observation", code: "tst" }] },
      subject,
      effectiveDateTime: "2025-10-01",
      valueQuantity: { value: mm, unit: "mm", code: "mm" },
    });
    expect(summarise([tst(7)]).screening[0]).toMatchObject({ test: "tst", result: "positive", value: 7 });
    expect(summarise([tst(7)]).comorbidities.latentTbUntreated).toBe(true);
    expect(summarise([tst(3)]).comorbidities.latentTbUntreated).toBe(false);
  });

  it("flags active hepatitis B from HBsAg or detectable HBV DNA, and past infection from anti-HBc alone", () => {
    const hbsag = summarise([qual("o1", "5196-1", "positive", "2025-09-01")]);
    expect(hbsag.comorbidities).toMatchObject({ hepatitisBActive: true, hepatitisBPast: false });
    const dna = (value: number, comparator?: "<"): R => ({
      resourceType: "Observation",
      id: "o2",
      status: "final",
      code: { coding: [{ system: LOINC, code: "42595-9" }] },
      subject,
      effectiveDateTime: "2025-09-01",
      valueQuantity: { value, unit: "IU/mL", code: "[IU]/mL", ...(comparator ? { comparator } : {}) },
    });
    expect(summarise([dna(1500)]).comorbidities.hepatitisBActive).toBe(true);
    expect(summarise([dna(1500)]).screening[0]).toMatchObject({ test: "hbv-dna", result: "positive", value: 1500 });
    expect(summarise([dna(10, "<")]).comorbidities.hepatitisBActive).toBe(false);
    const past = summarise([
      qual("o3", "16933-4", "positive", "2025-09-01"),
      qual("o4", "5196-1", "negative", "2025-09-01"),
    ]);
    expect(past.comorbidities).toMatchObject({ hepatitisBActive: false, hepatitisBPast: true });
    const active = summarise([
      qual("o3", "16933-4", "positive", "2025-09-01"),
      qual("o4", "5196-1", "positive", "2025-09-01"),
    ]);
    expect(active.comorbidities).toMatchObject({ hepatitisBActive: true, hepatitisBPast: false });
    expect(summarise([qual("o3", "16933-4", "negative", "2025-09-01")]).comorbidities.hepatitisBPast).toBe(false);
  });

  it("reads text results (reactive / non-reactive) as well as coded ones", () => {
    const text = (valueString: string): R => ({
      resourceType: "Observation",
      id: "o1",
      status: "final",
      code: { coding: [{ system: LOINC, code: "5196-1" }] },
      subject,
      effectiveDateTime: "2025-09-01",
      valueString,
    });
    expect(summarise([text("Reactive")]).comorbidities.hepatitisBActive).toBe(true);
    expect(summarise([text("Non-reactive")]).comorbidities.hepatitisBActive).toBe(false);
  });

  it("flags pregnancy from a positive hCG newer than any negative, and not from an old or superseded one", () => {
    const pos = summarise(
      [qual("o1", "2118-8", "negative", "2025-08-01"), qual("o2", "2106-3", "positive", "2025-12-20")],
      "female",
    );
    expect(pos.comorbidities.pregnant).toBe(true);
    expect(pos.screening).toEqual([expect.objectContaining({ test: "hcg", result: "positive", loinc: "2106-3" })]);
    const neg = summarise(
      [qual("o1", "2106-3", "positive", "2025-08-01"), qual("o2", "2118-8", "negative", "2025-12-20")],
      "female",
    );
    expect(neg.comorbidities.pregnant).toBe(false);
    // More than 42 weeks of recorded care after the positive test: that pregnancy has ended.
    const later: R = {
      resourceType: "Observation",
      id: "crp",
      status: "final",
      code: { coding: [{ system: LOINC, code: "1988-5" }] },
      subject,
      effectiveDateTime: "2024-09-01",
      valueQuantity: { value: 3, unit: "mg/L", code: "mg/L" },
    };
    const old = summarise([qual("o1", "2106-3", "positive", "2023-08-01"), later], "female");
    expect(old.comorbidities.pregnant).toBe(false);
    // A record that stops after the test still says pregnant, whatever today's date.
    expect(summarise([qual("o1", "2106-3", "positive", "2023-08-01")], "female").comorbidities.pregnant).toBe(true);
  });

  it("reads haemoglobin against the pregnant range when a positive hCG says the patient is pregnant", () => {
    const hb: R = {
      resourceType: "Observation",
      id: "hb",
      status: "final",
      code: { coding: [{ system: LOINC, code: "718-7" }] },
      subject,
      effectiveDateTime: "2026-01-10",
      valueQuantity: { value: 11.5, unit: "g/dL", code: "g/dL" },
    };
    expect(lab(summarise([hb], "female"), "hemoglobin")?.interpretation).toBe("low");
    expect(
      lab(summarise([hb, qual("o2", "2106-3", "positive", "2025-12-20")], "female"), "hemoglobin")?.interpretation,
    ).toBe("normal");
  });

  it("flags lactation from ICD-10-CM Z39.1 only", () => {
    expect(summarise([condition("c1", "Z39.1")], "female").comorbidities.lactating).toBe(true);
    expect(summarise([condition("c1", "Z39.2")], "female").comorbidities.lactating).toBe(false);
  });
});

describe("the synthetic patients added for the whole-patient rules", () => {
  it("reads the active biologic of a patient in remission with its dose and schedule", () => {
    expect(summaryOf("pt-remission-adalimumab").currentMedications).toEqual([
      expect.objectContaining({
        drug: "adalimumab",
        dose: 40,
        unit: "mg",
        route: "SC",
        schedule: { kind: "every", weeks: 2 },
        phase: "maintenance",
        response: "remission",
      }),
    ]);
    expect(summaryOf("pt-remission-ustekinumab").currentMedications).toEqual([
      expect.objectContaining({ drug: "ustekinumab", dose: 90, schedule: { kind: "every", weeks: 8 } }),
    ]);
    // Dosage was added to the first 26 patients' active drugs too.
    expect(summaryOf("pt-remission-azathioprine").currentMedications[0]).toMatchObject({
      drug: "azathioprine",
      dose: 2.5,
      unit: "mg/kg/day",
      schedule: { kind: "daily" },
    });
  });

  it("flags pregnancy from a urine hCG alone while the patient keeps responding to adalimumab", () => {
    const s = summaryOf("pt-pregnant-adalimumab");
    expect(s.comorbidities.pregnant).toBe(true);
    expect(s.comorbidities.conditions).toEqual([]);
    expect(s.currentMedications[0]).toMatchObject({ drug: "adalimumab", response: "response" });
    // Still pregnant a year on (the record has nothing newer), and after de-identification moved every date.
    expect(
      buildPatientSummary(load("pt-pregnant-adalimumab"), { asOf: new Date("2027-01-15") }).comorbidities.pregnant,
    ).toBe(true);
    const deid = deidentifyResources(load("pt-pregnant-adalimumab"), {
      pseudonym: "anon-00000000000000bb",
      safeHarbor: loadSafeHarbor(),
      asOf,
      dateOffsetDays: -180,
    }).resources as fhir4.Resource[];
    expect(buildPatientSummary(deid, { asOf, deidentified: true }).comorbidities.pregnant).toBe(true);
  });

  it("keeps documented reactions with their severity and criticality", () => {
    const pancreatitis = summaryOf("pt-thiopurine-pancreatitis");
    expect(pancreatitis.allergies).toEqual([
      expect.objectContaining({
        substance: "azathioprine",
        type: "intolerance",
        criticality: "high",
        reactions: [{ manifestation: "pancreatitis", severity: "severe" }],
      }),
    ]);
    expect(summaryOf("pt-infliximab-infusion-reaction").allergies).toEqual([
      expect.objectContaining({
        substance: "infliximab",
        type: "allergy",
        criticality: "high",
        reactions: [{ manifestation: "anaphylaxis", severity: "severe" }],
      }),
    ]);
    const only = summaryOf("pt-allergy-only-mercaptopurine");
    expect(only.treatmentHistory).toEqual([]);
    expect(only.allergies).toEqual([
      expect.objectContaining({ substance: "mercaptopurine", drugClass: "immunomodulator (thiopurine)" }),
    ]);
  });

  it("sets the screening flags from labs alone", () => {
    expect(summaryOf("pt-hbsag-positive").comorbidities).toMatchObject({
      hepatitisBActive: true,
      hepatitisBPast: false,
      latentTbUntreated: false,
      conditions: [],
    });
    expect(summaryOf("pt-igra-positive").comorbidities).toMatchObject({
      latentTbUntreated: true,
      hepatitisBActive: false,
      hepatitisBPast: false,
    });
    const past = summaryOf("pt-hbv-past");
    expect(past.comorbidities).toMatchObject({ hepatitisBActive: false, hepatitisBPast: true });
    expect(past.screening.map((t) => [t.test, t.result]).sort()).toEqual([
      ["anti-hbc", "positive"],
      ["hbsag", "negative"],
      ["hbv-dna", "negative"],
    ]);
    expect(summaryOf("pt-remission-adalimumab").comorbidities).toMatchObject({
      latentTbUntreated: false,
      hepatitisBActive: false,
    });
  });

  it("flags lactation, reads colonic-only disease, and lists febuxostat among current drugs", () => {
    expect(summaryOf("pt-lactating").comorbidities.lactating).toBe(true);
    expect(summaryOf("pt-pregnant").comorbidities.lactating).toBe(false);
    expect(summaryOf("pt-colonic-only-mild").diagnosis.montreal).toMatchObject({ location: "L2", upperGi: false });
    expect(summaryOf("pt-colonic-only-mild").activity.band).toBe("mild");
    expect(summaryOf("pt-febuxostat").currentMedications).toEqual([
      expect.objectContaining({ drug: "febuxostat", drugClass: null, dose: 80, route: "PO" }),
    ]);
    // Febuxostat is named in drugs.json's structured interaction rules (thiopurines), not in free text.
    expect(summaryOf("pt-febuxostat").comorbidities.currentInteractingMedications).toEqual(["febuxostat"]);
    expect(summaryOf("pt-jak-over-65").demographics.age).toBe(68);
  });

  it("reads a man's haemoglobin of 12.6 g/dL as low", () => {
    expect(lab(summaryOf("pt-male-anaemia"), "hemoglobin")).toMatchObject({ value: 12.6, interpretation: "low" });
    // Near miss: a woman in the mild band has the same 12.6 g/dL, normal for her.
    expect(lab(summaryOf("pt-upper-gi-l4"), "hemoglobin")).toMatchObject({ value: 12.6, interpretation: "normal" });
  });
});
