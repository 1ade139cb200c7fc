import type { RegimenItem, TreatmentPlan } from "../../protocol/index.js";
import { factRef, STEROIDS, type PlanSpace } from "./space.js";

/**
 * Steroid courses with their taper. The course-length gene is the whole course (full dose plus
 * taper, as the model counts steroid weeks); doses, steps and lengths come from drugs.json's
 * induction and taper regimens. A systemic steroid given for more than 3 weeks is never stopped
 * abruptly (BNF, decision-facts.json#steroidWithdrawal); budesonide is tapered before it stops
 * (Entocort SmPC, decision-facts.json#budesonideTaper).
 */

export interface TaperSpec {
  drug: string;
  /** Full dose in mg/day and the longest the label gives it (drugs.json induction regimen). */
  fullDose: number;
  maxFullWeeks: number;
  fullDoseReference: string;
  /** Daily doses of the shortest taper, one per week, highest first. */
  steps: number[];
  /** Longest taper the label allows, in weeks (the steps may be stretched up to it). */
  maxTaperWeeks: number;
  taperReference: string;
  /** Shortest course the decoder can give: one full-dose week plus the taper. */
  minCourseWeeks: number;
  /** Systemic steroid: stopping it abruptly after more than 3 weeks is an error (else a warning). */
  systemic: boolean;
  /** Why the taper is needed, cited by the abrupt-stop rules. */
  withdrawalReference: string;
}

/**
 * The taper the plan gives a steroid (drugs.json's induction and taper regimens), or null for a
 * drug that is not a steroid bridge. Prednisone: 40 mg/day for at most 2 weeks, then 5 mg less a
 * week; budesonide: 9 mg for at most 8 weeks, then 6 mg for 2 weeks.
 */
export function taperSpec(space: PlanSpace, drug: string): TaperSpec | null {
  if (!(STEROIDS as readonly string[]).includes(drug) || !space.drugs.has(drug)) return null;
  const regs = space.drugs.regimens(drug);
  const ind = regs.find((r) => r.phase === "induction");
  const taper = regs.find((r) => r.phase === "taper");
  if (!ind || !taper) return null;
  const fullDose = ind.dose_range?.[0] ?? ind.dose;
  const steps: number[] = [];
  if (taper.taper) {
    const every = Math.max(1, Math.round(taper.taper.every_weeks));
    for (let d = Math.min(taper.dose, fullDose - taper.taper.step); d > 0; d -= taper.taper.step)
      for (let k = 0; k < every; k++) steps.push(d);
  } else for (let k = 0; k < (taper.max_weeks ?? 1); k++) steps.push(taper.dose);
  const systemic = drug === "prednisone";
  return {
    drug,
    fullDose,
    maxFullWeeks: ind.max_weeks ?? Infinity,
    fullDoseReference: ind.ref,
    steps,
    maxTaperWeeks: taper.max_weeks ?? steps.length,
    taperReference: taper.ref,
    minCourseWeeks: 1 + steps.length,
    systemic,
    withdrawalReference: systemic ? factRef("steroidWithdrawal") : factRef("budesonideTaper"),
  };
}

/**
 * The course of `weeks` (full dose plus taper) as weekly doses: the full dose for as long as the
 * label allows (and the shortest taper leaves), then the taper with its lower steps held longer
 * (relapse comes as the dose falls) up to the label's longest taper; null when no such course fits.
 */
function courseDoses(spec: TaperSpec, weeks: number): { full: number; taper: number[] } | null {
  const full = Math.max(1, Math.min(spec.maxFullWeeks, weeks - spec.steps.length));
  const extra = weeks - full - spec.steps.length;
  if (extra < 0 || spec.steps.length + extra > spec.maxTaperWeeks) return null;
  // Weeks at step k: one, plus the extra weeks dealt out one at a time from the last (lowest) step
  // back to the first, round and round.
  const n = spec.steps.length;
  const hold = (k: number) => 1 + Math.floor(extra / n) + (k >= n - (extra % n) ? 1 : 0);
  return { full, taper: spec.steps.flatMap((d, k) => Array.from({ length: hold(k) }, () => d)) };
}

/** Whether a course of `weeks` (full dose + taper) fits the label's full-dose and taper lengths and the course limit. */
export function courseFeasible(space: PlanSpace, drug: string, weeks: number): boolean {
  const spec = taperSpec(space, drug);
  const limit = space.steroidLimit[drug];
  if (!spec) return true;
  return courseDoses(spec, weeks) !== null && (!limit || weeks <= limit.weeks);
}

/** Plan items of a steroid course of `weeks` from week 0: the full dose, then one item per taper dose. */
export function steroidCourseItems(space: PlanSpace, drug: string, weeks: number): RegimenItem[] {
  const e = space.drugs.byId(drug);
  const spec = taperSpec(space, drug)!;
  // A course the label cannot give (the GA never proposes one): the shortest course.
  const course = courseDoses(spec, weeks) ?? courseDoses(spec, spec.minCourseWeeks)!;
  const base = { role: "steroid", drug, drugClass: e.class, route: "PO", unit: "mg/day" } as const;
  let last: RegimenItem = {
    ...base,
    phase: "induction",
    dose: spec.fullDose,
    schedule: { kind: "daily" },
    startWeek: 0,
    endWeek: course.full,
    reference: spec.fullDoseReference,
  };
  const items = [last];
  let w = course.full;
  // Consecutive weeks at the same dose are one item.
  for (const dose of course.taper) {
    if (last.phase === "taper" && last.dose === dose) last.endWeek = w + 1;
    else {
      last = {
        ...base,
        phase: "taper",
        dose,
        schedule: { kind: "daily" },
        startWeek: w,
        endWeek: w + 1,
        reference: spec.taperReference,
      };
      items.push(last);
    }
    w++;
  }
  return items;
}

/** Daily doses, one per week, that taper a current steroid off from `dose` mg/day (the whole taper when unknown). */
export function taperDosesFrom(space: PlanSpace, drug: string, dose: number | null): number[] {
  const spec = taperSpec(space, drug);
  if (!spec) return [];
  if (dose === null) return spec.steps;
  const below = spec.steps.filter((d) => d < dose);
  return below.length > 0 ? below : [dose];
}

/** Plan items tapering a current steroid off from week 0 (one item per dose). */
export function currentTaperItems(space: PlanSpace, drug: string, dose: number | null): RegimenItem[] {
  const spec = taperSpec(space, drug);
  if (!spec) return [];
  const e = space.drugs.byId(drug);
  const items: RegimenItem[] = [];
  taperDosesFrom(space, drug, dose).forEach((d, w) => {
    const last = items[items.length - 1];
    if (last && last.dose === d) last.endWeek = w + 1;
    else
      items.push({
        role: "steroid",
        drug,
        drugClass: e.class,
        route: "PO",
        phase: "taper",
        dose: d,
        unit: "mg/day",
        schedule: { kind: "daily" },
        startWeek: w,
        endWeek: w + 1,
        reference: spec.taperReference,
      });
  });
  return items;
}

type CourseItem = { item: RegimenItem; index: number };

export interface SteroidCourse {
  drug: string;
  /** In start order (never empty). */
  items: [CourseItem, ...CourseItem[]];
  /** The item that starts last. */
  last: CourseItem;
  start: number;
  /** Week the course ends (exclusive); null when it runs to the horizon. */
  end: number | null;
}

/** The steroid courses of a plan: per drug, its items in start order. */
export function steroidCourses(plan: TreatmentPlan): SteroidCourse[] {
  const by = new Map<string, CourseItem[]>();
  plan.items.forEach((item, index) => {
    if (item.role !== "steroid") return;
    const list = by.get(item.drug) ?? [];
    list.push({ item, index });
    by.set(item.drug, list);
  });
  return [...by].flatMap(([drug, items]): SteroidCourse[] => {
    items.sort((a, b) => a.item.startWeek - b.item.startWeek);
    const [first, ...rest] = items;
    if (!first) return []; // a drug is in the map by the item that added it
    const ends = items.map((x) => x.item.endWeek);
    return [
      {
        drug,
        items: [first, ...rest],
        last: rest[rest.length - 1] ?? first,
        start: first.item.startWeek,
        end: ends.includes(null) ? null : Math.max(...(ends as number[])),
      },
    ];
  });
}
