import type { DecisionPoint, Finding, TreatmentPlan } from "../../protocol/index.js";
import { drugRef } from "../reference/drugs.js";
import {
  BRANCHES,
  INTENSITY,
  dpRef,
  escalationStep,
  finding,
  planAdvanced,
  priorFailures,
  stoppingRule,
  switchTargets,
  switchUses,
  type Branch,
} from "./decision-points.js";
import { drugBlocks, requiredScreening, type Rule } from "./rules.js";
import { factRef, type PlanSpace } from "./space.js";

/**
 * Decision points that make sense: the actions at one decision point never get milder as the
 * response gets worse (treat-to-target); "escalate" only where the drug has a label escalation step
 * that applies; no response after an induction is a switch where the label has a stopping rule;
 * every switch target is checked like a first-line drug for this patient, and screened first.
 */

const BRANCH_WORDS: Record<Branch, string> = {
  onRemission: "remission",
  onPartialResponse: "partial response",
  onNoResponse: "no response",
};

/**
 * The decision point at which a non-responder to a new induction of a drug with a stopping rule
 * must be switched: the first one after which the next decision would fall past the label's week.
 */
export function stoppingDecision(weeks: readonly number[], stopWeek: number): number | null {
  const sorted = [...weeks].sort((a, b) => a - b);
  for (const [k, week] of sorted.entries()) {
    const next = sorted[k + 1];
    if (next === undefined || next > stopWeek) return week;
  }
  return null;
}

/** Why "no response" at this decision point may not be `kind` for the plan's drug (primary non-response), or null. */
export function primaryNonResponseProblem(
  plan: TreatmentPlan,
  space: PlanSpace,
  dp: DecisionPoint,
): { message: string; reference: string } | null {
  const adv = planAdvanced(plan, space);
  if (!adv || !adv.induced) return null;
  const first = [...plan.decisionPoints].sort((a, b) => a.week - b.week)[0];
  const kind = dp.onNoResponse.kind;
  const stop = stoppingRule(space, adv.drug);
  if (stop) {
    const at = stoppingDecision(
      plan.decisionPoints.map((d) => d.week),
      stop.week,
    );
    if (at === dp.week && kind !== "switch")
      return {
        message: `week ${dp.week}: no response after ${adv.drug} induction → ${kind}; the label says "${stop.text}": a non-responder is switched`,
        reference: stop.reference,
      };
    return null;
  }
  if (dp !== first || kind !== "escalate") return null;
  const step = escalationStep(space, adv.drug, adv.level);
  if (step?.appliesWhen !== "loss-of-response") return null;
  return {
    message: `week ${dp.week}: no response after ${adv.drug} induction → escalate; the label's escalation is for patients who respond and then lose response, a primary non-responder is switched`,
    reference: step.reference,
  };
}

/** Why a switch target is not allowed for this plan and patient: one entry per rule. */
export function switchTargetProblems(
  plan: TreatmentPlan,
  space: PlanSpace,
  patient: Parameters<typeof drugBlocks>[0],
  target: string,
  week: number,
): { ruleId: string; message: string; reference: string }[] {
  const out: { ruleId: string; message: string; reference: string }[] = [];
  if (!space.drugs.has(target) || !space.advanced.some((a) => a.id === target))
    return [
      {
        ruleId: "switch-target-unknown",
        message: `switch to "${target}": not an advanced therapy in drugs.json`,
        reference: "drugs.json",
      },
    ];
  const adv = planAdvanced(plan, space);
  if (adv?.drug === target)
    out.push({
      ruleId: "switch-target-same-drug",
      message: `switch to ${target}, the drug the plan is already giving (the one that failed)`,
      reference: factRef("treatToTarget"),
    });
  const failed = priorFailures(patient, space, true).get(target);
  if (failed)
    out.push({
      ruleId: "switch-target-prior-failure",
      message: `switch to ${target}: ${failed.why} (${failed.ref})`,
      reference: factRef("treatToTarget"),
    });
  const blocks = drugBlocks(patient, target, space);
  const [firstBlock] = blocks;
  if (firstBlock)
    out.push({
      ruleId: "switch-target-contraindicated",
      message: `switch to ${target}: ${blocks.map((b) => b.message).join("; ")}`,
      reference: firstBlock.reference,
    });
  if (target === "upadacitinib") {
    const imm = plan.items.find(
      (it) => it.role === "immunomodulator" && it.startWeek <= week && (it.endWeek ?? Infinity) > week,
    );
    const i = space.drugs.findEntry("upadacitinib", "interactions", /immunosuppressant/i);
    if (imm)
      out.push({
        ruleId: "switch-target-jak-immunomodulator",
        message: `switch to upadacitinib at week ${week} while ${imm.drug} continues`,
        reference: i >= 0 ? drugRef("upadacitinib", `interactions[${i}]`) : drugRef("upadacitinib", "interactions"),
      });
  }
  return out;
}

const SWITCH_TARGET_RULES = [
  ["switch-target-unknown", "Switch to a drug that is not an advanced therapy in drugs.json"],
  ["switch-target-same-drug", "Switch to the drug that failed"],
  ["switch-target-prior-failure", "Switch to a drug the patient already failed or did not tolerate"],
  ["switch-target-contraindicated", "Switch to a drug contraindicated for this patient"],
  ["switch-target-jak-immunomodulator", "Switch to upadacitinib while an immunomodulator continues"],
] as const;

export const DECISION_POINT_RULES: Rule[] = [
  {
    id: "dp-incoherent",
    severity: "error",
    title: "A worse response gets a milder action than a better one at the same decision point",
    check: ({ plan }) =>
      plan.decisionPoints.flatMap((dp) => {
        const bad: string[] = [];
        for (const [a, betterBranch] of BRANCHES.entries())
          for (const worseBranch of BRANCHES.slice(a + 1)) {
            const better = dp[betterBranch].kind;
            const worse = dp[worseBranch].kind;
            if (INTENSITY[worse] < INTENSITY[better])
              bad.push(`${BRANCH_WORDS[worseBranch]} → ${worse} but ${BRANCH_WORDS[betterBranch]} → ${better}`);
          }
        return bad.length === 0
          ? []
          : [
              finding(
                "dp-incoherent",
                "error",
                `week ${dp.week}: ${bad.join("; ")}; a worse response is never given a milder action (continue < escalate < switch)`,
                factRef("treatToTarget"),
                dpRef(dp),
              ),
            ];
      }),
  },
  {
    id: "dp-escalate-no-step",
    severity: "error",
    title: "Escalation where the drug has no escalation step (none on the label, or already at the top regimen)",
    check: ({ plan, space }) => {
      const adv = planAdvanced(plan, space);
      return plan.decisionPoints.flatMap((dp) => {
        const esc = BRANCHES.filter((b) => dp[b].kind === "escalate");
        if (esc.length === 0) return [];
        const where = esc.map((b) => BRANCH_WORDS[b]).join(", ");
        if (!adv)
          return [
            finding(
              "dp-escalate-no-step",
              "error",
              `week ${dp.week}: escalate on ${where}, but the plan has no advanced therapy to escalate`,
              factRef("treatToTarget"),
              dpRef(dp),
            ),
          ];
        if (escalationStep(space, adv.drug, adv.level)) return [];
        const regimens = space.advanced.find((a) => a.id === adv.drug)?.regimens.length ?? 0;
        const why =
          adv.level < 0
            ? `${adv.drug}'s regimen is not a label regimen`
            : regimens <= 1
              ? `${adv.drug} has no escalation step on its label`
              : `${adv.drug} is already at its top regimen`;
        return [
          finding(
            "dp-escalate-no-step",
            "error",
            `week ${dp.week}: escalate on ${where}, but ${why}`,
            space.drugs.has(adv.drug) && space.drugs.byId(adv.drug).dose_escalation
              ? drugRef(adv.drug, "dose_escalation")
              : drugRef(adv.drug, "maintenance"),
            dpRef(dp),
          ),
        ];
      });
    },
  },
  {
    id: "dp-primary-non-response",
    severity: "error",
    title: "No response after an induction that the label says to stop, or escalation for primary non-response",
    check: ({ plan, space }) =>
      plan.decisionPoints.flatMap((dp) => {
        const p = primaryNonResponseProblem(plan, space, dp);
        return p
          ? [finding("dp-primary-non-response", "error", p.message, p.reference, dpRef(dp, "onNoResponse"))]
          : [];
      }),
  },
  {
    id: "dp-no-response-continue",
    severity: "warning",
    title: "No response → continue",
    check: ({ plan, space }) =>
      plan.decisionPoints.flatMap((dp) =>
        dp.onNoResponse.kind === "continue" && !primaryNonResponseProblem(plan, space, dp)
          ? [
              finding(
                "dp-no-response-continue",
                "warning",
                `week ${dp.week}: no response → continue; a target that is missed calls for a change of therapy`,
                factRef("treatToTarget"),
                dpRef(dp, "onNoResponse"),
              ),
            ]
          : [],
      ),
  },
  ...SWITCH_TARGET_RULES.map(([id, title]): Rule => ({
    id,
    severity: "error",
    title,
    check: ({ patient, plan, space }) =>
      switchTargets(plan).flatMap((u): Finding[] =>
        switchTargetProblems(plan, space, patient, u.drug, u.week)
          .filter((x) => x.ruleId === id)
          .map((x) => finding(id, "error", x.message, x.reference, dpRef(u.dp, u.branch))),
      ),
  })),
  {
    id: "switch-target-screening",
    severity: "error",
    title: "Screening for a switch target scheduled before the switch",
    check: ({ patient, plan, space }) =>
      switchTargets(plan).flatMap((u): Finding[] => {
        if (!space.drugs.has(u.drug)) return [];
        const week = Math.min(
          ...switchUses(plan)
            .filter((x) => x.drug === u.drug)
            .map((x) => x.week),
        );
        return requiredScreening(patient, u.drug, space)
          .filter(
            (r) =>
              !plan.monitoring.some(
                (m) =>
                  m.test === r.test && m.weeks.some((w) => w <= week && (r.test !== "pregnancy-test" || w >= week - 4)),
              ),
          )
          .map((r) =>
            finding(
              "switch-target-screening",
              "error",
              `${u.drug} (switch at week ${week}): ${r.test} required before the first dose${r.test === "pregnancy-test" ? " (within 4 weeks)" : ""}`,
              r.reference,
              dpRef(u.dp, u.branch),
            ),
          );
      }),
  },
  {
    id: "prior-failure",
    severity: "error",
    title: "A drug the patient already failed or did not tolerate, started again",
    check: ({ patient, plan, space }) => {
      const failed = priorFailures(patient, space, false);
      const seen = new Set<string>();
      return plan.items.flatMap((it, i): Finding[] => {
        const f = failed.get(it.drug);
        if (!f || seen.has(it.drug) || (it.role !== "advanced" && it.role !== "immunomodulator")) return [];
        seen.add(it.drug);
        return [
          finding(
            "prior-failure",
            "error",
            `${it.drug}: ${f.why} (${f.ref}); choose another drug`,
            factRef("treatToTarget"),
            `items[${i}]`,
          ),
        ];
      });
    },
  },
];
