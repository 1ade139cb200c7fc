import type {
  DecisionAction,
  DecisionPoint,
  Finding,
  FindingSeverity,
  PatientSummary,
  RegimenItem,
  TreatmentPlan,
} from "../../protocol/index.js";
import { drugRef, type LabelRegimen, type WithRef } from "../reference/drugs.js";
import { currentCrohnsDrugs, itemLevel } from "./current-therapy.js";
import type { PlanSpace } from "./space.js";

/**
 * Reading a plan's decision points: which drug the plan starts with, where it switches, what an
 * escalation step is and when the label allows it, the label's stopping rule, and the patient's
 * prior failures. Shared by the decision rules and the GA constraints (decisions.ts).
 */

export type Branch = "onRemission" | "onPartialResponse" | "onNoResponse";
export const BRANCHES: readonly Branch[] = ["onRemission", "onPartialResponse", "onNoResponse"];
/** continue < escalate < switch. */
export const INTENSITY: Record<DecisionAction["kind"], number> = { continue: 0, escalate: 1, switch: 2 };

export const finding = (
  ruleId: string,
  severity: FindingSeverity,
  message: string,
  reference: string,
  item: string | null,
): Finding => ({ ruleId, severity, message, reference, item });

export const dpRef = (dp: DecisionPoint, branch?: Branch) =>
  `decisionPoints[week ${dp.week}]${branch ? `.${branch}` : ""}`;

type PlanItem = { item: RegimenItem; index: number };

/** The advanced therapy a plan starts with: its items, whether it is induced, its maintenance level. */
export interface PlanAdvanced {
  drug: string;
  /** In start order (never empty). */
  items: [PlanItem, ...PlanItem[]];
  /** The plan gives an induction of the drug (a new start, not a continued therapy). */
  induced: boolean;
  /** Plan-space regimen level of its maintenance item (-1 when it matches none). */
  level: number;
}

export function planAdvanced(plan: TreatmentPlan, space: PlanSpace): PlanAdvanced | null {
  const adv = plan.items
    .map((item, index) => ({ item, index }))
    .filter((x) => x.item.role === "advanced")
    .sort((a, b) => a.item.startWeek - b.item.startWeek);
  const [first, ...later] = adv;
  if (!first) return null;
  const drug = first.item.drug;
  const items: PlanAdvanced["items"] = [first, ...later.filter((x) => x.item.drug === drug)];
  const maint = items.find((x) => x.item.phase !== "induction") ?? first;
  return {
    drug,
    items,
    induced: items.some((x) => x.item.phase === "induction"),
    level: itemLevel(space, maint.item),
  };
}

export interface SwitchUse {
  drug: string;
  week: number;
  branch: Branch;
  dp: DecisionPoint;
}

/** Every switch in the plan's decision points, in week order. */
export function switchUses(plan: TreatmentPlan): SwitchUse[] {
  return [...plan.decisionPoints]
    .sort((a, b) => a.week - b.week)
    .flatMap((dp) =>
      BRANCHES.flatMap((branch) => {
        const a = dp[branch];
        return a.kind === "switch" ? [{ drug: a.drug, week: dp.week, branch, dp }] : [];
      }),
    );
}

/** Distinct switch targets with the first week and branch each is used. */
export function switchTargets(plan: TreatmentPlan): SwitchUse[] {
  const out: SwitchUse[] = [];
  for (const u of switchUses(plan)) if (!out.some((o) => o.drug === u.drug)) out.push(u);
  return out;
}

export type AppliesWhen = LabelRegimen["applies_when"];

/** The escalation step above `level` for a drug: the next plan-space regimen and when its label allows it. */
export function escalationStep(
  space: PlanSpace,
  drug: string,
  level: number,
): { level: number; appliesWhen: AppliesWhen; reference: string } | null {
  const adv = space.advanced.find((a) => a.id === drug);
  const next = level < 0 ? undefined : adv?.regimens[level + 1];
  if (!next) return null;
  const labelled = labelRegimenFor(space, drug, next.dose, next.intervalWeeks);
  if (labelled) return { level: level + 1, appliesWhen: labelled.applies_when, reference: labelled.ref };
  const esc = space.drugs.byId(drug).dose_escalation;
  const lossOnly = esc && /lose response|loss of response|decreased response/i.test(esc.text);
  return {
    level: level + 1,
    appliesWhen: lossOnly ? "loss-of-response" : "always",
    reference: esc ? drugRef(drug, "dose_escalation") : next.reference,
  };
}

/** The drugs.json label regimen (maintenance or escalation) with this dose and interval. */
export function labelRegimenFor(
  space: PlanSpace,
  drug: string,
  dose: number,
  intervalWeeks: number | null,
): WithRef<LabelRegimen> | undefined {
  if (!space.drugs.has(drug)) return undefined;
  return space.drugs
    .regimens(drug)
    .find(
      (r) =>
        (r.phase === "maintenance" || r.phase === "escalation") &&
        r.dose === dose &&
        (intervalWeeks === null
          ? r.frequency.kind === "daily"
          : r.frequency.kind === "every" && r.frequency.weeks === intervalWeeks),
    );
}

/** The label's stopping rule for non-response after induction ("no response by week 14"), or null. */
export function stoppingRule(space: PlanSpace, drug: string): { week: number; text: string; reference: string } | null {
  if (!space.drugs.has(drug)) return null;
  const sr = (space.drugs.byId(drug) as { stopping_rule?: { text?: string } }).stopping_rule;
  const m = sr?.text ? /week (\d+)/i.exec(sr.text) : null;
  return sr?.text && m ? { week: Number(m[1]), text: sr.text, reference: drugRef(drug, "stopping_rule") } : null;
}

const FAILED = new Set(["primary-non-response", "loss-of-response", "intolerance", "adverse-event"]);

/**
 * Drugs the patient has failed: a past (not current) treatment with primary non-response, loss of
 * response, intolerance or an adverse event; with `includeCurrent`, also a current Crohn's drug
 * that is not working or not tolerated. Each with its words and the record it comes from.
 */
export function priorFailures(
  p: PatientSummary,
  space: PlanSpace,
  includeCurrent: boolean,
): Map<string, { why: string; ref: string }> {
  const out = new Map<string, { why: string; ref: string }>();
  const current = currentCrohnsDrugs(p, space);
  for (const h of p.treatmentHistory) {
    if (current.some((c) => c.drug === h.drug)) continue;
    if (FAILED.has(h.response) || h.adverseEvents.length > 0) {
      const what = FAILED.has(h.response)
        ? h.response.replace(/-/g, " ")
        : `adverse event (${h.adverseEvents.join(", ")})`;
      if (!out.has(h.drug)) out.set(h.drug, { why: `${what} to ${h.drug}`, ref: h.ref });
    }
  }
  if (includeCurrent)
    for (const c of current)
      if (c.status !== "responding" && !out.has(c.drug)) out.set(c.drug, { why: c.why, ref: c.med.ref });
  return out;
}
