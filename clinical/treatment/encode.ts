import type { TreatmentPlan } from "../../protocol/index.js";
import { ACTIONS, COURSE_WEEKS, G, IMMUNOMODULATORS, STEROIDS, type PlanSpace } from "./space.js";

/**
 * The genome closest to a (possibly hand-written) plan, so the model can score it. Uses the
 * plan's genome when it carries one. Unknown drugs map to "none".
 */
export function encodePlan(plan: TreatmentPlan, space: PlanSpace): number[] {
  if (plan.genome && plan.genome.length === 15) return [...plan.genome];
  if (plan.genome && plan.genome.length === 6) return [...plan.genome, 0, 0, 0, 0, 0, 0, 0, 1, 0];
  const g = new Array<number>(15).fill(0);
  g[G.calpro] = 1;
  const adv =
    plan.items.find((i) => i.role === "advanced" && i.phase === "maintenance") ??
    plan.items.find((i) => i.role === "advanced");
  if (adv) {
    const a = space.advanced.findIndex((x) => x.id === adv.drug);
    const entry = space.advanced[a];
    if (entry) {
      g[G.adv] = a + 1;
      const interval = adv.schedule.kind === "every" ? adv.schedule.weeks : null;
      const r = entry.regimens.findIndex((x) => x.dose === adv.dose && x.intervalWeeks === interval);
      g[G.reg] = Math.max(0, r);
    }
  }
  const imm = plan.items.find((i) => i.role === "immunomodulator");
  if (imm) {
    const k = IMMUNOMODULATORS.indexOf(imm.drug as (typeof IMMUNOMODULATORS)[number]);
    if (k >= 0) {
      g[G.imm] = k + 1;
      g[G.frac] = nearestIndex(space.fractions, imm.doseFraction ?? 1);
    }
  }
  // The steroid bridge is a course with a full dose; taper-only items wean a current steroid off.
  const st = plan.items.find((i) => i.role === "steroid" && i.phase !== "taper");
  if (st) {
    const k = STEROIDS.indexOf(st.drug as (typeof STEROIDS)[number]);
    if (k >= 0) {
      g[G.steroid] = k + 1;
      // The course is the drug's items together: full dose plus taper (decodePlan's steroid course).
      const course = plan.items.filter((i) => i.role === "steroid" && i.drug === st.drug);
      const len =
        Math.max(...course.map((i) => i.endWeek ?? plan.horizonWeeks)) - Math.min(...course.map((i) => i.startWeek));
      g[G.course] = nearestIndex(COURSE_WEEKS, len);
    }
  }
  plan.decisionPoints.slice(0, 2).forEach((dp, k) => {
    const base = k === 0 ? G.dp0 : G.dp1;
    [dp.onRemission, dp.onPartialResponse, dp.onNoResponse].forEach((a, s) => {
      g[base + s] = ACTIONS.indexOf(a.kind);
      if (a.kind === "switch") {
        const t = space.advanced.findIndex((x) => x.id === a.drug);
        if (t >= 0) g[G.switchTarget] = t;
      }
    });
  });
  if (plan.monitoring.some((m) => m.test === "drug-level" && m.weeks.length > 1)) g[G.tdm] = 1;
  const cal = plan.monitoring.find((m) => m.test === "calprotectin");
  const [first, second] = cal?.weeks ?? [];
  if (first !== undefined) {
    const gap = second !== undefined ? second - first : first;
    g[G.calpro] = nearestIndex(
      space.efficacy.monitoring.calprotectinIntervals.map((x) => x.weeks),
      gap,
    );
  }
  return g;
}

/** Index of the value nearest `target`, the first on a tie (0 for an empty list). */
function nearestIndex(values: readonly number[], target: number): number {
  let best = 0;
  let bestGap = Infinity;
  values.forEach((v, i) => {
    const gap = Math.abs(v - target);
    if (gap < bestGap) {
      best = i;
      bestGap = gap;
    }
  });
  return best;
}
