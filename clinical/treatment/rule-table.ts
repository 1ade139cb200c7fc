import type { Finding, OptimizerConstraints, OptimizerMode, PatientSummary } from "../../protocol/index.js";
import { DECISION_RULES, decisionConstraints, mergeDecisionConstraints } from "./decisions.js";
import { RULES, dedupeFindings, labelConstraints, type Rule, type RuleContext } from "./rules.js";
import type { PlanSpace } from "./space.js";

/**
 * The one rule table: the label rules of rules.ts (drugs, doses, interactions, screening) and the
 * plan rules of decisions.ts (decision points, switch targets, current therapy, monitoring, steroid
 * tapers). The verifier runs it over a plan; the optimizer gets its constraints from the same
 * predicates (here, and per gene choice in item-constraints.ts).
 */
export const RULE_TABLE: readonly Rule[] = [...RULES, ...DECISION_RULES];

/** Runs every rule; one finding per rule id and plan part. */
export function runRules(ctx: RuleContext): Finding[] {
  return dedupeFindings(RULE_TABLE.flatMap((r) => r.check(ctx)));
}

/** Hard constraints for the GA from the whole table (label blocks and the decision rules). */
export function gaConstraints(
  p: PatientSummary,
  space: PlanSpace,
  mode: OptimizerMode,
  constraints: OptimizerConstraints,
): {
  forbiddenValues: number[][];
  forbiddenPairs: [number, number, number, number][];
  blocked: Map<string, string[]>;
  notes: string[];
} {
  const label = labelConstraints(p, space, mode, constraints);
  const decisions = decisionConstraints(p, space, mode);
  return { ...mergeDecisionConstraints(label, decisions), blocked: label.blocked, notes: decisions.notes };
}
