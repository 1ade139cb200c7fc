import { z } from "zod";
import { PrincipalSchema } from "../principal.js";
import { FhirIdSchema } from "./patient.js";
import { FindingSchema, OptimizerConfigSchema, RankedPlanSchema, TreatmentPlanSchema } from "./plan.js";

/** Wire types of the coordinator: plan requests, the assembled plan with provenance, approvals. */

export const PlanRequestSchema = z.object({
  patientId: FhirIdSchema,
  /**
   * Who asks and why; the consent check and every read are made on this principal's behalf.
   * Defaults to the caller's principal; a human caller may not name someone else.
   */
  requester: PrincipalSchema.optional(),
  goals: z
    .object({
      /** drugs.json ids to rule out (e.g. a patient's refusal). */
      excludedDrugs: z.array(z.string()).default([]),
      excludedClasses: z.array(z.string()).default([]),
      /** Optimizer configuration (seed, population, generations, …). */
      optimizer: OptimizerConfigSchema.optional(),
    })
    .default({ excludedDrugs: [], excludedClasses: [] }),
  /** Bound on optimize→verify rounds when findings block a plan. @defaultValue 3 */
  maxRounds: z.number().int().min(1).max(10).default(3),
});
export type PlanRequest = z.infer<typeof PlanRequestSchema>;

export const PlanStatusSchema = z.enum([
  "in-progress",
  "awaiting-approval",
  "approved",
  "rejected-by-clinician",
  "consent-denied",
  "failed",
]);
export type PlanStatus = z.infer<typeof PlanStatusSchema>;

export const ProvenanceSchema = z.object({
  /** FHIR resources read to build the plan. */
  fhirResources: z.array(z.string()),
  /** Agents consulted, with the card version each had. */
  agents: z.array(z.object({ id: z.string(), version: z.string() })),
  optimizer: z
    .object({
      impl: z.string(),
      seed: z.number().int(),
      config: z.record(z.string(), z.unknown()),
      rounds: z.number().int(),
    })
    .optional(),
  /** Every verifier finding across rounds, with the round it came from. */
  findings: z.array(FindingSchema.extend({ round: z.number().int() })),
  /** A2A tasks this plan was built from (the optimizer's run, the care-plan write). */
  referenceTaskIds: z.array(z.string()),
  /**
   * Every agent call, in order: quick skills (consent decision, patient summary, verification)
   * answer with an A2A Message and are listed by its id; the others by their task id.
   */
  calls: z
    .array(
      z.object({
        agent: z.string(),
        skill: z.string(),
        taskId: z.string().optional(),
        messageId: z.string().optional(),
      }),
    )
    .default([]),
});
export type Provenance = z.infer<typeof ProvenanceSchema>;

export const AssembledPlanSchema = z.object({
  planId: z.string(),
  patientId: FhirIdSchema,
  status: PlanStatusSchema,
  /** The step the plan machine is in (its state name). */
  step: z.string(),
  plan: TreatmentPlanSchema.optional(),
  ranked: RankedPlanSchema.optional(),
  /** Findings of the final verification. */
  findings: z.array(FindingSchema),
  excluded: z.object({ drugs: z.array(z.string()), classes: z.array(z.string()) }),
  provenance: ProvenanceSchema,
  /** Where the approved plan was written. */
  written: z
    .object({ carePlanRef: z.string(), medicationRequestRefs: z.array(z.string()), provenanceRef: z.string() })
    .optional(),
  decision: z
    .object({ by: z.string(), approved: z.boolean(), reason: z.string().optional(), at: z.string() })
    .optional(),
  /** Why the plan stopped (consent denied, no safe plan, a failure). */
  reason: z.string().optional(),
  /** Stable error code of a failed plan when a step answered with one (e.g. NOT_FOUND for an unknown patient). */
  errorCode: z.string().optional(),
});
export type AssembledPlan = z.infer<typeof AssembledPlanSchema>;

export const ApprovalSchema = z
  .object({
    planId: z.string().min(1),
    approve: z.boolean(),
    /** Mandatory when rejecting. */
    reason: z.string().min(1).max(1000).optional(),
    /** Defaults to the caller's principal; must hold the clinician role. */
    clinician: PrincipalSchema.optional(),
  })
  .refine((a) => a.approve || !!a.reason, { message: "a rejection needs a reason", path: ["reason"] });
export type Approval = z.infer<typeof ApprovalSchema>;
