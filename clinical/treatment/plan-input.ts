import type { PatientSummary, TreatmentPlan } from "../../protocol/index.js";
import type { PlanSpace } from "./space.js";

/** One problem with a plan handed to the verifier, in the shape of a zod issue (path + message). */
export interface PlanInputIssue {
  path: (string | number)[];
  message: string;
}

/**
 * What makes a plan unfit to verify at all (a typed INVALID_INPUT, not a finding): no item, a plan
 * for another patient, an item that ends before it starts or outside the horizon, a drug or switch
 * target that is not in drugs.json. A verifier that scored such a plan would call it valid.
 */
export function planInputIssues(patient: PatientSummary, plan: TreatmentPlan, space: PlanSpace): PlanInputIssue[] {
  const out: PlanInputIssue[] = [];
  if (plan.patientId !== patient.patientId)
    out.push({
      path: ["plan", "patientId"],
      message: `plan is for patient ${plan.patientId}, the summary is patient ${patient.patientId}`,
    });
  if (plan.items.length === 0) out.push({ path: ["plan", "items"], message: "a plan needs at least one drug" });
  plan.items.forEach((it, i) => {
    if (!space.drugs.has(it.drug))
      out.push({ path: ["plan", "items", i, "drug"], message: `unknown drug "${it.drug}" (not in drugs.json)` });
    if (it.endWeek !== null && it.endWeek <= it.startWeek)
      out.push({
        path: ["plan", "items", i, "endWeek"],
        message: `ends at week ${it.endWeek}, not after its start (week ${it.startWeek})`,
      });
    if (it.startWeek >= plan.horizonWeeks)
      out.push({
        path: ["plan", "items", i, "startWeek"],
        message: `starts at week ${it.startWeek}, after the plan's horizon (${plan.horizonWeeks} weeks)`,
      });
  });
  plan.decisionPoints.forEach((dp, k) => {
    for (const branch of ["onRemission", "onPartialResponse", "onNoResponse"] as const) {
      const a = dp[branch];
      if (a.kind === "switch" && !space.drugs.has(a.drug))
        out.push({
          path: ["plan", "decisionPoints", k, branch, "drug"],
          message: `unknown switch target "${a.drug}" (not in drugs.json)`,
        });
    }
    if (dp.week >= plan.horizonWeeks)
      out.push({
        path: ["plan", "decisionPoints", k, "week"],
        message: `week ${dp.week} is past the plan's horizon (${plan.horizonWeeks} weeks)`,
      });
  });
  plan.currentTherapy.forEach((c, k) => {
    if (c.replacedBy !== undefined && !plan.items.some((it) => it.drug === c.replacedBy))
      out.push({
        path: ["plan", "currentTherapy", k, "replacedBy"],
        message: `${c.drug} is replaced by ${c.replacedBy}, which is not among the plan's items`,
      });
  });
  return out;
}
