/**
 * Generates the synthetic Crohn's patients in examples/patients/ as FHIR R4 transaction bundles.
 * Reproducible: one seeded PRNG; the same seed writes byte-identical files.
 *
 *   npx tsx scripts/gen-patients.ts [--seed 20260115] [--out examples/patients]
 *
 * Every entry is a PUT with a stable id, so a bundle loads idempotently. Codes and units come
 * from clinical/reference/data/loinc.json at run time. Everything here is invented: no real person.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { HMS_CODES, HMS_OBSERVATION_SYSTEM, loadLoinc } from "../clinical/reference/loinc.js";
import { loadScores } from "../clinical/reference/scores.js";
import { EXT, RESULT_CODINGS, SYSTEMS } from "../agents/ehr/fhir-codes.js";
import { mulberry32 } from "../runtime/index.js";

export const DEFAULT_SEED = 20260115;
/** Every date is relative to this day, so output does not depend on when the script runs. */
export const AS_OF = "2026-01-15";

type Band = "remission" | "mild" | "moderate" | "severe";
type Sex = "male" | "female";
type Comorbidity = keyof typeof COMORBIDITIES;
type Severity = "mild" | "moderate" | "severe";

/**
 * How a drug is taken, written as MedicationStatement.dosage[0]: dose (UCUM unit), route (SNOMED CT),
 * timing (daily, or every N weeks) and the phase extension. Doses follow the label regimens in
 * clinical/reference/data/drugs.json; these are invented records, not reference facts.
 */
interface DosageSpec {
  dose: number;
  /** UCUM code as a record carries it. */
  unit: "mg" | "mg/kg" | "mg/kg/d" | "mg/d";
  route: keyof typeof ROUTES;
  /** "daily", or every N weeks. */
  every: "daily" | number;
  phase?: "induction" | "maintenance" | "taper";
}

interface MedSpec {
  drug: string;
  name: string;
  /** Months before AS_OF. */
  startMonthsAgo: number;
  endMonthsAgo?: number;
  status: "active" | "completed" | "stopped";
  response:
    | "remission"
    | "response"
    | "primary-non-response"
    | "loss-of-response"
    | "intolerance"
    | "adverse-event"
    | "ongoing";
  /** What happened; with a severity it is written as the complex adverse-event extension. */
  adverseEvents?: (string | { event: string; severity: Severity })[];
  /** Required for an active drug: what the patient takes now. */
  dosage?: DosageSpec;
}

/** A pre-treatment screening result (loinc.json key with `screening`), months before AS_OF. */
interface ScreeningSpec {
  key: "igra" | "tst" | "hbsag" | "anti_hbc" | "hbv_dna" | "hcg_urine" | "hcg_serum";
  result: "positive" | "negative";
  monthsAgo: number;
  /** HBV DNA in IU/mL; with "<" it is below the assay's limit. */
  value?: number;
  comparator?: "<";
}

interface AllergySpec {
  substance: string;
  manifestation: string;
  type?: "allergy" | "intolerance";
  severity?: Severity;
  criticality?: "low" | "high";
  recordedMonthsAgo?: number;
}

interface Spec {
  id: string;
  tests: string;
  sex: Sex;
  age: number;
  ageAtDx: number;
  location: "L1" | "L2" | "L3" | "L4";
  upperGi?: boolean;
  behaviour: "B1" | "B2" | "B3";
  perianal?: boolean;
  band: Band;
  tpmt: string | null;
  nudt15: string | null;
  hla: boolean | null;
  nod2?: string[] | null;
  meds: MedSpec[];
  comorbidities?: Comorbidity[];
  coMeds?: { code: string; name: string; dosage?: DosageSpec }[];
  zip?: string;
  device?: boolean;
  /** No calprotectin, hematocrit or CDAI panel: CDAI must come out "missing". */
  missingLabs?: boolean;
  ssn?: boolean;
  allergy?: AllergySpec;
  screening?: ScreeningSpec[];
  /** Latest-visit lab values that differ from the band's template (e.g. haemoglobin). */
  labOverrides?: Record<string, number>;
}

/** SNOMED CT route qualifier values (FHIR R4 SNOMED CT Route Codes). */
const ROUTES = {
  IV: { code: "47625008", display: "Intravenous route" },
  SC: { code: "34206005", display: "Subcutaneous route" },
  PO: { code: "26643006", display: "Oral route" },
  IM: { code: "78421000", display: "Intramuscular route" },
} as const;

/** ICD-10-CM codes (2024 code set) for the comorbidities the rules read. */
export const COMORBIDITIES = {
  heartFailureNyha3: { code: "I50.9", display: "Heart failure, unspecified", nyha: 3 },
  latentTb: { code: "Z22.7", display: "Latent tuberculosis" },
  pregnancy: { code: "Z33.1", display: "Pregnant state, incidental" },
  vteHistory: { code: "Z86.718", display: "Personal history of other venous thrombosis and embolism" },
  multipleSclerosis: { code: "G35", display: "Multiple sclerosis" },
  hypertension: { code: "I10", display: "Essential (primary) hypertension" },
  diabetes2: { code: "E11.9", display: "Type 2 diabetes mellitus without complications" },
  hyperlipidemia: { code: "E78.5", display: "Hyperlipidemia, unspecified" },
  priorMi: { code: "I25.2", display: "Old myocardial infarction" },
  smoker: { code: "F17.210", display: "Nicotine dependence, cigarettes, uncomplicated" },
  gout: { code: "M10.9", display: "Gout, unspecified" },
  hepatitisB: { code: "B18.1", display: "Chronic viral hepatitis B without delta-agent" },
  malignancyHistory: { code: "Z85.038", display: "Personal history of other malignant neoplasm of large intestine" },
  lactating: { code: "Z39.1", display: "Encounter for care and examination of lactating mother" },
} as const;

const IFX = "infliximab",
  ADA = "adalimumab",
  AZA = "azathioprine",
  UST = "ustekinumab",
  VDZ = "vedolizumab";
const med = (
  drug: string,
  name: string,
  startMonthsAgo: number,
  status: MedSpec["status"],
  response: MedSpec["response"],
  endMonthsAgo?: number,
  adverseEvents?: MedSpec["adverseEvents"],
): MedSpec => ({
  drug,
  name,
  startMonthsAgo,
  status,
  response,
  ...(endMonthsAgo !== undefined ? { endMonthsAgo } : {}),
  ...(adverseEvents ? { adverseEvents } : {}),
});
/** An active drug with its dosage. */
const taking = (
  drug: string,
  name: string,
  startMonthsAgo: number,
  response: MedSpec["response"],
  dosage: DosageSpec,
): MedSpec => ({ ...med(drug, name, startMonthsAgo, "active", response), dosage });
/** Label maintenance and induction regimens (drugs.json) as the records write them. */
const DOSE = {
  adalimumab: { dose: 40, unit: "mg", route: "SC", every: 2, phase: "maintenance" },
  ustekinumab: { dose: 90, unit: "mg", route: "SC", every: 8, phase: "maintenance" },
  budesonideInduction: { dose: 9, unit: "mg", route: "PO", every: "daily", phase: "induction" },
  budesonideMaintenance: { dose: 6, unit: "mg", route: "PO", every: "daily", phase: "maintenance" },
  prednisone: { dose: 40, unit: "mg/d", route: "PO", every: "daily", phase: "induction" },
  azathioprine: { dose: 2.5, unit: "mg/kg/d", route: "PO", every: "daily", phase: "maintenance" },
} as const satisfies Record<string, DosageSpec>;
const NM = "*1/*1";

export const SPECS: Spec[] = [
  {
    id: "pt-remission-ileal-tpmt-nm",
    tests: "remission on adalimumab; L1 B1; TPMT/NUDT15 normal",
    sex: "female",
    age: 34,
    ageAtDx: 24,
    location: "L1",
    behaviour: "B1",
    band: "remission",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [taking(ADA, "Adalimumab", 30, "remission", DOSE.adalimumab)],
  },
  {
    id: "pt-mild-colonic",
    tests: "mild colonic disease (L2 B1) on budesonide",
    sex: "male",
    age: 45,
    ageAtDx: 41,
    location: "L2",
    behaviour: "B1",
    band: "mild",
    tpmt: NM,
    nudt15: NM,
    hla: null,
    meds: [
      taking("budesonide", "Budesonide", 2, "ongoing", DOSE.budesonideInduction),
      med("mesalamine", "Mesalamine", 40, "stopped", "primary-non-response", 20),
    ],
  },
  {
    id: "pt-moderate-ileal-tpmt-im",
    tests: "moderate L1 B2; TPMT intermediate (*1/*3A): reduced thiopurine dose",
    sex: "male",
    age: 29,
    ageAtDx: 22,
    location: "L1",
    behaviour: "B2",
    band: "moderate",
    tpmt: "*1/*3A",
    nudt15: NM,
    hla: false,
    nod2: ["R702W"],
    meds: [taking("prednisone", "Prednisone", 1, "ongoing", DOSE.prednisone)],
    device: true,
  },
  {
    id: "pt-severe-ileocolonic-perianal",
    tests: "severe L3 B3 with perianal disease; HLA-DQA1*05 carrier; infliximab loss of response",
    sex: "female",
    age: 31,
    ageAtDx: 19,
    location: "L3",
    behaviour: "B3",
    perianal: true,
    band: "severe",
    tpmt: NM,
    nudt15: NM,
    hla: true,
    meds: [
      med(IFX, "Infliximab", 36, "stopped", "loss-of-response", 6, ["anti-drug antibodies"]),
      taking(UST, "Ustekinumab", 5, "ongoing", DOSE.ustekinumab),
    ],
    ssn: true,
  },
  {
    id: "pt-moderate-tpmt-poor",
    tests: "TPMT poor metabolizer (*3A/*3A): avoid thiopurines",
    sex: "female",
    age: 38,
    ageAtDx: 30,
    location: "L3",
    behaviour: "B1",
    band: "moderate",
    tpmt: "*3A/*3A",
    nudt15: NM,
    hla: false,
    meds: [],
  },
  {
    id: "pt-moderate-nudt15-im",
    tests: "NUDT15 intermediate (*1/*3)",
    sex: "male",
    age: 27,
    ageAtDx: 25,
    location: "L1",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: "*1/*3",
    hla: false,
    meds: [],
  },
  {
    id: "pt-moderate-nudt15-poor",
    tests: "NUDT15 poor metabolizer (*3/*3)",
    sex: "female",
    age: 42,
    ageAtDx: 39,
    location: "L2",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: "*3/*3",
    hla: false,
    meds: [],
  },
  {
    id: "pt-moderate-tpmt-nudt15-both-im",
    tests: "TPMT and NUDT15 both intermediate (CPIC 2024: 20-50% dose)",
    sex: "male",
    age: 36,
    ageAtDx: 28,
    location: "L3",
    behaviour: "B2",
    band: "moderate",
    tpmt: "*1/*3A",
    nudt15: "*1/*3",
    hla: false,
    meds: [],
  },
  {
    id: "pt-moderate-hla-dqa1-05",
    tests: "HLA-DQA1*05 carrier, anti-TNF naive: immunogenicity risk",
    sex: "female",
    age: 26,
    ageAtDx: 23,
    location: "L3",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: true,
    meds: [med(AZA, "Azathioprine", 24, "stopped", "intolerance", 22, ["pancreatitis"])],
    allergy: { substance: "azathioprine", manifestation: "pancreatitis" },
  },
  {
    id: "pt-antitnf-primary-nonresponse",
    tests: "prior infliximab primary non-response",
    sex: "male",
    age: 40,
    ageAtDx: 33,
    location: "L3",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [med(IFX, "Infliximab", 14, "stopped", "primary-non-response", 11)],
  },
  {
    id: "pt-antitnf-loss-of-response",
    tests: "adalimumab loss of response after initial remission",
    sex: "female",
    age: 48,
    ageAtDx: 35,
    location: "L1",
    behaviour: "B2",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [med(ADA, "Adalimumab", 40, "stopped", "loss-of-response", 2)],
  },
  {
    id: "pt-heart-failure-nyha3",
    tests: "NYHA III heart failure: anti-TNF contraindicated",
    sex: "male",
    age: 62,
    ageAtDx: 50,
    location: "L3",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [],
    comorbidities: ["heartFailureNyha3", "hypertension"],
    device: true,
  },
  {
    id: "pt-latent-tb-untreated",
    tests: "untreated latent TB: biologics need TB treatment first",
    sex: "male",
    age: 33,
    ageAtDx: 28,
    location: "L1",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [],
    comorbidities: ["latentTb"],
  },
  {
    id: "pt-pregnant",
    tests: "pregnancy: methotrexate contraindicated",
    sex: "female",
    age: 30,
    ageAtDx: 21,
    location: "L3",
    behaviour: "B1",
    band: "mild",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [taking(ADA, "Adalimumab", 18, "response", DOSE.adalimumab)],
    comorbidities: ["pregnancy"],
  },
  {
    id: "pt-elderly-cv-risk",
    tests: "age 71 with cardiovascular risk factors: JAK inhibitor caution",
    sex: "male",
    age: 71,
    ageAtDx: 58,
    location: "L2",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [med(VDZ, "Vedolizumab", 20, "stopped", "primary-non-response", 14)],
    comorbidities: ["hypertension", "diabetes2", "hyperlipidemia", "priorMi", "smoker"],
    device: true,
  },
  {
    id: "pt-vte-history",
    tests: "history of venous thromboembolism: JAK inhibitor caution",
    sex: "female",
    age: 52,
    ageAtDx: 44,
    location: "L3",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [med(IFX, "Infliximab", 20, "stopped", "loss-of-response", 3)],
    comorbidities: ["vteHistory"],
  },
  {
    id: "pt-allopurinol",
    tests: "gout on allopurinol: thiopurine interaction",
    sex: "male",
    age: 55,
    ageAtDx: 46,
    location: "L1",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [],
    comorbidities: ["gout"],
    coMeds: [
      { code: "allopurinol", name: "Allopurinol", dosage: { dose: 300, unit: "mg", route: "PO", every: "daily" } },
    ],
  },
  {
    id: "pt-multiple-sclerosis",
    tests: "multiple sclerosis: anti-TNF contraindicated (demyelinating disease)",
    sex: "female",
    age: 39,
    ageAtDx: 32,
    location: "L3",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [],
    comorbidities: ["multipleSclerosis"],
  },
  {
    id: "pt-missing-labs",
    tests: "no calprotectin, hematocrit or CDAI inputs: CDAI marked missing, HBI computed",
    sex: "male",
    age: 44,
    ageAtDx: 40,
    location: "L1",
    behaviour: "B1",
    band: "mild",
    tpmt: null,
    nudt15: null,
    hla: null,
    nod2: null,
    meds: [],
    missingLabs: true,
  },
  {
    id: "pt-age-over-89",
    tests: "age 91: de-identified as 90 or older; birth year removed",
    sex: "female",
    age: 91,
    ageAtDx: 70,
    location: "L2",
    behaviour: "B1",
    band: "mild",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [taking("budesonide", "Budesonide", 3, "ongoing", DOSE.budesonideMaintenance)],
    comorbidities: ["hypertension"],
  },
  {
    id: "pt-restricted-zip",
    tests: "ZIP prefix 036 on the Safe Harbor restricted list: ZIP3 becomes 000",
    sex: "male",
    age: 37,
    ageAtDx: 30,
    location: "L3",
    behaviour: "B1",
    band: "remission",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [taking(UST, "Ustekinumab", 16, "remission", DOSE.ustekinumab)],
    zip: "03601",
  },
  {
    id: "pt-upper-gi-l4",
    tests: "isolated upper GI disease (L4)",
    sex: "female",
    age: 24,
    ageAtDx: 20,
    location: "L4",
    behaviour: "B1",
    band: "mild",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [],
  },
  {
    id: "pt-ileal-upper-gi-stricturing",
    tests: "L1 with upper GI modifier (L1+L4), stricturing B2",
    sex: "male",
    age: 50,
    ageAtDx: 38,
    location: "L1",
    upperGi: true,
    behaviour: "B2",
    band: "severe",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [
      med(ADA, "Adalimumab", 26, "stopped", "loss-of-response", 4),
      med(AZA, "Azathioprine", 26, "completed", "response", 4),
    ],
  },
  {
    id: "pt-hepatitis-b",
    tests: "chronic hepatitis B: screen before immunosuppression",
    sex: "male",
    age: 46,
    ageAtDx: 37,
    location: "L3",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [],
    comorbidities: ["hepatitisB"],
  },
  {
    id: "pt-remission-azathioprine",
    tests: "remission on azathioprine maintenance, TPMT normal",
    sex: "female",
    age: 58,
    ageAtDx: 45,
    location: "L3",
    behaviour: "B1",
    band: "remission",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [taking(AZA, "Azathioprine", 50, "remission", DOSE.azathioprine)],
    comorbidities: ["malignancyHistory"],
  },
  {
    id: "pt-childhood-onset-a1",
    tests: "diagnosed at 14 (Montreal A1), penetrating B3 without perianal disease",
    sex: "male",
    age: 22,
    ageAtDx: 14,
    location: "L3",
    behaviour: "B3",
    band: "severe",
    tpmt: NM,
    nudt15: NM,
    hla: true,
    meds: [
      med(IFX, "Infliximab", 60, "stopped", "adverse-event", 48, ["infusion reaction"]),
      taking(ADA, "Adalimumab", 46, "loss-of-response", DOSE.adalimumab),
    ],
    device: true,
  },
  // Patients for the whole-patient rules of issue #12 (appended, so the seeded PRNG leaves the ones above unchanged).
  {
    id: "pt-remission-adalimumab",
    tests: "in remission on adalimumab 40 mg SC every 2 weeks (maintenance): a new biologic must stop or switch it",
    sex: "male",
    age: 41,
    ageAtDx: 29,
    location: "L3",
    behaviour: "B1",
    band: "remission",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [taking(ADA, "Adalimumab", 28, "remission", DOSE.adalimumab)],
    screening: [
      { key: "igra", result: "negative", monthsAgo: 29 },
      { key: "hbsag", result: "negative", monthsAgo: 29 },
    ],
  },
  {
    id: "pt-remission-ustekinumab",
    tests: "in remission on ustekinumab 90 mg SC every 8 weeks after infliximab loss of response",
    sex: "female",
    age: 36,
    ageAtDx: 24,
    location: "L1",
    behaviour: "B2",
    band: "remission",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [
      med(IFX, "Infliximab", 60, "stopped", "loss-of-response", 26),
      taking(UST, "Ustekinumab", 25, "remission", DOSE.ustekinumab),
    ],
  },
  {
    id: "pt-pregnant-adalimumab",
    tests: "pregnant by urine hCG (no diagnosis code), responding to adalimumab: keep the drug, no new induction",
    sex: "female",
    age: 32,
    ageAtDx: 25,
    location: "L3",
    behaviour: "B1",
    band: "mild",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [taking(ADA, "Adalimumab", 20, "response", DOSE.adalimumab)],
    screening: [
      { key: "hcg_serum", result: "negative", monthsAgo: 14 },
      { key: "hcg_urine", result: "positive", monthsAgo: 2 },
    ],
  },
  {
    id: "pt-thiopurine-pancreatitis",
    tests: "azathioprine-induced pancreatitis (severe intolerance): no thiopurine, mercaptopurine included",
    sex: "male",
    age: 27,
    ageAtDx: 25,
    location: "L3",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [med(AZA, "Azathioprine", 14, "stopped", "intolerance", 13, [{ event: "pancreatitis", severity: "severe" }])],
    allergy: {
      substance: "azathioprine",
      manifestation: "pancreatitis",
      type: "intolerance",
      severity: "severe",
      criticality: "high",
      recordedMonthsAgo: 13,
    },
  },
  {
    id: "pt-infliximab-infusion-reaction",
    tests: "anaphylaxis during an infliximab infusion (criticality high), active disease: no infliximab re-challenge",
    sex: "female",
    age: 34,
    ageAtDx: 28,
    location: "L3",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: true,
    meds: [med(IFX, "Infliximab", 10, "stopped", "adverse-event", 9, [{ event: "anaphylaxis", severity: "severe" }])],
    allergy: {
      substance: "infliximab",
      manifestation: "anaphylaxis",
      type: "allergy",
      severity: "severe",
      criticality: "high",
      recordedMonthsAgo: 9,
    },
  },
  {
    id: "pt-hbsag-positive",
    tests: "HBsAg positive with detectable HBV DNA by lab only (no diagnosis code): active hepatitis B",
    sex: "male",
    age: 44,
    ageAtDx: 38,
    location: "L1",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [],
    screening: [
      { key: "hbsag", result: "positive", monthsAgo: 1 },
      { key: "anti_hbc", result: "positive", monthsAgo: 1 },
      { key: "hbv_dna", result: "positive", monthsAgo: 1, value: 2400 },
      { key: "igra", result: "negative", monthsAgo: 1 },
    ],
  },
  {
    id: "pt-igra-positive",
    tests: "positive IGRA (QuantiFERON), no diagnosis code, no latent-TB treatment: treat before any advanced therapy",
    sex: "female",
    age: 29,
    ageAtDx: 26,
    location: "L3",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [],
    screening: [
      { key: "igra", result: "positive", monthsAgo: 1 },
      { key: "hbsag", result: "negative", monthsAgo: 1 },
      { key: "anti_hbc", result: "negative", monthsAgo: 1 },
    ],
  },
  {
    id: "pt-hbv-past",
    tests: "resolved hepatitis B (anti-HBc positive, HBsAg negative, HBV DNA undetectable): reactivation risk",
    sex: "male",
    age: 57,
    ageAtDx: 49,
    location: "L3",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [],
    screening: [
      { key: "hbsag", result: "negative", monthsAgo: 1 },
      { key: "anti_hbc", result: "positive", monthsAgo: 1 },
      { key: "hbv_dna", result: "negative", monthsAgo: 1, value: 10, comparator: "<" },
    ],
  },
  {
    id: "pt-lactating",
    tests: "breastfeeding (ICD-10-CM Z39.1) with moderate disease: lactation per label",
    sex: "female",
    age: 31,
    ageAtDx: 27,
    location: "L1",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [],
    comorbidities: ["lactating"],
  },
  {
    id: "pt-colonic-only-mild",
    tests: "mild colonic-only disease (Montreal L2), treatment-naive: budesonide (ileal/right colon) not appropriate",
    sex: "female",
    age: 47,
    ageAtDx: 46,
    location: "L2",
    behaviour: "B1",
    band: "mild",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [],
  },
  {
    id: "pt-male-anaemia",
    tests: "man in remission with haemoglobin 12.6 g/dL: low for a man (WHO <13.0), normal for a woman",
    sex: "male",
    age: 38,
    ageAtDx: 30,
    location: "L3",
    behaviour: "B1",
    band: "remission",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [taking(AZA, "Azathioprine", 40, "remission", { ...DOSE.azathioprine, unit: "mg", dose: 150 })],
    labOverrides: { hemoglobin: 12.6 },
  },
  {
    id: "pt-febuxostat",
    tests: "gout on febuxostat, moderate disease: thiopurine interaction (xanthine oxidase inhibitor)",
    sex: "male",
    age: 52,
    ageAtDx: 43,
    location: "L3",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [],
    comorbidities: ["gout"],
    coMeds: [{ code: "febuxostat", name: "Febuxostat", dosage: { dose: 80, unit: "mg", route: "PO", every: "daily" } }],
  },
  {
    id: "pt-jak-over-65",
    tests: "age 68, moderate-to-severe disease after anti-TNF failure: JAK inhibitor age warning (65 and over)",
    sex: "male",
    age: 68,
    ageAtDx: 55,
    location: "L3",
    behaviour: "B2",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [
      med(IFX, "Infliximab", 40, "stopped", "loss-of-response", 22),
      med(ADA, "Adalimumab", 20, "stopped", "primary-non-response", 14),
    ],
  },
  {
    id: "pt-allergy-only-mercaptopurine",
    tests: "mercaptopurine pancreatitis recorded as an AllergyIntolerance only (no medication record of it)",
    sex: "female",
    age: 45,
    ageAtDx: 33,
    location: "L1",
    behaviour: "B1",
    band: "moderate",
    tpmt: NM,
    nudt15: NM,
    hla: false,
    meds: [],
    allergy: {
      substance: "mercaptopurine",
      manifestation: "pancreatitis",
      type: "intolerance",
      severity: "severe",
      criticality: "high",
      recordedMonthsAgo: 60,
    },
  },
];

/** CDAI inputs for each band (7-day sums); hematocrit is the sex standard minus `hctBelow`, weight a fraction of standard. */
const CDAI_TEMPLATE: Record<
  Band,
  {
    liquid_stools: number;
    abdominal_pain: number;
    general_wellbeing: number;
    complications: number;
    antidiarrheal_use: number;
    abdominal_mass: number;
    hctBelow: number;
    weightFraction: number;
  }
> = {
  remission: {
    liquid_stools: 7,
    abdominal_pain: 2,
    general_wellbeing: 3,
    complications: 0,
    antidiarrheal_use: 0,
    abdominal_mass: 0,
    hctBelow: 2,
    weightFraction: 0.98,
  },
  mild: {
    liquid_stools: 20,
    abdominal_pain: 7,
    general_wellbeing: 7,
    complications: 1,
    antidiarrheal_use: 0,
    abdominal_mass: 0,
    hctBelow: 4,
    weightFraction: 0.95,
  },
  moderate: {
    liquid_stools: 35,
    abdominal_pain: 12,
    general_wellbeing: 14,
    complications: 1,
    antidiarrheal_use: 1,
    abdominal_mass: 2,
    hctBelow: 6,
    weightFraction: 0.9,
  },
  severe: {
    liquid_stools: 60,
    abdominal_pain: 18,
    general_wellbeing: 21,
    complications: 3,
    antidiarrheal_use: 1,
    abdominal_mass: 5,
    hctBelow: 10,
    weightFraction: 0.85,
  },
};
const HBI_TEMPLATE: Record<Band, Record<string, number>> = {
  remission: { general_wellbeing: 0, abdominal_pain: 1, liquid_stools: 1, abdominal_mass: 0, complications: 0 },
  mild: { general_wellbeing: 1, abdominal_pain: 1, liquid_stools: 3, abdominal_mass: 0, complications: 1 },
  moderate: { general_wellbeing: 2, abdominal_pain: 2, liquid_stools: 5, abdominal_mass: 1, complications: 1 },
  severe: { general_wellbeing: 3, abdominal_pain: 3, liquid_stools: 8, abdominal_mass: 2, complications: 3 },
};
/** Latest lab values per band (units from loinc.json). */
const LABS: Record<Band, Record<string, number>> = {
  remission: {
    fecal_calprotectin: 35,
    crp: 2,
    hemoglobin: 13.8,
    albumin: 4.3,
    wbc: 6.5,
    platelets: 260,
    alt: 22,
    creatinine: 0.8,
  },
  mild: {
    fecal_calprotectin: 180,
    crp: 8,
    hemoglobin: 12.6,
    albumin: 3.9,
    wbc: 7.4,
    platelets: 320,
    alt: 25,
    creatinine: 0.9,
  },
  moderate: {
    fecal_calprotectin: 620,
    crp: 24,
    hemoglobin: 11.2,
    albumin: 3.4,
    wbc: 9.1,
    platelets: 410,
    alt: 28,
    creatinine: 0.8,
  },
  severe: {
    fecal_calprotectin: 1450,
    crp: 68,
    hemoglobin: 9.1,
    albumin: 2.8,
    wbc: 12.3,
    platelets: 520,
    alt: 31,
    creatinine: 0.9,
  },
};

const FIRST = {
  male: ["James", "Omar", "Luis", "Daniel", "Ethan", "Marcus", "Wei", "Tomas", "Andre", "Kofi", "Ravi", "Henrik"],
  female: ["Maria", "Aisha", "Chloe", "Priya", "Hannah", "Sofia", "Mei", "Grace", "Leila", "Ingrid", "Rosa", "Naomi"],
};
const LAST = [
  "Okafor",
  "Lindqvist",
  "Moreau",
  "Castillo",
  "Nakamura",
  "Brennan",
  "Haddad",
  "Kowalski",
  "Abernathy",
  "Fontaine",
  "Delacroix",
  "Varga",
  "Osei",
  "Petrov",
  "Quintero",
  "Sorensen",
];
const STREETS = [
  "Maple Avenue",
  "Harbor Road",
  "Cedar Lane",
  "Willow Street",
  "Summit Drive",
  "Orchard Way",
  "Beacon Street",
  "Juniper Court",
];
const PLACES = [
  { city: "Springfield", state: "IL", zip: "62704" },
  { city: "Madison", state: "WI", zip: "53711" },
  { city: "Portland", state: "OR", zip: "97214" },
  { city: "Columbus", state: "OH", zip: "43215" },
  { city: "Raleigh", state: "NC", zip: "27607" },
  { city: "Boulder", state: "CO", zip: "80302" },
  { city: "Albany", state: "NY", zip: "12203" },
  { city: "Tucson", state: "AZ", zip: "85719" },
];
const RESTRICTED_PLACE = { city: "Charlestown", state: "NH" };

export { mulberry32 };

function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
const monthsAgo = (m: number) => addDays(AS_OF, -Math.round(m * 30.4375));
const at = (date: string) => `${date}T09:00:00Z`;
const round1 = (x: number) => Math.round(x * 10) / 10;

type Resource = { resourceType: string; id: string; [k: string]: unknown };

export function buildBundle(
  spec: Spec,
  rand: () => number,
): { resourceType: "Bundle"; type: "transaction"; entry: unknown[] } {
  const loinc = loadLoinc();
  const scores = loadScores();
  const pick = <T>(xs: readonly T[]): T => {
    const x = xs[Math.floor(rand() * xs.length)];
    if (x === undefined) throw new Error("pick from an empty list");
    return x;
  };
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 10)).join("");
  const pid = spec.id;
  const subject = { reference: `Patient/${pid}` };
  const resources: Resource[] = [];
  const given = pick(FIRST[spec.sex]);
  const family = pick(LAST);
  const birthDate = addDays(AS_OF, -Math.round((spec.age + 0.2 + rand() * 0.6) * 365.25));
  const place = spec.zip ? { ...RESTRICTED_PLACE, zip: spec.zip } : pick(PLACES);
  const phone = `555-${digits(3)}-${digits(4)}`;
  const email = `${given}.${family}${digits(2)}@example.org`.toLowerCase();
  const mrn = `MRN${digits(7)}`;
  const identifier: unknown[] = [
    {
      use: "usual",
      type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "MR" }] },
      system: SYSTEMS.mrn,
      value: mrn,
    },
  ];
  if (spec.ssn) identifier.push({ system: "http://hl7.org/fhir/sid/us-ssn", value: `999-${digits(2)}-${digits(4)}` });
  resources.push({
    resourceType: "Patient",
    id: pid,
    identifier,
    name: [{ use: "official", family, given: [given] }],
    gender: spec.sex,
    birthDate,
    telecom: [
      { system: "phone", value: phone, use: "mobile" },
      { system: "email", value: email },
    ],
    address: [
      {
        use: "home",
        line: [`${10 + Math.floor(rand() * 980)} ${pick(STREETS)}`],
        city: place.city,
        state: place.state,
        postalCode: place.zip,
        country: "US",
      },
    ],
  });

  const onset = addDays(birthDate, Math.round((spec.ageAtDx + 0.5) * 365.25));
  const icd = spec.location === "L1" || spec.location === "L4" ? "K50.0" : spec.location === "L2" ? "K50.1" : "K50.8";
  const dx = loinc.diagnosisCodes;
  const snomed = dx.find((c) => c.system === "http://snomed.info/sct");
  const icdCoding = dx.find((c) => c.system === "http://hl7.org/fhir/sid/icd-10-cm" && c.code === icd);
  if (!snomed || !icdCoding) throw new Error("loinc.json lacks Crohn's diagnosis codes");
  const montreal = [
    { url: "age", valueCode: ageCode(spec.ageAtDx, scores) },
    { url: "location", valueCode: spec.location },
    { url: "upperGi", valueBoolean: spec.location === "L4" || !!spec.upperGi },
    { url: "behaviour", valueCode: spec.behaviour },
    { url: "perianal", valueBoolean: !!spec.perianal },
  ];
  resources.push({
    resourceType: "Condition",
    id: `${pid}-crohns`,
    clinicalStatus: {
      coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }],
    },
    verificationStatus: {
      coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-ver-status", code: "confirmed" }],
    },
    category: [
      { coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-category", code: "problem-list-item" }] },
    ],
    code: { coding: [pickCoding(snomed), pickCoding(icdCoding)], text: "Crohn's disease" },
    subject,
    onsetDateTime: onset,
    extension: [{ url: EXT.montreal, extension: montreal }],
  });
  for (const key of spec.comorbidities ?? []) {
    const c = COMORBIDITIES[key];
    resources.push({
      resourceType: "Condition",
      id: `${pid}-${key.toLowerCase()}`,
      clinicalStatus: {
        coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }],
      },
      verificationStatus: {
        coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-ver-status", code: "confirmed" }],
      },
      category: [
        { coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-category", code: "problem-list-item" }] },
      ],
      code: {
        coding: [{ system: "http://hl7.org/fhir/sid/icd-10-cm", code: c.code, display: c.display }],
        text: c.display,
      },
      subject,
      onsetDateTime: monthsAgo(24 + Math.floor(rand() * 60)),
      ...("nyha" in c
        ? {
            stage: [
              {
                summary: {
                  coding: [{ system: SYSTEMS.nyha, code: String(c.nyha) }],
                  text: `NYHA class ${"I".repeat(c.nyha)}`,
                },
              },
            ],
          }
        : {}),
    });
  }

  // Observations at three visits: 12 and 6 months ago (jittered) and AS_OF (exact template values).
  const visits = [12, 6, 0].map((m) => at(monthsAgo(m)));
  const [first, , latest] = visits as [string, string, string];
  const obs = (id: string, key: string, value: number, effective: string) => {
    const e = loinc.byKey(key);
    if (!e.ucum) throw new Error(`loinc.json ${key} has no UCUM unit`);
    resources.push({
      resourceType: "Observation",
      id,
      status: "final",
      category: [
        {
          coding: [
            {
              system: "http://terminology.hl7.org/CodeSystem/observation-category",
              code: e.group === "labs" ? "laboratory" : "vital-signs",
            },
          ],
        },
      ],
      code: { coding: [loinc.codingFor(key)], text: e.display },
      subject,
      effectiveDateTime: effective,
      valueQuantity: { value, unit: e.ucum, system: loinc.ucumSystem, code: e.ucum },
    });
  };
  const labKeys = Object.keys(LABS[spec.band]).filter((k) => !(spec.missingLabs && k === "fecal_calprotectin"));
  const standardWeight = round1(spec.sex === "male" ? 72 + rand() * 12 : 58 + rand() * 10);
  const t = CDAI_TEMPLATE[spec.band];
  const hctStandard = spec.sex === "male" ? scores.cdaiHematocritStandard.male : scores.cdaiHematocritStandard.female;
  visits.forEach((when, v) => {
    const drift = v === 2 ? 0 : (2 - v) * 0.15;
    for (const key of labKeys) {
      const base = spec.labOverrides?.[key] ?? LABS[spec.band][key] ?? 0;
      const value = v === 2 ? base : round1(base * (1 + drift * (rand() - 0.3)));
      obs(`${pid}-${key.replace(/_/g, "-")}-${v}`, key, value, when);
    }
    if (!spec.missingLabs)
      obs(
        `${pid}-hematocrit-${v}`,
        "hematocrit",
        v === 2 ? hctStandard - t.hctBelow : round1(hctStandard - t.hctBelow + rand() * 2),
        when,
      );
    obs(
      `${pid}-body-weight-${v}`,
      "body_weight",
      round1(standardWeight * t.weightFraction + (v === 2 ? 0 : rand() * 2)),
      when,
    );
  });
  obs(
    `${pid}-body-height`,
    "body_height",
    Math.round(spec.sex === "male" ? 170 + rand() * 15 : 158 + rand() * 14),
    first,
  );

  const panel = (
    id: string,
    code: string,
    display: string,
    values: Record<string, number>,
    unitOf: (k: string) => string,
  ) =>
    resources.push({
      resourceType: "Observation",
      id,
      status: "final",
      category: [
        { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "survey" }] },
      ],
      code: { coding: [{ system: HMS_OBSERVATION_SYSTEM, code, display }], text: display },
      subject,
      effectiveDateTime: latest,
      component: Object.entries(values).map(([k, value]) => ({
        code: { coding: [{ system: HMS_OBSERVATION_SYSTEM, code: k }], text: k },
        valueQuantity: { value, unit: unitOf(k), system: loinc.ucumSystem, code: unitOf(k) },
      })),
    });
  if (!spec.missingLabs) {
    const { hctBelow: _h, weightFraction: _w, ...inputs } = t;
    panel(
      `${pid}-cdai-inputs`,
      HMS_CODES.cdaiInputs,
      "CDAI inputs (7-day diary and examination)",
      { ...inputs, [HMS_CODES.standardWeight]: standardWeight },
      (k) => (k === HMS_CODES.standardWeight ? "kg" : "1"),
    );
  }
  panel(
    `${pid}-hbi-inputs`,
    HMS_CODES.hbiInputs,
    "Harvey-Bradshaw Index inputs (previous day)",
    HBI_TEMPLATE[spec.band],
    () => "1",
  );

  // Genotype results.
  const genoDate = at(monthsAgo(18));
  const geno = (
    id: string,
    coding: { system: string; code: string; display?: string },
    value: Record<string, unknown>,
  ) =>
    resources.push({
      resourceType: "Observation",
      id,
      status: "final",
      category: [
        { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" }] },
      ],
      code: { coding: [coding], text: coding.display ?? coding.code },
      subject,
      effectiveDateTime: genoDate,
      ...value,
    });
  if (spec.tpmt)
    geno(`${pid}-tpmt-genotype`, loinc.codingFor("tpmt_genotype"), { valueCodeableConcept: { text: spec.tpmt } });
  if (spec.nudt15)
    geno(`${pid}-nudt15-genotype`, loinc.codingFor("nudt15_genotype"), { valueCodeableConcept: { text: spec.nudt15 } });
  if (spec.hla !== null)
    geno(
      `${pid}-hla-dqa1-05`,
      { system: HMS_OBSERVATION_SYSTEM, code: HMS_CODES.hlaDqa105, display: "HLA-DQA1*05 carriage (rs2097432 tag)" },
      { valueBoolean: spec.hla },
    );
  const nod2 = spec.nod2 === undefined ? [] : spec.nod2;
  if (nod2 !== null)
    geno(
      `${pid}-nod2`,
      { system: HMS_OBSERVATION_SYSTEM, code: HMS_CODES.nod2, display: "NOD2 variants found" },
      { valueCodeableConcept: { text: nod2.length ? nod2.join(", ") : "none detected" } },
    );

  // Pre-treatment screening: qualitative results as SNOMED CT qualifier values, HBV DNA in IU/mL.
  (spec.screening ?? []).forEach((t, i) => {
    const e = loinc.byKey(t.key);
    const value =
      e.result_type === "qualitative"
        ? {
            valueCodeableConcept: {
              coding: [RESULT_CODINGS[t.result]],
              text: t.result === "positive" ? "Positive" : "Negative",
            },
          }
        : {
            valueQuantity: {
              ...(t.comparator ? { comparator: t.comparator } : {}),
              value: t.value,
              unit: "IU/mL",
              system: loinc.ucumSystem,
              code: e.ucum,
            },
          };
    resources.push({
      resourceType: "Observation",
      id: `${pid}-${t.key.replace(/_/g, "-")}-${i}`,
      status: "final",
      category: [
        { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" }] },
      ],
      code: { coding: [loinc.codingFor(t.key)], text: e.display },
      subject,
      effectiveDateTime: at(monthsAgo(t.monthsAgo)),
      ...value,
    });
  });

  // Medication history with response and adverse events; active drugs with their dosage.
  spec.meds.forEach((m, i) => {
    resources.push({
      resourceType: "MedicationStatement",
      id: `${pid}-med-${i}`,
      status: m.status,
      medicationCodeableConcept: { coding: [{ system: SYSTEMS.drug, code: m.drug, display: m.name }], text: m.name },
      subject,
      effectivePeriod: {
        start: monthsAgo(m.startMonthsAgo),
        ...(m.endMonthsAgo !== undefined ? { end: monthsAgo(m.endMonthsAgo) } : {}),
      },
      dateAsserted: AS_OF,
      reasonCode: [{ coding: [pickCoding(snomed)], text: "Crohn's disease" }],
      ...(m.dosage ? { dosage: [dosageOf(m.dosage)] } : {}),
      extension: [
        { url: EXT.treatmentResponse, valueCode: m.response },
        ...(m.dosage?.phase ? [{ url: EXT.treatmentPhase, valueCode: m.dosage.phase }] : []),
        ...(m.adverseEvents ?? []).map((a) =>
          typeof a === "string"
            ? { url: EXT.adverseEvent, valueString: a }
            : {
                url: EXT.adverseEvent,
                extension: [
                  { url: "event", valueString: a.event },
                  { url: "severity", valueCode: a.severity },
                ],
              },
        ),
      ],
    });
  });
  (spec.coMeds ?? []).forEach((m, i) => {
    resources.push({
      resourceType: "MedicationStatement",
      id: `${pid}-comed-${i}`,
      status: "active",
      medicationCodeableConcept: { coding: [{ system: SYSTEMS.drug, code: m.code, display: m.name }], text: m.name },
      subject,
      effectivePeriod: { start: monthsAgo(30) },
      dateAsserted: AS_OF,
      ...(m.dosage ? { dosage: [dosageOf(m.dosage)] } : {}),
    });
  });
  if (spec.allergy) {
    const a = spec.allergy;
    resources.push({
      resourceType: "AllergyIntolerance",
      id: `${pid}-allergy-0`,
      clinicalStatus: {
        coding: [{ system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", code: "active" }],
      },
      verificationStatus: {
        coding: [
          { system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", code: "confirmed" },
        ],
      },
      type: a.type ?? "intolerance",
      category: ["medication"],
      ...(a.criticality ? { criticality: a.criticality } : {}),
      code: { coding: [{ system: SYSTEMS.drug, code: a.substance }], text: a.substance },
      patient: subject,
      ...(a.recordedMonthsAgo !== undefined ? { recordedDate: monthsAgo(a.recordedMonthsAgo) } : {}),
      reaction: [{ manifestation: [{ text: a.manifestation }], ...(a.severity ? { severity: a.severity } : {}) }],
    });
  }
  if (spec.device) {
    const serial = `SN-${digits(4)}-${digits(6)}`;
    resources.push({
      resourceType: "Device",
      id: `${pid}-device-0`,
      status: "active",
      serialNumber: serial,
      udiCarrier: [{ deviceIdentifier: `0${digits(13)}`, carrierHRF: `(01)0${digits(13)}(21)${serial}` }],
      deviceName: [{ name: `Home monitor ${serial}`, type: "user-friendly-name" }],
      patient: subject,
    });
  }
  return {
    resourceType: "Bundle",
    type: "transaction",
    entry: resources.map((r) => ({
      fullUrl: `urn:hms:${r.resourceType}/${r.id}`,
      resource: r,
      request: { method: "PUT", url: `${r.resourceType}/${r.id}` },
    })),
  };
}

/** MedicationStatement.dosage[0] for a DosageSpec (UCUM dose, SNOMED CT route, timing). */
function dosageOf(d: DosageSpec) {
  const route = ROUTES[d.route];
  const when = d.every === "daily" ? "daily" : `every ${d.every} week${d.every === 1 ? "" : "s"}`;
  return {
    text: `${d.dose} ${d.unit} ${d.route} ${when}${d.phase ? ` (${d.phase})` : ""}`,
    timing: {
      repeat:
        d.every === "daily"
          ? { frequency: 1, period: 1, periodUnit: "d" }
          : { frequency: 1, period: d.every, periodUnit: "wk" },
    },
    route: { coding: [{ system: "http://snomed.info/sct", ...route }], text: route.display },
    doseAndRate: [{ doseQuantity: { value: d.dose, unit: d.unit, system: "http://unitsofmeasure.org", code: d.unit } }],
  };
}

function pickCoding(c: { system: string; code: string; display: string }) {
  return { system: c.system, code: c.code, display: c.display };
}

function ageCode(age: number, scores: ReturnType<typeof loadScores>): string {
  for (const a of scores.montreal.age) {
    const r = a.rule;
    let m: RegExpExecArray | null;
    if ((m = /^<=\s*(\d+)/.exec(r)) && age <= Number(m[1])) return a.code;
    if ((m = /^(\d+)\s*-\s*(\d+)/.exec(r)) && age >= Number(m[1]) && age <= Number(m[2])) return a.code;
    if ((m = /^>\s*(\d+)/.exec(r)) && age > Number(m[1])) return a.code;
  }
  throw new Error(`no Montreal age code for ${age}`);
}

function readme(): string {
  const scores = loadScores();
  const rows = SPECS.map((s) => {
    const montreal = `${ageCode(s.ageAtDx, scores)} ${s.location}${s.upperGi ? "+L4" : ""} ${s.behaviour}${s.perianal ? "p" : ""}`;
    const code = (x: string | null) => (x ? `\`${x}\`` : "not tested");
    const geno = `TPMT ${code(s.tpmt)}, NUDT15 ${code(s.nudt15)}${s.hla ? ", HLA-DQA1\\*05 carrier" : ""}`;
    return `| \`${s.id}\` | ${s.tests.replace(/\*/g, "\\*")} | ${s.band}${s.missingLabs ? " (CDAI missing)" : ""} | ${montreal} | ${geno} | ${s.age} ${s.sex} |`;
  });
  return [
    "# Synthetic Crohn's patients",
    "",
    "Invented people, written by `npx tsx scripts/gen-patients.ts` (seeded; re-running gives identical files).",
    "Each file is a FHIR R4 transaction bundle of PUTs with stable ids, loaded by the embedded FHIR server at start.",
    `Dates are relative to ${AS_OF}. Codes and units come from \`clinical/reference/data/loinc.json\`; comorbidities are ICD-10-CM.`,
    "The band column is the activity the CDAI inputs were chosen to give (CDAI and HBI agree).",
    "",
    "| patient id | tests | activity | Montreal | genotype | age, sex |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "Devices (Device with serial number and UDI) are attached to: " +
      SPECS.filter((s) => s.device)
        .map((s) => `\`${s.id}\``)
        .join(", ") +
      ".",
    "",
    "Every active drug carries its dosage (`dosage[0]`: UCUM dose, SNOMED CT route, timing, and the treatment-phase",
    "extension), following the label regimens in `drugs.json`. Screening results (LOINC codes from `loinc.json`;",
    "qualitative values as SNOMED CT 10828004 Positive / 260385009 Negative, HBV DNA in IU/mL) are recorded for: " +
      SPECS.filter((s) => s.screening?.length)
        .map((s) => `\`${s.id}\` (${s.screening!.map((t) => `${t.key} ${t.result}`).join(", ")})`)
        .join("; ") +
      ". AllergyIntolerance resources: " +
      SPECS.filter((s) => s.allergy)
        .map((s) => `\`${s.id}\` (${s.allergy!.substance}: ${s.allergy!.manifestation})`)
        .join("; ") +
      ".",
    "",
  ].join("\n");
}

function main(): void {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const seed = Number(arg("--seed") ?? DEFAULT_SEED);
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const out = resolve(arg("--out") ?? join(root, "examples", "patients"));
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (f.startsWith("pt-") && f.endsWith(".json")) rmSync(join(out, f));
  const rand = mulberry32(seed);
  for (const spec of SPECS)
    writeFileSync(join(out, `${spec.id}.json`), `${JSON.stringify(buildBundle(spec, rand), null, 1)}\n`);
  writeFileSync(join(out, "README.md"), readme());
  process.stdout.write(`wrote ${SPECS.length} patient bundles to ${out}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
