import { z } from "zod";

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
  hepatitisBActive: z.boolean(),
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
  comorbidities: ComorbiditiesSchema,
  /** FHIR references of every resource read to build this summary (provenance). */
  sources: z.array(z.string()),
  /** True when the consent agent's obligation "de-identify" was applied. */
  deidentified: z.boolean().default(false),
});
export type PatientSummary = z.infer<typeof PatientSummarySchema>;
