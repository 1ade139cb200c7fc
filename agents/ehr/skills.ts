import {
  CarePlanWriteResultSchema,
  CarePlanWriteSchema,
  ObservationQuerySchema,
  ObservationsOutputSchema,
  PatientSearchInputSchema,
  PatientSearchOutputSchema,
  SummaryInputSchema,
  SummaryOutputSchema,
  SyncInputSchema,
  SyncOutputSchema,
} from "../../protocol/index.js";
import { defineSkill, type SkillContext } from "../../runtime/index.js";
import type { Caller, EhrService } from "./service.js";

const caller = (ctx: SkillContext): Caller => ({
  principal: ctx.principal,
  taskId: ctx.taskId,
  signal: ctx.signal,
  call: (a, v, i) => ctx.call(a, v, i),
});
/** Key of the sync position in the agent's durable state. */
export const SYNC_CURSOR_KEY = "ehr-sync-cursor";
const CLINICAL_ROLES = ["clinician", "nurse", "researcher", "admin", "agent"] as const;

/** The EHR agent's skills; thin wrappers over EhrService. */
export function ehrSkills(service: () => EhrService) {
  const searchPatients = defineSkill({
    verb: "search_patients",
    title: "Search patients",
    description:
      "Finds patients by MRN (identifier), name or birth date (YYYY, YYYY-MM or YYYY-MM-DD). Returns at most `count` (default 20) patients the caller may see; hits withheld by consent are counted, not shown.",
    input: PatientSearchInputSchema,
    output: PatientSearchOutputSchema,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    roles: ["clinician", "nurse", "admin", "agent"],
    handler: async (input, ctx) => service().searchPatients(input, caller(ctx)),
  });

  const getSummary = defineSkill({
    verb: "get_patient_summary",
    title: "Get patient summary",
    description:
      "Builds the Crohn's patient summary from the EHR: demographics, Montreal phenotype, CDAI/HBI activity, latest labs with interpretation, TPMT/NUDT15/HLA genotype with CPIC phenotype, treatment history with response and adverse events, comorbidity flags. Researchers get it de-identified.",
    input: SummaryInputSchema,
    output: SummaryOutputSchema,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    roles: CLINICAL_ROLES,
    // A read: answered with a Message unless the caller streams or asks for a task (then it reports progress).
    stateless: true,
    handler: async ({ patientId }, ctx) => {
      await ctx.progress("reading the patient record");
      return { summary: await service().getSummary(patientId, caller(ctx)) };
    },
  });

  const getObservations = defineSkill({
    verb: "get_observations",
    title: "Get observations",
    description:
      "Lists a patient's observations, newest first, optionally for one code (loinc.json key like fecal_calprotectin, or a LOINC code) and date range; at most `count` (default 20, max 200).",
    input: ObservationQuerySchema,
    output: ObservationsOutputSchema,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    roles: CLINICAL_ROLES,
    handler: async (input, ctx) => service().getObservations(input, caller(ctx)),
  });

  const writeCarePlan = defineSkill({
    verb: "write_care_plan",
    title: "Write care plan",
    description:
      "Writes a treatment proposal to the EHR in one transaction: CarePlan (draft), MedicationRequests (intent=proposal), DetectedIssues for verifier findings and a Provenance. Idempotent per task: a retry writes nothing twice.",
    input: CarePlanWriteSchema,
    output: CarePlanWriteResultSchema,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    roles: ["clinician", "agent"],
    handler: async (input, ctx) => service().writeCarePlan(input, caller(ctx)),
  });

  const syncChanges = defineSkill({
    verb: "sync_changes",
    title: "Sync EHR changes",
    description:
      "Finds resources changed since the last sync (FHIR _lastUpdated) and publishes each as an `ehr-change` fact (references only).",
    input: SyncInputSchema,
    output: SyncOutputSchema,
    annotations: { readOnlyHint: true, idempotentHint: false, openWorldHint: false },
    roles: ["admin", "operator", "agent"],
    handler: async (input, ctx) =>
      service().syncChanges(input, (t, d) => ctx.publish(t, d), {
        signal: ctx.signal,
        cursor: {
          load: () => ctx.state.load<string>(SYNC_CURSOR_KEY),
          save: (until) => ctx.state.save(SYNC_CURSOR_KEY, until),
        },
      }),
  });

  return [searchPatients, getSummary, getObservations, writeCarePlan, syncChanges];
}
