import type { CurrentDrugAction, CurrentMedication, PatientSummary, RegimenItem } from "../../protocol/index.js";
import { drugRef } from "../reference/drugs.js";
import { drugBlocks } from "./rules.js";
import { factRef, IMMUNOMODULATORS, STEROIDS, type PlanSpace } from "./space.js";
import { taperDosesFrom, taperSpec } from "./steroid-course.js";

/**
 * What the patient takes now and what a plan may do with it. A current Crohn's drug is a
 * reference drug with the role advanced therapy, immunomodulator or steroid. An advanced therapy
 * that works is continued at its current regimen (no new induction); one whose response was lost
 * is escalated (when its label has a step) or switched; one that never worked or was not tolerated
 * is switched out. The same predicates feed the rules and the GA constraints (decisions.ts).
 */

export type CurrentRole = "advanced" | "immunomodulator" | "steroid";
/** responding: keep it; inadequate: lost or partial response (escalate or switch); failed: never worked or not tolerated. */
export type CurrentStatus = "responding" | "inadequate" | "failed";

export interface CurrentDrug {
  med: CurrentMedication;
  drug: string;
  role: CurrentRole;
  status: CurrentStatus;
  /** Why the status, in words. */
  why: string;
}

const roleOf = (space: PlanSpace, drug: string): CurrentRole | null =>
  space.advanced.some((a) => a.id === drug)
    ? "advanced"
    : (IMMUNOMODULATORS as readonly string[]).includes(drug)
      ? "immunomodulator"
      : (STEROIDS as readonly string[]).includes(drug)
        ? "steroid"
        : null;

function statusOf(p: PatientSummary, m: CurrentMedication): { status: CurrentStatus; why: string } {
  const reacted = p.allergies.some((a) => a.substance === m.drug && a.clinicalStatus === "active");
  if (reacted) return { status: "failed", why: `documented reaction to ${m.drug}` };
  switch (m.response) {
    case "remission":
      return { status: "responding", why: `in remission on ${m.drug}` };
    case "response":
      return { status: "responding", why: `responding to ${m.drug}` };
    case "loss-of-response":
      return { status: "inadequate", why: `loss of response to ${m.drug}` };
    case "primary-non-response":
      return { status: "failed", why: `primary non-response to ${m.drug}` };
    case "intolerance":
    case "adverse-event":
      return { status: "failed", why: `${m.response.replace("-", " ")} on ${m.drug}` };
    default: {
      const band = p.activity.band;
      if (m.phase === "induction") return { status: "responding", why: `${m.drug} induction under way` };
      if (band === "mild" || band === "moderate" || band === "severe")
        return { status: "inadequate", why: `${band} disease activity on ${m.drug}` };
      return { status: "responding", why: band === "remission" ? `in remission on ${m.drug}` : `on ${m.drug}` };
    }
  }
}

/** The patient's current Crohn's drugs (active or on hold), each with its role and status. */
export function currentCrohnsDrugs(p: PatientSummary, space: PlanSpace): CurrentDrug[] {
  const out: CurrentDrug[] = [];
  for (const med of p.currentMedications) {
    const role = roleOf(space, med.drug);
    if (!role || out.some((c) => c.drug === med.drug)) continue;
    out.push({ med, drug: med.drug, role, ...statusOf(p, med) });
  }
  return out;
}

const weeklyIntensity = (dose: number, interval: number | null) => (interval === null ? dose * 7 : dose / interval);

/**
 * The plan-space regimen level (index into `space.advanced[].regimens`) a current advanced therapy
 * is on: the regimen with its dose and interval, else the most intensive one not above the current
 * weekly dose; level 0 when the record carries no dose.
 */
export function currentLevel(space: PlanSpace, med: CurrentMedication): number {
  const adv = space.advanced.find((a) => a.id === med.drug);
  if (!adv || med.dose === null || med.schedule === null || med.schedule.kind === "at-weeks") return 0;
  const interval = med.schedule.kind === "every" ? med.schedule.weeks : null;
  const exact = adv.regimens.findIndex((r) => r.dose === med.dose && r.intervalWeeks === interval);
  if (exact >= 0) return exact;
  const cur = weeklyIntensity(med.dose, interval);
  let best = 0;
  adv.regimens.forEach((r, i) => {
    if (weeklyIntensity(r.dose, r.intervalWeeks) <= cur + 1e-9) best = i;
  });
  return best;
}

/** The regimen level of a plan's advanced item (maintenance dose and interval), or -1 when none matches. */
export function itemLevel(space: PlanSpace, it: RegimenItem): number {
  const adv = space.advanced.find((a) => a.id === it.drug);
  if (!adv) return -1;
  const interval = it.schedule.kind === "every" ? it.schedule.weeks : it.schedule.kind === "daily" ? null : -1;
  return adv.regimens.findIndex((r) => r.dose === it.dose && r.intervalWeeks === interval);
}

/** What the plan must do with a current advanced therapy. */
export type AdvancedRequirement =
  | { kind: "keep"; current: CurrentDrug; level: number; reference: string }
  | { kind: "escalate-or-switch"; current: CurrentDrug; level: number; reference: string }
  | { kind: "switch-out"; current: CurrentDrug; reference: string };

/** The requirement of each current advanced therapy (one per drug). */
export function advancedRequirements(p: PatientSummary, space: PlanSpace): AdvancedRequirement[] {
  return currentCrohnsDrugs(p, space)
    .filter((c) => c.role === "advanced")
    .map((current): AdvancedRequirement => {
      const level = currentLevel(space, current.med);
      const blocks = drugBlocks(p, current.drug, space);
      const [firstBlock] = blocks;
      if (firstBlock)
        return {
          kind: "switch-out",
          current: { ...current, why: `${current.why}; now ${blocks.map((b) => b.message).join("; ")}` },
          reference: firstBlock.reference,
        };
      if (current.status === "responding")
        return {
          kind: "keep",
          current,
          level,
          reference: p.comorbidities.pregnant
            ? pregnancyReference(space, current.drug)
            : drugRef(current.drug, "guideline_positioning[0]"),
        };
      if (current.status === "inadequate")
        return { kind: "escalate-or-switch", current, level, reference: escalationReference(space, current.drug) };
      return { kind: "switch-out", current, reference: factRef("treatToTarget") };
    });
}

/** The label's word on continuing a drug in pregnancy (drugs.json safety.pregnancy), else the guideline fact. */
function pregnancyReference(space: PlanSpace, drug: string): string {
  const f = space.drugs.safety(drug).pregnancy;
  return f.continuing === "compatible" || f.continuing === "use-if-needed" ? f.ref : factRef("pregnancyContinue");
}

/** The label entry an escalation of `drug` rests on (its dose_escalation text when it has one). */
export function escalationReference(space: PlanSpace, drug: string): string {
  const adv = space.advanced.find((a) => a.id === drug);
  return space.drugs.byId(drug).dose_escalation
    ? drugRef(drug, "dose_escalation")
    : (adv?.regimens[adv.regimens.length - 1]?.reference ?? drugRef(drug, "maintenance"));
}

/** What the plan's genes choose, as the current-therapy decoder needs it. */
export interface PlanChoice {
  advanced: string | null;
  advancedLevel: number;
  immunomodulator: string | null;
  steroid: string | null;
}

const scheduleWords = (space: PlanSpace, drug: string, level: number) => {
  const r = space.advanced.find((a) => a.id === drug)?.regimens[level];
  return r ? `${r.dose} ${r.unit} ${r.intervalWeeks === null ? "daily" : `every ${r.intervalWeeks} weeks`}` : "";
};

/** The washout the label asks for before `drug` when switching from another advanced therapy (0 = none). */
export function washoutWeeks(space: PlanSpace, drug: string): { weeks: number; reference: string } | null {
  if (!space.drugs.has(drug)) return null;
  const w = space.drugs.safety(drug).washout_weeks;
  return w ? { weeks: w.weeks, reference: w.ref } : null;
}

/** "35, 30, 25 mg/day, a week each" or "6 mg/day for 2 weeks". */
function taperText(doses: number[]): string {
  const runs: [number, number][] = [];
  for (const d of doses) {
    const last = runs[runs.length - 1];
    if (last && last[0] === d) last[1]++;
    else runs.push([d, 1]);
  }
  if (runs.every(([, n]) => n === 1)) return `${doses.join(", ")} mg/day, a week each`;
  return runs.map(([d, n]) => `${d} mg/day for ${n} week${n === 1 ? "" : "s"}`).join(", then ");
}

/** The plan's `currentTherapy`: one entry per current Crohn's drug. */
export function decideCurrentTherapy(p: PatientSummary, space: PlanSpace, choice: PlanChoice): CurrentDrugAction[] {
  const reqs = advancedRequirements(p, space);
  return currentCrohnsDrugs(p, space).map((c): CurrentDrugAction => {
    if (c.role === "advanced") {
      const req = reqs.find((r) => r.current.drug === c.drug)!;
      const why = req.current.why;
      if (choice.advanced === c.drug) {
        const level = currentLevel(space, c.med);
        const escalated = choice.advancedLevel > level;
        return {
          drug: c.drug,
          action: "continue",
          reason: escalated
            ? `${why}: escalated to ${scheduleWords(space, c.drug, choice.advancedLevel)} from week 0 (label escalation step; no new induction)`
            : `${why}: continued at ${scheduleWords(space, c.drug, choice.advancedLevel)} from week 0 (no new induction)${p.comorbidities.pregnant ? "; a biologic that keeps the disease quiet is continued in pregnancy" : ""}`,
          reference: escalated ? escalationReference(space, c.drug) : req.reference,
        };
      }
      if (choice.advanced) {
        const wo = washoutWeeks(space, choice.advanced);
        return {
          drug: c.drug,
          action: "switch",
          replacedBy: choice.advanced,
          stopWeek: 0,
          ...(wo && wo.weeks > 0 ? { washoutWeeks: wo.weeks } : {}),
          reason: `${why}: switched to ${choice.advanced}; its first dose when the next ${c.drug} dose would have been due${wo && wo.weeks > 0 ? `, after a ${wo.weeks}-week washout` : ", never both at once"}`,
          reference: wo && wo.weeks > 0 ? wo.reference : req.reference,
        };
      }
      return { drug: c.drug, action: "stop", stopWeek: 0, reason: `${why}: stopped`, reference: req.reference };
    }
    if (c.role === "immunomodulator") {
      if (choice.immunomodulator === c.drug)
        return {
          drug: c.drug,
          action: "continue",
          reason: `${c.why}: continued at the plan's dose`,
          reference: drugRef(c.drug, "maintenance"),
        };
      if (choice.immunomodulator)
        return {
          drug: c.drug,
          action: "switch",
          replacedBy: choice.immunomodulator,
          stopWeek: 0,
          reason: `${c.why}: replaced by ${choice.immunomodulator}`,
          reference: factRef("medicationReconciliation"),
        };
      const jak = choice.advanced === "upadacitinib";
      const i = jak ? space.drugs.findEntry("upadacitinib", "interactions", /immunosuppressant/i) : -1;
      return {
        drug: c.drug,
        action: "stop",
        stopWeek: 0,
        reason: jak ? `${c.why}: stopped, upadacitinib is not combined with immunosuppressants` : `${c.why}: stopped`,
        reference: i >= 0 ? drugRef("upadacitinib", `interactions[${i}]`) : factRef("medicationReconciliation"),
      };
    }
    const spec = taperSpec(space, c.drug);
    if (choice.steroid === c.drug)
      return {
        drug: c.drug,
        action: "continue",
        reason: `${c.why}: continued as the plan's course, then tapered`,
        reference: spec?.taperReference ?? drugRef(c.drug, "induction"),
      };
    // Onto a systemic steroid: it covers the adrenal axis, so the current one is simply replaced.
    // Otherwise (none, or budesonide after prednisone) the current steroid is tapered off.
    if (choice.steroid && taperSpec(space, choice.steroid)?.systemic)
      return {
        drug: c.drug,
        action: "switch",
        replacedBy: choice.steroid,
        stopWeek: 0,
        reason: `${c.why}: replaced by ${choice.steroid}, which is then tapered`,
        reference: spec?.withdrawalReference ?? factRef("steroidWithdrawal"),
      };
    const doses = taperDosesFrom(space, c.drug, c.med.dose);
    const weeks = doses.length;
    return {
      drug: c.drug,
      action: "taper",
      stopWeek: weeks,
      reason: `${c.why}: tapered off over ${weeks} week${weeks === 1 ? "" : "s"} (${taperText(doses)}), never stopped abruptly`,
      reference: spec?.withdrawalReference ?? factRef("steroidWithdrawal"),
    };
  });
}
