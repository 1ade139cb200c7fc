import type { PatientSummary } from "../../../protocol/index.js";
import { at } from "../at.js";
import { Xoshiro128 } from "../rng.js";

/** A moderate, biologic-naive adult with normal TPMT/NUDT15 (tests and benchmarks). */
export function basePatient(over: Partial<PatientSummary> = {}): PatientSummary {
  return {
    patientId: "p1",
    demographics: { age: 34, ageTopCoded: false, sex: "male", weightKg: 70, heightCm: 175 },
    diagnosis: {
      code: { system: "http://snomed.info/sct", code: "34000006", display: "Crohn's disease" },
      montreal: { age: "A2", location: "L3", upperGi: false, behaviour: "B1", perianal: false },
    },
    activity: {
      cdai: { status: "computed", value: 300, band: "moderate", source: "scores.json#CDAI" },
      hbi: { status: "missing", missingInputs: ["x"], source: "scores.json#HBI" },
      band: "moderate",
    },
    labs: [],
    genotype: { tpmt: "*1/*1", nudt15: "*1/*1", hlaDqa105: false, nod2: [] },
    pharmacogenomics: {
      tpmtPhenotype: "normal",
      nudt15Phenotype: "normal",
      thiopurineDoseFraction: 1,
      recommendation: "",
      source: "",
    },
    treatmentHistory: [],
    currentMedications: [],
    allergies: [],
    screening: [],
    comorbidities: {
      conditions: [],
      activeSeriousInfection: false,
      latentTbUntreated: false,
      heartFailureNyha: null,
      demyelinatingDisease: false,
      pregnant: false,
      lactating: false,
      hepatitisBActive: false,
      hepatitisBPast: false,
      vteHistory: false,
      cardiovascularRisk: false,
      malignancyHistory: false,
      currentInteractingMedications: [],
    },
    sources: [],
    deidentified: false,
    ...over,
  };
}

const pick = <T>(r: Xoshiro128, xs: readonly T[]): T => at(xs, r.nextInt(xs.length), "pick");

/** A reproducible random patient for generated tests. */
export function randomPatient(seed: number): PatientSummary {
  const r = new Xoshiro128(seed);
  const b = basePatient();
  const pheno = ["normal", "normal", "normal", "intermediate", "poor", "unknown"] as const;
  const tp = pick(r, pheno);
  const nu = pick(r, pheno);
  const band = pick(r, ["mild", "moderate", "severe", "remission"] as const);
  const hist =
    r.nextFloat() < 0.4
      ? [
          {
            drug: pick(r, ["infliximab", "adalimumab", "vedolizumab"]),
            drugClass: "anti-TNF",
            status: "stopped" as const,
            response: pick(r, ["primary-non-response", "loss-of-response", "intolerance"] as const),
            adverseEvents: [],
            ref: "MedicationStatement/1",
          },
        ]
      : [];
  if (hist[0] && hist[0].drug === "vedolizumab") hist[0].drugClass = "anti-integrin (alpha4beta7)";
  const labs = [] as PatientSummary["labs"];
  if (r.nextFloat() < 0.7)
    labs.push({
      key: "fecal_calprotectin",
      loinc: "38445-3",
      display: "Calprotectin",
      value: Math.round(r.nextFloat() * 1200),
      unit: "ug/g",
      effective: "2026-01-01T00:00:00Z",
      interpretation: "unknown",
      ref: "Observation/c",
    });
  if (r.nextFloat() < 0.7)
    labs.push({
      key: "crp",
      loinc: "1988-5",
      display: "CRP",
      value: Math.round(r.nextFloat() * 400) / 10,
      unit: "mg/L",
      effective: "2026-01-01T00:00:00Z",
      interpretation: "unknown",
      ref: "Observation/r",
    });
  if (r.nextFloat() < 0.7)
    labs.push({
      key: "albumin",
      loinc: "1751-7",
      display: "Albumin",
      value: 2.5 + Math.round(r.nextFloat() * 20) / 10,
      unit: "g/dL",
      effective: "2026-01-01T00:00:00Z",
      interpretation: "unknown",
      ref: "Observation/a",
    });
  return {
    ...b,
    patientId: `gen-${seed}`,
    demographics: {
      ...b.demographics,
      age: 18 + r.nextInt(60),
      sex: pick(r, ["male", "female"] as const),
      weightKg: 45 + r.nextInt(60),
    },
    diagnosis: {
      ...b.diagnosis,
      montreal: {
        age: "A2",
        location: pick(r, ["L1", "L2", "L3"] as const),
        upperGi: false,
        behaviour: pick(r, ["B1", "B2", "B3"] as const),
        perianal: r.nextFloat() < 0.2,
      },
    },
    activity: { ...b.activity, band },
    labs,
    genotype: { tpmt: null, nudt15: null, hlaDqa105: r.nextFloat() < 0.4, nod2: r.nextFloat() < 0.3 ? ["R702W"] : [] },
    pharmacogenomics: {
      tpmtPhenotype: tp,
      nudt15Phenotype: nu,
      thiopurineDoseFraction: null,
      recommendation: "",
      source: "",
    },
    treatmentHistory: hist,
    comorbidities: {
      ...b.comorbidities,
      activeSeriousInfection: r.nextFloat() < 0.05,
      latentTbUntreated: r.nextFloat() < 0.05,
      heartFailureNyha: r.nextFloat() < 0.1 ? 3 : null,
      demyelinatingDisease: r.nextFloat() < 0.05,
      pregnant: r.nextFloat() < 0.05,
      cardiovascularRisk: r.nextFloat() < 0.2,
      vteHistory: r.nextFloat() < 0.05,
      currentInteractingMedications:
        r.nextFloat() < 0.1 ? ["allopurinol"] : r.nextFloat() < 0.1 ? ["trimethoprim"] : [],
    },
  };
}

type CurrentMedication = PatientSummary["currentMedications"][number];

/** A current medication as the EHR summary carries it (label maintenance doses by default). */
export function currentMed(
  drug: string,
  response: CurrentMedication["response"],
  over: Partial<CurrentMedication> = {},
): CurrentMedication {
  const known: Record<string, Partial<CurrentMedication>> = {
    adalimumab: { drugClass: "anti-TNF", dose: 40, unit: "mg", route: "SC", schedule: { kind: "every", weeks: 2 } },
    infliximab: { drugClass: "anti-TNF", dose: 5, unit: "mg/kg", route: "IV", schedule: { kind: "every", weeks: 8 } },
    ustekinumab: {
      drugClass: "anti-IL-12/23 (p40)",
      dose: 90,
      unit: "mg",
      route: "SC",
      schedule: { kind: "every", weeks: 8 },
    },
    vedolizumab: {
      drugClass: "anti-integrin (alpha4beta7)",
      dose: 300,
      unit: "mg",
      route: "IV",
      schedule: { kind: "every", weeks: 8 },
    },
    azathioprine: {
      drugClass: "immunomodulator (thiopurine)",
      dose: 2.5,
      unit: "mg/kg/day",
      route: "PO",
      schedule: { kind: "daily" },
    },
    prednisone: {
      drugClass: "corticosteroid (systemic)",
      dose: 40,
      unit: "mg/day",
      route: "PO",
      schedule: { kind: "daily" },
    },
  };
  return {
    drug,
    drugClass: null,
    status: "active",
    dose: null,
    unit: null,
    route: null,
    schedule: null,
    phase: "maintenance",
    response,
    ref: `MedicationStatement/current-${drug}`,
    ...known[drug],
    ...over,
  };
}

/**
 * A reproducible random patient with what the decision rules read: current Crohn's drugs (a
 * biologic responding, lost or failed; an immunomodulator; a steroid), past failures, reactions
 * and pregnancy, on top of `randomPatient`.
 */
export function randomTherapyPatient(seed: number): PatientSummary {
  const base = randomPatient(seed);
  const r = new Xoshiro128(seed ^ 0x5eed);
  const meds: CurrentMedication[] = [];
  if (r.nextFloat() < 0.6)
    meds.push(
      currentMed(
        pick(r, ["adalimumab", "infliximab", "ustekinumab", "vedolizumab"]),
        pick(r, [
          "remission",
          "response",
          "loss-of-response",
          "primary-non-response",
          "intolerance",
          "ongoing",
        ] as const),
        r.nextFloat() < 0.2 ? { dose: null, schedule: null } : {},
      ),
    );
  if (r.nextFloat() < 0.3)
    meds.push(currentMed("azathioprine", pick(r, ["response", "ongoing", "intolerance"] as const)));
  if (r.nextFloat() < 0.3) meds.push(currentMed("prednisone", "ongoing", { phase: null, dose: pick(r, [10, 20, 40]) }));
  const allergies: PatientSummary["allergies"] =
    r.nextFloat() < 0.2
      ? [
          {
            substance: pick(r, ["infliximab", "azathioprine", "vedolizumab"]),
            drugClass: null,
            type: "allergy",
            category: "medication",
            criticality: pick(r, ["low", "high"] as const),
            clinicalStatus: "active",
            reactions: [{ manifestation: pick(r, ["infusion reaction", "pancreatitis", "rash"]), severity: "severe" }],
            ref: "AllergyIntolerance/1",
          },
        ]
      : [];
  const female = base.demographics.sex === "female";
  return {
    ...base,
    patientId: `gen-therapy-${seed}`,
    currentMedications: meds,
    allergies,
    comorbidities: {
      ...base.comorbidities,
      pregnant: female && r.nextFloat() < 0.2,
      lactating: female && r.nextFloat() < 0.1,
    },
  };
}
