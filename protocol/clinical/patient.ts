import { z } from "zod";
import { DoseUnitSchema, RouteSchema, ScheduleSchema } from "./regimen.js";

/**
 * Clinical wire types shared by the EHR, consent, optimizer, verifier and coordinator agents.
 * One schema per wire type; types come from z.infer.
 */

/** A FHIR logical id as the server gives it (FHIR R4 id datatype: [A-Za-z0-9\-\.]{1,64}). */
export const FhirIdSchema = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, "must be a FHIR id ([A-Za-z0-9-.], 1-64 chars)");

/** A coded value: system URI + code + display (FHIR Coding). */
export const CodingSchema = z.object({
  system: z.string(),
  code: z.string(),
  display: z.string().optional(),
});
export type Coding = z.infer<typeof CodingSchema>;

/** Montreal classification for Crohn's disease (scores.json "Montreal"). */
export const MontrealSchema = z.object({
  /** A1 (≤16 y), A2 (17-40 y), A3 (>40 y) at diagnosis. */
  age: z.enum(["A1", "A2", "A3"]).nullable(),
  /** L1 ileal, L2 colonic, L3 ileocolonic, L4 isolated upper GI. */
  location: z.enum(["L1", "L2", "L3", "L4"]).nullable(),
  /** Upper-GI modifier (L4 added to L1-L3). */
  upperGi: z.boolean().default(false),
  /** B1 non-stricturing non-penetrating, B2 stricturing, B3 penetrating. */
  behaviour: z.enum(["B1", "B2", "B3"]).nullable(),
  perianal: z.boolean().default(false),
});
export type Montreal = z.infer<typeof MontrealSchema>;

export const ActivityBandSchema = z.enum(["remission", "mild", "moderate", "severe"]);
export type ActivityBand = z.infer<typeof ActivityBandSchema>;

/** A computed index (CDAI or HBI): value and band, or marked missing with the inputs that were absent. */
export const ScoreResultSchema = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("computed"),
    value: z.number(),
    band: ActivityBandSchema,
    /** ISO date of the newest input used. */
    asOf: z.string().optional(),
    /** Reference entry the formula and thresholds come from, e.g. "scores.json#CDAI". */
    source: z.string(),
  }),
  z.object({
    status: z.literal("missing"),
    missingInputs: z.array(z.string()).min(1),
    source: z.string(),
  }),
]);
export type ScoreResult = z.infer<typeof ScoreResultSchema>;

export const InterpretationSchema = z.enum(["low", "normal", "high", "critical-low", "critical-high", "unknown"]);

/** One lab or vital measurement, as read from a FHIR Observation. */
export const LabValueSchema = z.object({
  /** Key in loinc.json (e.g. "fecal_calprotectin"). */
  key: z.string(),
  loinc: z.string(),
  display: z.string(),
  value: z.number(),
  /** UCUM unit code. */
  unit: z.string(),
  /** ISO date-time of the observation's effective time. */
  effective: z.string(),
  interpretation: InterpretationSchema,
  /** What the value means against the reference's decision thresholds, e.g. "calprotectin > 250 ug/g: active inflammation likely". */
  meaning: z.string().optional(),
  /** FHIR reference of the source resource, e.g. "Observation/123". */
  ref: z.string(),
});
export type LabValue = z.infer<typeof LabValueSchema>;

/** CPIC phenotypes for TPMT and NUDT15 (pharmacogenomics.json cpic_thiopurines.phenotypes). */
export const PgxPhenotypeSchema = z.enum([
  "normal",
  "intermediate",
  "possible-intermediate",
  "poor",
  "indeterminate",
  "unknown",
]);
export type PgxPhenotype = z.infer<typeof PgxPhenotypeSchema>;

export const GenotypeSchema = z.object({
  /** TPMT diplotype, e.g. "*1/*3A"; null when not tested. */
  tpmt: z.string().nullable(),
  nudt15: z.string().nullable(),
  /** HLA-DQA1*05 carriage; null when not tested. */
  hlaDqa105: z.boolean().nullable(),
  /** NOD2 variants found, e.g. ["R702W"]; null when not tested. */
  nod2: z.array(z.string()).nullable(),
});
export type Genotype = z.infer<typeof GenotypeSchema>;

export const PharmacogenomicsSchema = z.object({
  tpmtPhenotype: PgxPhenotypeSchema,
  nudt15Phenotype: PgxPhenotypeSchema,
  /** Starting thiopurine dose as a fraction of standard per CPIC (1 = full dose, 0 = avoid); null when unknown. */
  thiopurineDoseFraction: z.number().min(0).max(1).nullable(),
  /** CPIC recommendation text and its source. */
  recommendation: z.string(),
  source: z.string(),
});
export type Pharmacogenomics = z.infer<typeof PharmacogenomicsSchema>;

export const TreatmentResponseSchema = z.enum([
  "remission",
  "response",
  "primary-non-response",
  "loss-of-response",
  "intolerance",
  "adverse-event",
  "ongoing",
  "unknown",
]);
export type TreatmentResponse = z.infer<typeof TreatmentResponseSchema>;

/** One past or current medication with how it went. */
export const TreatmentHistoryItemSchema = z.object({
  /** Drug id in drugs.json (e.g. "infliximab"). */
  drug: z.string(),
  drugClass: z.string(),
  start: z.string().optional(),
  end: z.string().optional(),
  status: z.enum(["active", "completed", "stopped", "unknown"]),
  response: TreatmentResponseSchema,
  adverseEvents: z.array(z.string()).default([]),
  ref: z.string(),
});
export type TreatmentHistoryItem = z.infer<typeof TreatmentHistoryItemSchema>;

/**
 * A drug the patient takes now (an active MedicationStatement or an active order), with the dose
 * and schedule as recorded, so a plan can say what happens to it. Dose fields are null when the
 * record does not carry them in a form we read.
 */
export const CurrentMedicationSchema = z.object({
  /** drugs.json id when the drug is in the reference, else the recorded name in lower case (e.g. "allopurinol"). */
  drug: z.string().min(1),
  /** drugs.json class; null for a co-medication outside the reference. */
  drugClass: z.string().nullable(),
  status: z.enum(["active", "on-hold"]),
  dose: z.number().positive().nullable(),
  unit: DoseUnitSchema.nullable(),
  route: RouteSchema.nullable(),
  schedule: ScheduleSchema.nullable(),
  /** Phase when the record says (an induction course still running, or maintenance). */
  phase: z.enum(["induction", "maintenance", "taper"]).nullable(),
  /** ISO date the drug was started. */
  since: z.string().optional(),
  /** How the patient responds to it now (the record's treatment-response extension), "ongoing" when not said. */
  response: TreatmentResponseSchema,
  ref: z.string(),
});
export type CurrentMedication = z.infer<typeof CurrentMedicationSchema>;

export const ReactionSeveritySchema = z.enum(["mild", "moderate", "severe"]);
export type ReactionSeverity = z.infer<typeof ReactionSeveritySchema>;

/**
 * An allergy or intolerance (FHIR AllergyIntolerance, or an adverse event recorded on a medication
 * statement), kept whether or not a medication record of the same drug exists.
 */
export const AllergySchema = z.object({
  /** drugs.json id when the substance is a reference drug, else the recorded text in lower case. */
  substance: z.string().min(1),
  /** drugs.json class of the substance; null when not a reference drug. */
  drugClass: z.string().nullable(),
  type: z.enum(["allergy", "intolerance"]).nullable(),
  category: z.enum(["medication", "food", "environment", "biologic"]).nullable(),
  criticality: z.enum(["low", "high", "unable-to-assess"]).nullable(),
  /** active | inactive | resolved (AllergyIntolerance.clinicalStatus); adverse events on a medication are "active". */
  clinicalStatus: z.enum(["active", "inactive", "resolved"]),
  reactions: z.array(
    z.object({
      /** What happened, e.g. "pancreatitis", "infusion reaction", "anaphylaxis". */
      manifestation: z.string(),
      severity: ReactionSeveritySchema.nullable(),
    }),
  ),
  recordedDate: z.string().optional(),
  ref: z.string(),
});
export type Allergy = z.infer<typeof AllergySchema>;

/** Pre-treatment screening tests the rules read. */
export const ScreeningTestSchema = z.enum([
  /** Interferon-gamma release assay (TB infection). */
  "igra",
  /** Tuberculin skin test. */
  "tst",
  /** Hepatitis B surface antigen. */
  "hbsag",
  /** Hepatitis B core antibody (total). */
  "anti-hbc",
  /** Hepatitis B virus DNA (viral load). */
  "hbv-dna",
  /** hCG, urine or serum (pregnancy test). */
  "hcg",
]);
export type ScreeningTest = z.infer<typeof ScreeningTestSchema>;

/** A screening result with its date, as read from a qualitative (or quantitative) Observation. */
export const ScreeningResultSchema = z.object({
  test: ScreeningTestSchema,
  result: z.enum(["positive", "negative", "indeterminate"]),
  /** Quantitative value when the test reports one (HBV DNA in IU/mL). */
  value: z.number().optional(),
  unit: z.string().optional(),
  /** ISO date-time the sample was taken. */
  effective: z.string(),
  loinc: z.string(),
  ref: z.string(),
});
export type ScreeningResult = z.infer<typeof ScreeningResultSchema>;

/**
 * Conditions that matter to treatment choice. Flags are the ones the verifier's rules read;
 * `conditions` keeps the coded list.
 */
export const ComorbiditiesSchema = z.object({
  conditions: z.array(z.object({ code: CodingSchema, display: z.string(), ref: z.string(), active: z.boolean() })),
  activeSeriousInfection: z.boolean(),
  latentTbUntreated: z.boolean(),
  /** NYHA class 1-4 when heart failure is recorded, else null. */
  heartFailureNyha: z.number().int().min(1).max(4).nullable(),
  demyelinatingDisease: z.boolean(),
  pregnant: z.boolean(),
  /** Breastfeeding (ICD-10-CM Z39.1), read by the lactation rules. */
  lactating: z.boolean().default(false),
  /** Chronic or active hepatitis B: a coded diagnosis, a positive HBsAg or a detectable HBV DNA. */
  hepatitisBActive: z.boolean(),
  /** Resolved/past hepatitis B (anti-HBc positive, HBsAg negative): reactivation risk under immunosuppression. */
  hepatitisBPast: z.boolean().default(false),
  vteHistory: z.boolean(),
  cardiovascularRisk: z.boolean(),
  malignancyHistory: z.boolean(),
  /** Current co-medications that interact (drug ids or names, e.g. "allopurinol", "trimethoprim"). */
  currentInteractingMedications: z.array(z.string()),
});
export type Comorbidities = z.infer<typeof ComorbiditiesSchema>;

export const PatientSummarySchema = z.object({
  patientId: FhirIdSchema,
  demographics: z.object({
    /** Omitted or replaced by a pseudonym when de-identified. */
    name: z.string().optional(),
    mrn: z.string().optional(),
    birthDate: z.string().optional(),
    /** Age in whole years ("90+" rule applied after de-identification as the number 90 with ageTopCoded). */
    age: z.number().int().min(0),
    ageTopCoded: z.boolean().default(false),
    sex: z.enum(["male", "female", "other", "unknown"]),
    /** Latest body weight in kg, null when not recorded. */
    weightKg: z.number().positive().nullable(),
    heightCm: z.number().positive().nullable(),
  }),
  diagnosis: z.object({
    code: CodingSchema,
    onset: z.string().optional(),
    montreal: MontrealSchema,
  }),
  activity: z.object({
    cdai: ScoreResultSchema,
    hbi: ScoreResultSchema,
    /** Overall band: CDAI band when computed, else HBI band, else from biomarkers, else "unknown". */
    band: z.union([ActivityBandSchema, z.literal("unknown")]),
  }),
  labs: z.array(LabValueSchema),
  genotype: GenotypeSchema,
  pharmacogenomics: PharmacogenomicsSchema,
  treatmentHistory: z.array(TreatmentHistoryItemSchema),
  /** What the patient takes now (advanced therapies, immunomodulators, steroids, co-medications). */
  currentMedications: z.array(CurrentMedicationSchema).default([]),
  /** Allergies, intolerances and documented adverse drug reactions. */
  allergies: z.array(AllergySchema).default([]),
  /** Newest result per screening test (TB, hepatitis B, pregnancy), with its date. */
  screening: z.array(ScreeningResultSchema).default([]),
  comorbidities: ComorbiditiesSchema,
  /** FHIR references of every resource read to build this summary (provenance). */
  sources: z.array(z.string()),
  /** True when the consent agent's obligation "de-identify" was applied. */
  deidentified: z.boolean().default(false),
});
export type PatientSummary = z.infer<typeof PatientSummarySchema>;
