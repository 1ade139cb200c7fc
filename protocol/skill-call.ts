import { z } from "zod";

/**
 * How a skill invocation travels inside an A2A message: one data part
 * `{ skill, input }` (mediaType application/json). The result comes back as the task's artifact
 * named "result" with one data part; a failure as the status message's data part `{ error }`.
 */
export const SKILL_CALL_MEDIA_TYPE = "application/json";

export const SkillCallSchema = z.object({
  /** Skill verb, e.g. "get_patient_summary" (the MCP tool is `<agentId>_<verb>`). */
  skill: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a skill verb like get_patient_summary"),
  input: z.unknown(),
});
export type SkillCall = z.infer<typeof SkillCallSchema>;

export const SkillErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  data: z.unknown().optional(),
});
export type SkillError = z.infer<typeof SkillErrorSchema>;

export const RESULT_ARTIFACT_NAME = "result";
