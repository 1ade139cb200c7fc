import { z } from "zod";
import { PurposeOfUseSchema, RoleNameSchema } from "../principal.js";
import { FhirIdSchema } from "./patient.js";

/**
 * Consent, access decisions and the audit trail: wire types of the consent agent. One schema per
 * wire type; types come from z.infer.
 */

/** Classes of patient data an access request can name (minimum necessary is decided per class). */
export const DataCategorySchema = z.enum([
  "demographics",
  "conditions",
  "observations",
  "medications",
  "allergies",
  "genomics",
  "care-plans",
  "devices",
  "consents",
  "audit",
]);
export type DataCategory = z.infer<typeof DataCategorySchema>;
export const DATA_CATEGORIES = DataCategorySchema.options;

export const AccessActionSchema = z.enum(["read", "write"]);
export type AccessAction = z.infer<typeof AccessActionSchema>;

/** What a permit obliges the requester to do with the data. */
export const ObligationSchema = z.enum([
  /** Only HIPAA Safe Harbor de-identified data may be released (researchers). */
  "de-identify",
  /** Break-the-glass: released, audited at high severity, reviewed afterwards. */
  "break-glass-review",
]);
export type Obligation = z.infer<typeof ObligationSchema>;

export const AccessRequestSchema = z.object({
  /** Who asks (principal subject, e.g. "dr.lee" or "agent:coordinator"). */
  requester: z.string().min(1).max(200),
  roles: z.array(RoleNameSchema).min(1),
  patientId: FhirIdSchema,
  categories: z.array(DataCategorySchema).min(1),
  action: AccessActionSchema,
  purposeOfUse: PurposeOfUseSchema,
  /** Mandatory when purposeOfUse is ETREAT (break-the-glass). */
  reason: z.string().min(1).max(500).optional(),
  /** Task the access serves, recorded in the audit trail. */
  taskId: z.string().optional(),
  /** What will be read or written, for the audit trail (e.g. "Observation?subject=Patient/x"). */
  what: z.string().max(500).optional(),
});
export type AccessRequest = z.infer<typeof AccessRequestSchema>;

export const ConsentDecisionSchema = z.object({
  patientId: FhirIdSchema,
  permit: z.boolean(),
  reason: z.string().min(1),
  obligations: z.array(ObligationSchema),
  /** Categories the decision covers (on a deny, the ones refused). */
  categories: z.array(DataCategorySchema),
  breakGlass: z.boolean(),
  /** FHIR references of the Consent resources that decided, e.g. "Consent/123". */
  consentRefs: z.array(z.string()),
  /** Audit entry that recorded the decision. */
  auditSeq: z.number().int().nonnegative().optional(),
});
export type ConsentDecision = z.infer<typeof ConsentDecisionSchema>;

export const ConsentPeriodSchema = z.object({
  start: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  end: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
});

/** A patient's consent directive as the consent agent records it (stored as a FHIR Consent). */
export const ConsentRecordSchema = z.object({
  /** FHIR Consent id once stored. */
  id: FhirIdSchema.optional(),
  patientId: FhirIdSchema,
  /** active, or inactive once revoked (FHIR R4 Consent.status). */
  status: z.enum(["active", "inactive"]).default("active"),
  decision: z.enum(["permit", "deny"]),
  /** Roles the provision applies to; empty = every role. */
  actorRoles: z.array(RoleNameSchema).default([]),
  /** Individual requesters the provision applies to; empty = anyone in actorRoles. */
  actorSubjects: z.array(z.string()).default([]),
  /** Purposes of use it applies to; empty = any. */
  purposes: z.array(PurposeOfUseSchema).default([]),
  /** Data classes it applies to; empty = all. */
  categories: z.array(DataCategorySchema).default([]),
  actions: z.array(AccessActionSchema).default([]),
  period: ConsentPeriodSchema.optional(),
  /** ISO date-time it was recorded. */
  recordedAt: z.string().optional(),
  recordedBy: z.string().optional(),
});
export type ConsentRecord = z.infer<typeof ConsentRecordSchema>;

export const AuditOutcomeSchema = z.enum(["success", "denied", "failure"]);

/** One auditable event: a PHI read or write, an access decision, a de-identification. */
export const AuditRecordSchema = z.object({
  /** ISO date-time. */
  time: z.string(),
  requester: z.string(),
  roles: z.array(RoleNameSchema),
  purposeOfUse: PurposeOfUseSchema.optional(),
  patientId: FhirIdSchema.optional(),
  action: z.enum(["read", "write", "access-decision", "deidentify", "consent-change", "break-glass"]),
  categories: z.array(DataCategorySchema).default([]),
  /** What was touched, e.g. "Observation?subject=Patient/x" or "Consent/12". */
  what: z.string(),
  outcome: AuditOutcomeSchema,
  severity: z.enum(["normal", "high"]).default("normal"),
  reason: z.string().optional(),
  taskId: z.string().optional(),
  traceId: z.string().optional(),
});
export type AuditRecord = z.infer<typeof AuditRecordSchema>;

/** An audit record as stored: numbered and hash-chained (hash = sha256(prevHash + canonical record)). */
export const AuditEntrySchema = AuditRecordSchema.extend({
  seq: z.number().int().nonnegative(),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** Filter of an audit log's query (clinical/audit's AuditLog, runtime's JetStreamAuditLog). */
export interface AuditQuery {
  patientId?: string;
  requester?: string;
  outcome?: AuditRecord["outcome"];
  /** ISO date-times, inclusive. */
  since?: string;
  until?: string;
  /** Newest entries first, at most this many. */
  limit?: number;
}

/** Whether an entry passes a query's filters (`limit` is the caller's to apply). */
export function matchesQuery(e: AuditEntry, q: AuditQuery): boolean {
  return (
    (!q.patientId || e.patientId === q.patientId) &&
    (!q.requester || e.requester === q.requester) &&
    (!q.outcome || e.outcome === q.outcome) &&
    (!q.since || e.time >= q.since) &&
    (!q.until || e.time <= q.until)
  );
}

/** Result of verifying an audit chain. */
export const AuditChainStatusSchema = z.object({
  ok: z.boolean(),
  checked: z.number().int().nonnegative(),
  /** Sequence number of the first altered entry, or where a removed entry was expected. */
  firstBadSeq: z.number().int().nonnegative().optional(),
  problem: z.enum(["altered", "removed", "reordered"]).optional(),
});
export type AuditChainStatus = z.infer<typeof AuditChainStatusSchema>;

/** A security incident found in the audit trail. */
export const AuditIncidentSchema = z.object({
  kind: z.enum(["repeated-denials", "bulk-patient-access"]),
  requester: z.string(),
  count: z.number().int().positive(),
  /** ISO date-times of the window the count covers. */
  from: z.string(),
  to: z.string(),
  message: z.string(),
});
export type AuditIncident = z.infer<typeof AuditIncidentSchema>;
