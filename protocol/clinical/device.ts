import { z } from "zod";
import { FhirIdSchema, InterpretationSchema } from "./patient.js";
import { AuditIncidentSchema } from "./consent.js";

/**
 * Wire types of the device, alert and healer agents: device registry entries, readings, alarms,
 * alerts (with their CDS Hooks card view), component health and the healing journal.
 * One schema per wire type; types come from z.infer.
 */

/** An ISO 8601 date-time string (with offset or Z). */
const IsoDateTimeSchema = z.iso.datetime({ offset: true });

export const DeviceStatusSchema = z.enum(["online", "offline", "alarm", "maintenance", "error"]);
export type DeviceStatus = z.infer<typeof DeviceStatusSchema>;

/** Device ids travel in NATS subject tokens, FHIR ids and HL7 fields: keep them to a safe alphabet. */
export const DeviceIdSchema = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, "must be [A-Za-z0-9-.], 1-64 chars");

export const DeviceSchema = z.object({
  deviceId: DeviceIdSchema,
  /** Kind of device, e.g. "vital-signs-monitor", "pulse-oximeter", "infusion-pump". */
  type: z.string().min(1),
  manufacturer: z.string().min(1),
  model: z.string().min(1),
  serial: z.string().min(1),
  /** Ward/bed or free text; null when unknown. */
  location: z.string().nullable(),
  /** FHIR Patient id the device is attached to; null when unassigned. */
  patientId: FhirIdSchema.nullable(),
  status: DeviceStatusSchema,
  /** Last time the device was heard from (heartbeat or reading); null before the first. */
  lastHeartbeat: IsoDateTimeSchema.nullable(),
  /** How often the device is expected to report, in seconds; silence beyond this raises a technical alarm. */
  expectedIntervalSec: z.number().positive(),
  registeredAt: IsoDateTimeSchema,
});
export type Device = z.infer<typeof DeviceSchema>;

/** What a caller sends to register a device (the registry fills status, heartbeat and time). */
export const DeviceRegistrationSchema = DeviceSchema.pick({
  deviceId: true,
  type: true,
  manufacturer: true,
  model: true,
  serial: true,
}).extend({
  location: z.string().nullable().default(null),
  patientId: FhirIdSchema.nullable().default(null),
  expectedIntervalSec: z.number().positive().default(60),
  status: DeviceStatusSchema.default("online"),
});
export type DeviceRegistration = z.input<typeof DeviceRegistrationSchema>;

export const ReadingSourceSchema = z.enum(["bus", "tool", "mllp", "simulator"]);

/**
 * One measurement from a device. `key` is the loinc.json key (e.g. "heart_rate"); callers may give
 * `loinc` instead and the device agent resolves the key.
 */
export const DeviceReadingSchema = z
  .object({
    deviceId: DeviceIdSchema,
    /** Overrides the device's assigned patient when present (e.g. HL7 PID-3). */
    patientId: FhirIdSchema.nullable().optional(),
    key: z.string().min(1).optional(),
    loinc: z.string().min(1).optional(),
    value: z.number(),
    /** UCUM unit code, e.g. "/min", "mm[Hg]", "Cel", "%". */
    unit: z.string().min(1),
    effective: IsoDateTimeSchema,
    source: ReadingSourceSchema.default("tool"),
  })
  .refine((r) => r.key !== undefined || r.loinc !== undefined, { message: "key or loinc is required", path: ["key"] });
export type DeviceReading = z.infer<typeof DeviceReadingSchema>;

export const AlarmPrioritySchema = z.enum(["high", "medium", "low"]);
export type AlarmPriority = z.infer<typeof AlarmPrioritySchema>;

/** A device alarm, published on topic `alarm.<patientId>` (or `alarm.unassigned`). */
export const AlarmSchema = z.object({
  alarmId: z.string().min(1),
  /** physiological: a reading out of range; technical: the device itself (silent, error). */
  kind: z.enum(["physiological", "technical"]),
  priority: AlarmPrioritySchema,
  deviceId: DeviceIdSchema,
  patientId: FhirIdSchema.nullable(),
  /** Deduplication key within a patient, e.g. "spo2:critical-low" or "device-offline:mon-1". */
  condition: z.string().min(1),
  key: z.string().optional(),
  value: z.number().optional(),
  unit: z.string().optional(),
  interpretation: InterpretationSchema.optional(),
  message: z.string().min(1),
  raisedAt: IsoDateTimeSchema,
});
export type Alarm = z.infer<typeof AlarmSchema>;

export const AlertStateSchema = z.enum(["open", "acknowledged", "resolved"]);
export type AlertState = z.infer<typeof AlertStateSchema>;

export const AlertCategorySchema = z.enum([
  "vital-sign",
  "device",
  "lab-result",
  "medication-change",
  "severity-change",
  "adverse-event",
  "critical-finding",
  "plan-ready",
  "system",
]);
export type AlertCategory = z.infer<typeof AlertCategorySchema>;

/** A suggested action carried into a CDS Hooks card. */
export const AlertSuggestionSchema = z.object({
  label: z.string().min(1),
  /** FHIR resource type the action would create/update, when one applies. */
  actionType: z.enum(["create", "update", "delete"]).optional(),
  resource: z.record(z.string(), z.unknown()).optional(),
});
export type AlertSuggestion = z.infer<typeof AlertSuggestionSchema>;

export const AlertSchema = z.object({
  alertId: z.string().min(1),
  category: AlertCategorySchema,
  priority: AlarmPrioritySchema,
  patientId: FhirIdSchema.nullable(),
  /** Deduplication key within a patient (same patient + condition inside the window = one alert). */
  condition: z.string().min(1),
  summary: z.string().min(1),
  detail: z.string().optional(),
  state: AlertStateSchema,
  /** Escalation tier reached (0 = first responders). */
  tier: z.number().int().min(0),
  /** Absolute time of the next escalation; null when none is pending. */
  escalateAt: IsoDateTimeSchema.nullable(),
  /** How many events were folded into this alert by deduplication. */
  occurrences: z.number().int().min(1),
  createdAt: IsoDateTimeSchema,
  lastSeenAt: IsoDateTimeSchema,
  acknowledgedBy: z.string().nullable(),
  acknowledgedAt: IsoDateTimeSchema.nullable(),
  /** Where the alert came from, e.g. "alarm:<alarmId>", "Observation/123". */
  sourceRefs: z.array(z.string()),
  suggestions: z.array(AlertSuggestionSchema).default([]),
});
export type Alert = z.infer<typeof AlertSchema>;

/** What the alert agent consumes: device alarms, EHR change events, verifier critical findings, plan-ready events. */
export const AlertEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("alarm"), alarm: AlarmSchema }),
  z.object({
    type: z.literal("ehr-change"),
    patientId: FhirIdSchema,
    change: z.enum(["lab-result", "medication-change", "severity-change", "adverse-event"]),
    /** FHIR reference of the changed resource. */
    ref: z.string().min(1),
    description: z.string().min(1),
    priority: AlarmPrioritySchema.default("medium"),
    at: IsoDateTimeSchema,
  }),
  z.object({
    type: z.literal("critical-finding"),
    patientId: FhirIdSchema,
    /** Verifier rule id, e.g. "tpmt-poor-thiopurine". */
    ruleId: z.string().min(1),
    message: z.string().min(1),
    planRef: z.string().optional(),
    suggestion: z.string().optional(),
    at: IsoDateTimeSchema,
  }),
  z.object({
    /** From the healer: a component could not be healed (restart intensity exceeded, failover failed). */
    type: z.literal("system"),
    component: z.string().min(1),
    message: z.string().min(1),
    priority: AlarmPrioritySchema.default("high"),
    at: IsoDateTimeSchema,
  }),
  z.object({
    /** From the consent agent's incident detection (repeated denials, bulk patient access). */
    type: z.literal("security-incident"),
    incident: AuditIncidentSchema,
  }),
  z.object({
    type: z.literal("plan-ready"),
    patientId: FhirIdSchema,
    planRef: z.string().min(1),
    taskId: z.string().optional(),
    at: IsoDateTimeSchema,
  }),
]);
export type AlertEvent = z.infer<typeof AlertEventSchema>;

/** CDS Hooks 2.0 card (cds-hooks.hl7.org §Card Attributes): summary < 140 chars, indicator, source.label. */
export const CdsCardSchema = z.object({
  uuid: z.string().optional(),
  summary: z.string().min(1).max(139),
  detail: z.string().optional(),
  indicator: z.enum(["info", "warning", "critical"]),
  source: z.object({
    label: z.string().min(1),
    url: z.string().optional(),
    topic: z.object({ code: z.string(), display: z.string().optional() }).optional(),
  }),
  suggestions: z
    .array(
      z.object({
        label: z.string().min(1),
        uuid: z.string().optional(),
        isRecommended: z.boolean().optional(),
        actions: z
          .array(
            z.object({
              type: z.enum(["create", "update", "delete"]),
              description: z.string(),
              resource: z.record(z.string(), z.unknown()).optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
  selectionBehavior: z.enum(["at-most-one", "any"]).optional(),
  links: z.array(z.object({ label: z.string(), url: z.string(), type: z.enum(["absolute", "smart"]) })).optional(),
});
export type CdsCard = z.infer<typeof CdsCardSchema>;

export const HealthStateSchema = z.enum(["healthy", "degraded", "unhealthy", "unknown"]);
export type HealthState = z.infer<typeof HealthStateSchema>;

export const CircuitStateSchema = z.enum(["closed", "open", "half-open"]);
export type CircuitState = z.infer<typeof CircuitStateSchema>;

export const HealthStatusSchema = z.object({
  /** Agent id or dependency name (e.g. "ehr", "fhir"). */
  component: z.string().min(1),
  status: HealthStateSchema,
  /** Last heartbeat or call outcome seen; null if never. */
  lastCheck: IsoDateTimeSchema.nullable(),
  lastHeartbeat: IsoDateTimeSchema.nullable(),
  /** Mean response time of recent calls in ms; null without calls. */
  responseTimeMs: z.number().min(0).nullable(),
  /** Failed fraction of recent calls (0..1); null without calls. */
  errorRate: z.number().min(0).max(1).nullable(),
  consecutiveFailures: z.number().int().min(0),
  circuit: CircuitStateSchema,
  /** Why the status is what it is, e.g. "no heartbeat for 45 s". */
  reason: z.string(),
});
export type HealthStatus = z.infer<typeof HealthStatusSchema>;

export const HealingStrategySchema = z.enum(["restart", "failover", "circuit-open", "circuit-close"]);
export type HealingStrategy = z.infer<typeof HealingStrategySchema>;

export const HealingActionSchema = z.object({
  actionId: z.string().min(1),
  component: z.string().min(1),
  strategy: HealingStrategySchema,
  /** gave-up: restart intensity exceeded (OTP-style), an alert was raised. */
  status: z.enum(["running", "succeeded", "failed", "gave-up"]),
  started: IsoDateTimeSchema,
  finished: IsoDateTimeSchema.nullable(),
  error: z.string().nullable(),
  /** Back-off applied before this action, in ms. */
  delayMs: z.number().int().min(0).default(0),
});
export type HealingAction = z.infer<typeof HealingActionSchema>;
