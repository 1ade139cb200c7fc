import type { OptimizerMode, PatientSummary } from "../../protocol/index.js";
import { advancedRequirements, currentCrohnsDrugs } from "./current-therapy.js";
import { escalationStep, priorFailures, stoppingRule } from "./decision-points.js";
import { drugBlocks, type Rule } from "./rules.js";
import { CURRENT_THERAPY_RULES } from "./rules-current.js";
import { DECISION_POINT_RULES, stoppingDecision } from "./rules-decisions.js";
import { MONITORING_RULES, hasDrugLevelTarget } from "./rules-monitoring.js";
import { COURSE_WEEKS, DECISION_WEEKS, G, IMMUNOMODULATORS, N_REG, STEROIDS, type PlanSpace } from "./space.js";
import { courseFeasible } from "./steroid-course.js";

/**
 * Decision points, current therapy, monitoring and steroid tapers: the rules (DECISION_RULES, run
 * by the verifier beside rules.ts's RULES) and the GA constraints derived from the same predicates
 * (decisionConstraints, merged with gaConstraints), so the optimizer never proposes what these
 * rules call an error. Rule files: rules-decisions.ts (decision points, switch targets, prior
 * failure), rules-current.ts (current therapy), rules-monitoring.ts (monitoring, steroid taper).
 */

export const DECISION_RULES: Rule[] = [...DECISION_POINT_RULES, ...CURRENT_THERAPY_RULES, ...MONITORING_RULES];

export interface DecisionConstraints {
  /** [gene, value]: the gene may not take the value. */
  forbiddenValues: [number, number][];
  /** [geneA, valueA, geneB, valueB]: the two may not occur together. */
  forbiddenPairs: [number, number, number, number][];
  /** What the constraints keep or rule out for this patient, in words (for the plan's explanations). */
  notes: string[];
}

/**
 * GA constraints for this patient from the decision, current-therapy and steroid-taper rules.
 * Error findings they prevent in a decoded plan: dp-incoherent, dp-escalate-no-step,
 * dp-primary-non-response, switch-target-same-drug / -prior-failure / -contraindicated,
 * prior-failure, current-responding-changed / -loss-of-response / -failed-continued and
 * steroid-abrupt-stop; the others cannot occur in a decoded plan (the decoder schedules the
 * screening, objective measures and tapers and says what happens to each current drug).
 * gaConstraints (rules.ts) already forbids upadacitinib with an immunomodulator (also as a switch
 * target) and steroid courses past their limit, so those are not repeated here.
 */
export function decisionConstraints(p: PatientSummary, space: PlanSpace, mode: OptimizerMode): DecisionConstraints {
  const fv: [number, number][] = [];
  const fp: [number, number, number, number][] = [];
  const notes: string[] = [];
  const full = mode === "full";
  const dpGenes = full ? [G.dp0, G.dp1] : [];
  const branchGenes = dpGenes.flatMap((g) => [g, g + 1, g + 2]);
  const ESC = 1;
  const SWITCH = 2;
  const advValue = (drug: string) => space.advanced.findIndex((a) => a.id === drug) + 1;

  // dp-incoherent: remission <= partial <= no response in intensity (continue 0 < escalate 1 < switch 2).
  for (const g of dpGenes) {
    const ordered: [number, number][] = [
      [g, g + 1],
      [g + 1, g + 2],
      [g, g + 2],
    ];
    for (const [better, worse] of ordered)
      for (let x = 0; x < 3; x++) for (let y = 0; y < x; y++) fp.push([better, x, worse, y]);
  }

  // Current advanced therapy: keep (responding), escalate or switch (lost response), switch out (failed/blocked).
  const reqs = advancedRequirements(p, space);
  const continued = new Set<string>();
  for (const r of reqs) {
    const v = advValue(r.current.drug);
    if (v <= 0) continue;
    if (r.kind === "keep") {
      continued.add(r.current.drug);
      for (let u = 0; u <= space.advanced.length; u++) if (u !== v) fv.push([G.adv, u]);
      for (let l = 0; l < N_REG; l++) if (l !== r.level) fv.push([G.reg, l]);
      notes.push(`${r.current.drug} continued: ${r.current.why}`);
    } else if (r.kind === "escalate-or-switch") {
      continued.add(r.current.drug);
      for (let l = 0; l <= r.level; l++) fp.push([G.adv, v, G.reg, l]);
      notes.push(`${r.current.drug} escalated or switched: ${r.current.why}`);
    } else {
      fv.push([G.adv, v]);
      notes.push(`${r.current.drug} switched out: ${r.current.why}`);
    }
  }
  for (const c of currentCrohnsDrugs(p, space))
    if (c.role === "immunomodulator" && c.status === "failed") {
      const k = (IMMUNOMODULATORS as readonly string[]).indexOf(c.drug);
      if (k >= 0) fv.push([G.imm, k + 1]);
    }

  // prior-failure: a drug failed in the past is not started again (advanced and immunomodulators).
  const past = priorFailures(p, space, false);
  for (const [drug] of past) {
    const v = advValue(drug);
    if (v > 0 && !continued.has(drug)) fv.push([G.adv, v]);
    const k = (IMMUNOMODULATORS as readonly string[]).indexOf(drug);
    if (k >= 0) fv.push([G.imm, k + 1]);
  }

  if (full) {
    // dp-escalate-no-step: no escalation at a regimen level without a step above it.
    for (let l = 0; l < N_REG; l++) {
      const withLevel = space.advanced.filter((a) => a.regimens.length > l);
      const topHere = withLevel.filter((a) => !escalationStep(space, a.id, l));
      if (topHere.length === 0) continue;
      if (topHere.length === withLevel.length) for (const g of branchGenes) fp.push([G.reg, l, g, ESC]);
      // A drug whose only regimen has no step: no escalation at all. (A drug without a step at a
      // middle level would need a three-gene constraint; conservatively no escalation for it.)
      else for (const a of topHere) for (const g of branchGenes) fp.push([G.adv, advValue(a.id), g, ESC]);
    }
    // dp-primary-non-response: after a new induction, no response is a switch where the label has a
    // stopping rule, and never an escalation reserved for loss of response.
    for (const a of space.advanced) {
      if (continued.has(a.id)) continue;
      const v = advValue(a.id);
      const stop = stoppingRule(space, a.id);
      if (stop) {
        const at = stoppingDecision(DECISION_WEEKS, stop.week);
        const k = DECISION_WEEKS.findIndex((w) => w === at);
        if (k >= 0) {
          const g = (k === 0 ? G.dp0 : G.dp1) + 2;
          fp.push([G.adv, v, g, 0], [G.adv, v, g, ESC]);
        }
      } else if (a.regimens.some((_, l) => escalationStep(space, a.id, l)?.appliesWhen === "loss-of-response"))
        fp.push([G.adv, v, G.dp0 + 2, ESC]);
    }
    // drug-level-no-target: proactive drug levels only for a drug with a therapeutic range.
    space.advanced.forEach((a, i) => {
      if (!hasDrugLevelTarget(space, a.id)) fp.push([G.adv, i + 1, G.tdm, 1]);
    });
    // Switch targets: never the plan's own drug; never a drug failed, not tolerated or blocked
    // (conditional on a switch being used, so an unused target gene never makes a plan infeasible).
    const failing = priorFailures(p, space, true);
    space.advanced.forEach((a, i) => {
      fp.push([G.adv, i + 1, G.switchTarget, i]);
      if (failing.has(a.id) || drugBlocks(p, a.id, space).length > 0)
        for (const g of branchGenes) fp.push([G.switchTarget, i, g, SWITCH]);
    });
  }

  // steroid-abrupt-stop / steroid-course-total: a course length the label's full dose and taper
  // cannot fill is not in the plan space (gaConstraints already forbids the ones past the limit).
  STEROIDS.forEach((drug, s) => {
    COURSE_WEEKS.forEach((w, c) => {
      if (!courseFeasible(space, drug, w)) fp.push([G.steroid, s + 1, G.course, c]);
    });
  });

  return { forbiddenValues: dedupe(fv), forbiddenPairs: dedupe(fp), notes };
}

function dedupe<T extends number[]>(xs: T[]): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = x.join(",");
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * `gaConstraints`' per-gene forbidden values and pairs with the decision constraints added (new
 * arrays; the inputs are not changed). What gaConstraints returns once it merges them.
 */
export function mergeDecisionConstraints(
  ga: { forbiddenValues: number[][]; forbiddenPairs: [number, number, number, number][] },
  dc: DecisionConstraints,
): { forbiddenValues: number[][]; forbiddenPairs: [number, number, number, number][] } {
  const forbiddenValues = ga.forbiddenValues.map((v) => [...v]);
  for (const [g, v] of dc.forbiddenValues) {
    const values = forbiddenValues[g];
    if (values && !values.includes(v)) values.push(v);
  }
  const n = forbiddenValues.length;
  const seen = new Set(ga.forbiddenPairs.map((q) => q.join(",")));
  const forbiddenPairs = [
    ...ga.forbiddenPairs,
    ...dc.forbiddenPairs.filter((q) => q[0] < n && q[2] < n && !seen.has(q.join(","))),
  ];
  return { forbiddenValues, forbiddenPairs };
}
