import type { OptimizerMode, PatientSummary } from "../../protocol/index.js";
import { decodePlan } from "./decode.js";
import { runRules } from "./rule-table.js";
import { COURSE_WEEKS, G, IMMUNOMODULATORS, N_REG, STEROIDS, domainsFor, type PlanSpace } from "./space.js";

/**
 * The verifier's rule table applied to what each gene choice puts in a plan: every (advanced
 * therapy, regimen), (immunomodulator, dose level) and (steroid, course) is decoded on its own,
 * the rules run over it, and a choice whose items draw an error finding becomes a forbidden pair
 * for the GA. So the optimizer cannot propose a dose, route, schedule, course length or escalated
 * regimen the verifier would reject for this patient: one rule table, not a second copy of it.
 */
export function itemConstraints(
  p: PatientSummary,
  space: PlanSpace,
  mode: OptimizerMode,
): { forbiddenPairs: [number, number, number, number][]; reasons: Map<string, string[]> } {
  const length = domainsFor(space, mode).length;
  const pairs: [number, number, number, number][] = [];
  const reasons = new Map<string, string[]>();
  const check = (genes: Record<number, number>, drug: string, pair: [number, number, number, number]) => {
    const genome = Array.from({ length }, (_, g) => genes[g] ?? 0);
    const plan = decodePlan(genome, p, space);
    const own = new Set(plan.items.flatMap((it, i) => (it.drug === drug ? [`items[${i}]`] : [])));
    const errors = runRules({ patient: p, plan, space }).filter(
      (f) => f.severity === "error" && f.item !== null && own.has(f.item),
    );
    if (errors.length === 0) return;
    pairs.push(pair);
    reasons.set(`${drug}:${pair[1]}/${pair[3]}`, [...new Set(errors.map((e) => e.ruleId))]);
  };
  space.advanced.forEach((a, i) => {
    for (let r = 0; r < Math.min(a.regimens.length, N_REG); r++)
      check({ [G.adv]: i + 1, [G.reg]: r }, a.id, [G.adv, i + 1, G.reg, r]);
  });
  IMMUNOMODULATORS.forEach((drug, k) => {
    for (let l = 0; l < space.fractions.length; l++)
      check({ [G.imm]: k + 1, [G.frac]: l }, drug, [G.imm, k + 1, G.frac, l]);
  });
  STEROIDS.forEach((drug, k) => {
    COURSE_WEEKS.forEach((_, c) => check({ [G.steroid]: k + 1, [G.course]: c }, drug, [G.steroid, k + 1, G.course, c]));
  });
  return { forbiddenPairs: pairs, reasons };
}
