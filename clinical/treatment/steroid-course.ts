import type { RegimenItem, TreatmentPlan } from "../../protocol/clinical/plan.js";
import { drugRef } from "../reference/drugs.js";
import { getPath } from "./reference-path.js";
import { factRef, type PlanSpace } from "./space.js";

/**
 * Steroid courses with their taper. The course-length gene is the whole course (full dose plus
 * taper, as the model counts steroid weeks); the taper comes from decision-facts.json:
 * prednisone 40 mg/day less 5 mg a week (BSG), budesonide 9 mg then 6 mg/day for 2 weeks
 * (Entocort label). A systemic steroid given for more than 3 weeks is never stopped abruptly (BNF).
 */

export interface TaperSpec {
  drug: string;
  /** Full dose in mg/day (drugs.json induction dose, lower end of the range). */
  fullDose: number;
  fullDoseReference: string;
  /** Daily doses of the taper, one per week, highest first. */
  steps: number[];
  taperReference: string;
  /** Shortest course the decoder can give: one full-dose week plus the taper. */
  minCourseWeeks: number;
  /** Systemic steroid: stopping it abruptly after more than `abruptStopMaxWeeks` is an error (else a warning). */
  systemic: boolean;
  /** Why the taper is needed, cited by the abrupt-stop rules. */
  withdrawalReference: string;
}

/** The taper the plan gives a steroid, or null for a drug that is not a steroid bridge. */
export function taperSpec(space: PlanSpace, drug: string): TaperSpec | null {
  const f = space.facts;
  if (drug === "prednisone") {
    const range = getPath(space.drugs.byId(drug), "induction.dose_range") as number[] | undefined;
    const fullDose = range?.[0] ?? Number(getPath(space.drugs.byId(drug), "induction.dose"));
    const step = f.prednisoneTaperStep.mgPerWeek;
    const steps: number[] = [];
    for (let d = fullDose - step; d > 0; d -= step) steps.push(d);
    return {
      drug,
      fullDose,
      fullDoseReference: drugRef(drug, "induction"),
      steps,
      taperReference: factRef("prednisoneTaperStep"),
      minCourseWeeks: 1 + steps.length,
      systemic: true,
      withdrawalReference: factRef("steroidWithdrawal"),
    };
  }
  if (drug === "budesonide") {
    const fullDose = Number(getPath(space.drugs.byId(drug), "induction.dose"));
    const steps = Array.from({ length: f.budesonideTaper.weeks }, () => f.budesonideTaper.doseMg);
    return {
      drug,
      fullDose,
      fullDoseReference: drugRef(drug, "induction"),
      steps,
      taperReference: factRef("budesonideTaper"),
      minCourseWeeks: 1 + steps.length,
      systemic: false,
      withdrawalReference: factRef("budesonideTaper"),
    };
  }
  return null;
}

/** Whether a course of `weeks` (full dose + taper) fits the taper and the drug's longest course. */
export function courseFeasible(space: PlanSpace, drug: string, weeks: number): boolean {
  const spec = taperSpec(space, drug);
  const limit = space.steroidLimit[drug];
  if (!spec || !limit) return true;
  return weeks >= spec.minCourseWeeks && weeks <= limit.weeks;
}

/** Plan items of a steroid course of `weeks` from week 0: the full dose, then one item per taper step. */
export function steroidCourseItems(space: PlanSpace, drug: string, weeks: number): RegimenItem[] {
  const e = space.drugs.byId(drug);
  const spec = taperSpec(space, drug)!;
  const fullWeeks = Math.max(1, weeks - spec.steps.length);
  const base = { role: "steroid", drug, drugClass: e.class, route: "PO", unit: "mg/day" } as const;
  const items: RegimenItem[] = [
    {
      ...base,
      phase: "induction",
      dose: spec.fullDose,
      schedule: { kind: "daily" },
      startWeek: 0,
      endWeek: fullWeeks,
      reference: spec.fullDoseReference,
    },
  ];
  let w = fullWeeks;
  // Consecutive weeks at the same dose are one item.
  for (const dose of spec.steps) {
    const last = items[items.length - 1];
    if (last.phase === "taper" && last.dose === dose) last.endWeek = w + 1;
    else
      items.push({
        ...base,
        phase: "taper",
        dose,
        schedule: { kind: "daily" },
        startWeek: w,
        endWeek: w + 1,
        reference: spec.taperReference,
      });
    w++;
  }
  return items;
}

/** Weeks needed to taper a current steroid off from `dose` mg/day (the full taper when the dose is unknown). */
export function taperWeeksFrom(space: PlanSpace, drug: string, dose: number | null): number {
  const spec = taperSpec(space, drug);
  if (!spec) return 0;
  if (dose === null) return spec.steps.length;
  return Math.max(1, spec.steps.filter((d) => d < dose).length);
}

export interface SteroidCourse {
  drug: string;
  items: { item: RegimenItem; index: number }[];
  start: number;
  /** Week the course ends (exclusive); null when it runs to the horizon. */
  end: number | null;
}

/** The steroid courses of a plan: per drug, its items in start order. */
export function steroidCourses(plan: TreatmentPlan): SteroidCourse[] {
  const by = new Map<string, { item: RegimenItem; index: number }[]>();
  plan.items.forEach((item, index) => {
    if (item.role !== "steroid") return;
    const list = by.get(item.drug) ?? [];
    list.push({ item, index });
    by.set(item.drug, list);
  });
  return [...by].map(([drug, items]) => {
    items.sort((a, b) => a.item.startWeek - b.item.startWeek);
    const ends = items.map((x) => x.item.endWeek);
    return {
      drug,
      items,
      start: items[0].item.startWeek,
      end: ends.includes(null) ? null : Math.max(...(ends as number[])),
    };
  });
}
