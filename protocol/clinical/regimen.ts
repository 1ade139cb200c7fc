import { z } from "zod";

/**
 * How a drug is given: route and schedule. Shared by the patient summary (what the patient takes
 * now) and the treatment plan (what is proposed), so both say it the same way.
 */

export const RouteSchema = z.enum(["IV", "SC", "PO", "IM"]);
export type Route = z.infer<typeof RouteSchema>;

/** How often a dose is given: every day, every `weeks` weeks, or at the listed weeks (induction doses). */
export const ScheduleSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("daily") }),
  z.object({ kind: z.literal("every"), weeks: z.number().positive() }),
  /** Given at these weeks (induction doses), week 0 being the first dose. */
  z.object({ kind: z.literal("at-weeks"), weeks: z.array(z.number().int().min(0)).min(1) }),
]);
export type Schedule = z.infer<typeof ScheduleSchema>;

/** Dose units as plans and medication records carry them (per administration; per day for daily items). */
export const DoseUnitSchema = z.enum(["mg", "mg/kg", "mg/kg/day", "mg/day"]);
export type DoseUnit = z.infer<typeof DoseUnitSchema>;
