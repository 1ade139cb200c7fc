import { z } from "zod";
import { FhirIdSchema, LabValueSchema, PatientSummarySchema } from "./patient.js";

/**
 * Wire types of the EHR agent's skills: patient search, summaries, observations, care-plan writes
 * and the change feed. One schema per wire type; types come from z.infer.
 */

export const DEFAULT_OBSERVATION_COUNT = 20;
export const MAX_OBSERVATION_COUNT = 200;
export const DEFAULT_PATIENT_SEARCH_COUNT = 20;

export const PatientSearchInputSchema = z
  .object({
    identifier: z.string().min(1).optional().describe("MRN, or system|value"),
    name: z.string().min(1).optional(),
    birthdate: z
      .string()
      .regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, "must be YYYY, YYYY-MM or YYYY-MM-DD")
      .optional(),
    count: z.number().int().min(1).max(100).default(DEFAULT_PATIENT_SEARCH_COUNT),
  })
  .refine((v) => v.identifier || v.name || v.birthdate, {
    message: "give at least one of identifier, name, birthdate",
  });
export type PatientSearchInput = z.infer<typeof PatientSearchInputSchema>;

export const PatientHitSchema = z.object({
  patientId: FhirIdSchema,
  name: z.string().optional(),
  mrn: z.string().optional(),
  birthDate: z.string().optional(),
  sex: z.string().optional(),
});
export type PatientHit = z.infer<typeof PatientHitSchema>;
export const PatientSearchOutputSchema = z.object({
  patients: z.array(PatientHitSchema),
  withheld: z.number().int().nonnegative(),
});
export type PatientSearchOutput = z.infer<typeof PatientSearchOutputSchema>;

export const SummaryInputSchema = z.object({ patientId: FhirIdSchema });
export const SummaryOutputSchema = z.object({ summary: PatientSummarySchema });

const IsoDateOrTimeSchema = z.iso.date().or(z.iso.datetime({ offset: true }));

export const ObservationQuerySchema = z.object({
  patientId: FhirIdSchema,
  /** loinc.json key (e.g. "fecal_calprotectin") or LOINC code (e.g. "38445-3"). */
  code: z
    .string()
    .regex(/^[A-Za-z0-9_\-.|:/]{1,200}$/, "must be a loinc.json key or a LOINC code")
    .optional(),
  /** ISO dates or date-times, inclusive. */
  since: IsoDateOrTimeSchema.optional(),
  until: IsoDateOrTimeSchema.optional(),
  count: z.number().int().min(1).max(MAX_OBSERVATION_COUNT).default(DEFAULT_OBSERVATION_COUNT),
});
export type ObservationQuery = z.infer<typeof ObservationQuerySchema>;
export const ObservationItemSchema = LabValueSchema.partial({ key: true, interpretation: true }).extend({
  value: z.number().optional(),
  text: z.string().optional(),
});
export const ObservationsOutputSchema = z.object({
  observations: z.array(ObservationItemSchema),
  deidentified: z.boolean(),
});
export type ObservationsOutput = z.infer<typeof ObservationsOutputSchema>;

export const SyncInputSchema = z.object({
  /** ISO instant; changes strictly after it. Default: where the last sync ended (or the last hour on first call). */
  since: z.iso.datetime({ offset: true }).optional(),
  types: z
    .array(z.string().regex(/^[A-Z][A-Za-z]+$/))
    .default([
      "Patient",
      "Condition",
      "Observation",
      "MedicationStatement",
      "MedicationRequest",
      "AllergyIntolerance",
      "CarePlan",
    ]),
  count: z.number().int().min(1).max(1000).default(200),
});
export type SyncInput = z.infer<typeof SyncInputSchema>;
export const EhrChangeSchema = z.object({
  ref: z.string(),
  resourceType: z.string(),
  patientId: z.string().optional(),
  lastUpdated: z.string(),
});
export type EhrChange = z.infer<typeof EhrChangeSchema>;
export const SyncOutputSchema = z.object({ changes: z.array(EhrChangeSchema), since: z.string(), until: z.string() });
export type SyncOutput = z.infer<typeof SyncOutputSchema>;

/** One drug of a care-plan write (a subset of the plan's RegimenItem; extra fields are ignored). */
export const CarePlanRegimenItemSchema = z.object({
  /** drugs.json id, e.g. "ustekinumab". */
  drug: z.string().min(1),
  drugName: z.string().optional(),
  dose: z.number().positive().optional(),
  /** UCUM unit of the dose, e.g. "mg" or "mg/kg". */
  unit: z.string().optional(),
  route: z.string().optional(),
  /** Free-text schedule, e.g. "every 8 weeks". */
  frequency: z.string().optional(),
  note: z.string().optional(),
});
export type CarePlanRegimenItem = z.infer<typeof CarePlanRegimenItemSchema>;

/** A verifier finding written as a FHIR DetectedIssue. */
export const CarePlanFindingSchema = z.object({
  severity: z.enum(["high", "moderate", "low"]),
  code: z.string().min(1),
  message: z.string().min(1),
  /** Drug ids the finding implicates. */
  drugs: z.array(z.string()).default([]),
});
export type CarePlanFinding = z.infer<typeof CarePlanFindingSchema>;

export const CarePlanWriteSchema = z.object({
  patientId: FhirIdSchema,
  title: z.string().min(1).default("Crohn's disease treatment proposal"),
  description: z.string().optional(),
  regimen: z.array(CarePlanRegimenItemSchema).min(1),
  findings: z.array(CarePlanFindingSchema).default([]),
  /** FHIR references the plan was built from (e.g. the summary's sources). */
  basedOn: z.array(z.string()).default([]),
});
export type CarePlanWrite = z.infer<typeof CarePlanWriteSchema>;

/** Output of ehr_write_care_plan; the coordinator reads carePlanRef, medicationRequestRefs, provenanceRef. */
export const CarePlanWriteResultSchema = z.object({
  carePlanRef: z.string(),
  medicationRequestRefs: z.array(z.string()),
  detectedIssueRefs: z.array(z.string()),
  provenanceRef: z.string(),
  /** False when every resource already existed (a retry of the same task). */
  created: z.boolean(),
});
export type CarePlanWriteResult = z.infer<typeof CarePlanWriteResultSchema>;
