import {
  HmsError,
  invalidInput,
  type OptimizerResult,
  type PatientSummary,
  type TreatmentPlan,
  type VerificationReport,
} from "../../protocol/index.js";
import type { OptimizerImpl } from "./loader.js";
import { optimizeTreatment, simulateOutcome, type TreatmentOptions } from "./optimize.js";
import { planInputIssues } from "./plan-input.js";
import { runRules } from "./rule-table.js";
import { loadPlanSpace } from "./space.js";

/** Checks a plan against the rule table and scores it with the outcome model. */
export function verifyPlan(
  patient: PatientSummary,
  plan: TreatmentPlan,
  opts: TreatmentOptions = {},
): VerificationReport {
  const space = loadPlanSpace(opts.referenceDir);
  const issues = planInputIssues(patient, plan, space);
  if (issues.length > 0) throw invalidInput({ issues }, "plan");
  const findings = runRules({ patient, plan, space });
  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.filter((f) => f.severity === "warning").length;
  const out = simulateOutcome(patient, plan, opts);
  const recommendations = [
    ...new Set(findings.filter((f) => f.severity !== "info").map((f) => recommendationFor(f.ruleId, f.message))),
  ];
  return {
    isValid: errors === 0,
    safetyScore: Math.max(0, 1 - 0.4 * errors - 0.1 * warnings),
    efficacyScore: Math.min(1, Math.max(0, out.expectedRemissionWeeks / plan.horizonWeeks)),
    findings,
    recommendations,
  };
}

function recommendationFor(ruleId: string, message: string): string {
  if (ruleId.startsWith("ci-") || ruleId.startsWith("ix-"))
    return `Replace the drug concerned (${message}); ask the optimizer for alternatives with it excluded.`;
  if (ruleId === "screening-before-start") return `Add the missing pre-treatment test (${message}).`;
  if (ruleId === "pgx-dose" || ruleId.startsWith("dose"))
    return `Adjust the dose to the label/CPIC range (${message}).`;
  if (ruleId === "steroid-too-long") return "Shorten the steroid course and bridge with a steroid-sparing therapy.";
  if (ruleId === "dup-advanced") return "Keep one advanced therapy at a time.";
  if (ruleId === "hla-dqa105-monotherapy")
    return "Add an immunomodulator or proactive drug-level monitoring to the anti-TNF.";
  return message;
}

/** Drugs named in a plan's error findings (what alternatives must avoid). */
export function blockingDrugs(plan: TreatmentPlan, report: VerificationReport): string[] {
  const out = new Set<string>();
  for (const f of report.findings) {
    if (f.severity !== "error" || !f.item) continue;
    const m = /^items\[(\d+)\]$/.exec(f.item);
    if (m && (f.ruleId.startsWith("ci-") || f.ruleId.startsWith("ix-") || f.ruleId === "dup-advanced")) {
      const it = plan.items[Number(m[1])];
      if (!it) throw new HmsError("INVALID_INPUT", `finding ${f.ruleId} names ${f.item}, which the plan does not have`);
      out.add(it.drug);
    }
  }
  return [...out];
}

/** Alternatives: re-optimizes with the blocking drugs excluded. */
export async function suggestAlternatives(
  patient: PatientSummary,
  plan: TreatmentPlan,
  opts: TreatmentOptions & { impl: OptimizerImpl; topK?: number; seed?: number; excludedDrugs?: string[] },
): Promise<{ report: VerificationReport; excluded: string[]; alternatives: OptimizerResult["plans"] }> {
  const report = verifyPlan(patient, plan, opts);
  const excluded = [...new Set([...blockingDrugs(plan, report), ...(opts.excludedDrugs ?? [])])];
  const res = await optimizeTreatment(
    { patient, constraints: { excludedDrugs: excluded }, config: { topK: opts.topK ?? 3, seed: opts.seed ?? 42 } },
    opts,
  );
  return { report, excluded, alternatives: res.plans };
}
