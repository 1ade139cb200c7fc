import {
  FitnessWeightsSchema,
  type DecisionAction,
  type MonitoringItem,
  type PatientSummary,
  type RegimenItem,
  type TreatmentPlan,
} from "../../../protocol/index.js";
import { decodePlan } from "../decode.js";
import { DECISION_RULES } from "../decisions.js";
import { G, loadPlanSpace } from "../space.js";
import { basePatient, currentMed } from "./patients.js";
import { item, planWith } from "./plans.js";

/**
 * The decision rules' cases (a case that fires and a near miss per rule), shared by
 * clinical/treatment/decisions.test.ts (the rules themselves) and test/integration/clinical-safety.test.ts
 * (through the real MCP tool).
 */
export const space = loadPlanSpace();
export const weights = FitnessWeightsSchema.parse({});
export const none = { excludedDrugs: [], excludedClasses: [] };
export const base = basePatient();

export const findings = (p: PatientSummary, plan: TreatmentPlan) =>
  DECISION_RULES.flatMap((r) => r.check({ patient: p, plan, space }));
export const ids = (p: PatientSummary, plan: TreatmentPlan) => findings(p, plan).map((f) => f.ruleId);
export const errors = (p: PatientSummary, plan: TreatmentPlan) =>
  findings(p, plan).filter((f) => f.severity === "error");

/** Genome: [adv, reg, imm, frac, steroid, course, dp12 R/P/N, dp26 R/P/N, switch target, calprotectin, tdm]. */
export const ADV = { infliximab: 1, adalimumab: 2, certolizumab: 3, vedolizumab: 4, ustekinumab: 5, risankizumab: 6 };
export const TARGET = { ustekinumab: 4, adalimumab: 1, upadacitinib: 8, infliximab: 0 };
export const genome = (over: Partial<Record<keyof typeof G, number>> & { dp?: number[] } = {}): number[] => {
  const g = [ADV.infliximab, 0, 0, 0, 0, 0, 0, 1, 2, 0, 1, 2, TARGET.ustekinumab, 1, 0];
  for (const [k, v] of Object.entries(over)) if (k !== "dp") g[G[k as keyof typeof G]] = v as number;
  if (over.dp) over.dp.forEach((v, i) => (g[G.dp0 + i] = v));
  return g;
};
export const decoded = (p: PatientSummary = base, over: Parameters<typeof genome>[0] = {}) =>
  decodePlan(genome(over), p, space);

export const C: DecisionAction = { kind: "continue" };
export const E: DecisionAction = { kind: "escalate" };
export const S = (drug: string): DecisionAction => ({ kind: "switch", drug });
export const withDp = (
  plan: TreatmentPlan,
  week: number,
  r: DecisionAction,
  pa: DecisionAction,
  n: DecisionAction,
) => ({
  ...plan,
  decisionPoints: plan.decisionPoints.map((d) =>
    d.week === week ? { week, onRemission: r, onPartialResponse: pa, onNoResponse: n } : d,
  ),
});
export const withMonitoring = (plan: TreatmentPlan, f: (m: MonitoringItem[]) => MonitoringItem[]) => ({
  ...plan,
  monitoring: f(plan.monitoring),
});
export const withItems = (plan: TreatmentPlan, f: (items: RegimenItem[]) => RegimenItem[]) => ({
  ...plan,
  items: f(plan.items),
});
export type HistoryItem = PatientSummary["treatmentHistory"][number];
export const history = (drug: string, response: HistoryItem["response"]): HistoryItem => ({
  drug,
  drugClass: space.drugs.byId(drug).class,
  status: "stopped",
  response,
  adverseEvents: [],
  ref: `MedicationStatement/past-${drug}`,
});
export const on = (...meds: PatientSummary["currentMedications"]): PatientSummary => ({
  ...base,
  currentMedications: meds,
});
export const steroid = (
  drug: "prednisone" | "budesonide",
  dose: number,
  start: number,
  end: number,
  phase: RegimenItem["phase"],
) => ({
  ...(drug === "prednisone" ? item.prednisone(end, dose) : item.budesonide(end)),
  dose,
  startWeek: start,
  endWeek: end,
  phase,
});

export interface Case {
  rule: string;
  severity?: "error" | "warning";
  fires: [PatientSummary, TreatmentPlan];
  nearMiss: [PatientSummary, TreatmentPlan];
}

export const adalimumabRemission = on(currentMed("adalimumab", "remission"));
export const infliximabLost = on(currentMed("infliximab", "loss-of-response"));
export const adalimumabPnr = on(currentMed("adalimumab", "primary-non-response"));
export const onPrednisone = on(currentMed("prednisone", "ongoing"));

export const DECISION_CASES: Case[] = [
  {
    rule: "dp-incoherent",
    fires: [base, withDp(decoded(), 12, C, S("ustekinumab"), C)],
    nearMiss: [base, withDp(decoded(), 12, C, E, S("ustekinumab"))],
  },
  {
    rule: "dp-escalate-no-step",
    fires: [base, decoded(base, { reg: 1 })],
    nearMiss: [base, decoded(base, { reg: 0 })],
  },
  {
    rule: "dp-primary-non-response",
    fires: [base, withDp(decoded(), 12, C, C, C)],
    nearMiss: [base, withDp(decoded(), 12, C, C, S("ustekinumab"))],
  },
  {
    rule: "dp-no-response-continue",
    severity: "warning",
    fires: [base, decoded(base, { adv: ADV.ustekinumab, dp: [0, 0, 0, 0, 0, 2], switchTarget: TARGET.adalimumab })],
    nearMiss: [base, decoded(base, { adv: ADV.ustekinumab, dp: [0, 0, 2, 0, 0, 2], switchTarget: TARGET.adalimumab })],
  },
  {
    rule: "switch-target-unknown",
    fires: [base, withDp(decoded(), 12, C, E, S("unobtainium"))],
    nearMiss: [base, withDp(decoded(), 12, C, E, S("ustekinumab"))],
  },
  {
    rule: "switch-target-same-drug",
    fires: [base, withDp(decoded(), 26, C, E, S("infliximab"))],
    nearMiss: [base, withDp(decoded(), 26, C, E, S("ustekinumab"))],
  },
  {
    rule: "switch-target-prior-failure",
    fires: [{ ...base, treatmentHistory: [history("ustekinumab", "primary-non-response")] }, decoded()],
    nearMiss: [{ ...base, treatmentHistory: [history("ustekinumab", "response")] }, decoded()],
  },
  {
    rule: "switch-target-contraindicated",
    fires: [
      { ...base, comorbidities: { ...base.comorbidities, heartFailureNyha: 3 } },
      decoded(base, { adv: ADV.ustekinumab, switchTarget: TARGET.adalimumab }),
    ],
    nearMiss: [
      { ...base, comorbidities: { ...base.comorbidities, heartFailureNyha: 2 } },
      decoded(base, { adv: ADV.ustekinumab, switchTarget: TARGET.adalimumab }),
    ],
  },
  {
    rule: "switch-target-jak-immunomodulator",
    fires: [base, decoded(base, { imm: 1, switchTarget: TARGET.upadacitinib })],
    nearMiss: [base, decoded(base, { imm: 0, switchTarget: TARGET.upadacitinib })],
  },
  {
    rule: "switch-target-screening",
    fires: [
      base,
      withMonitoring(decoded(base, { adv: ADV.risankizumab, switchTarget: TARGET.ustekinumab }), (m) =>
        m.filter((x) => x.test !== "tb-screening"),
      ),
    ],
    nearMiss: [base, decoded(base, { adv: ADV.risankizumab, switchTarget: TARGET.ustekinumab })],
  },
  {
    rule: "prior-failure",
    fires: [{ ...base, treatmentHistory: [history("infliximab", "loss-of-response")] }, decoded()],
    nearMiss: [
      { ...base, treatmentHistory: [history("infliximab", "loss-of-response")] },
      decoded(base, { adv: ADV.ustekinumab, switchTarget: TARGET.adalimumab }),
    ],
  },
  {
    rule: "current-therapy-missing",
    fires: [adalimumabRemission, { ...decoded(adalimumabRemission, { adv: ADV.adalimumab }), currentTherapy: [] }],
    nearMiss: [adalimumabRemission, decoded(adalimumabRemission, { adv: ADV.adalimumab })],
  },
  {
    rule: "current-therapy-inconsistent",
    fires: [
      adalimumabRemission,
      {
        ...decoded(adalimumabRemission, { adv: ADV.adalimumab }),
        currentTherapy: [{ drug: "adalimumab", action: "stop", stopWeek: 0, reason: "x", reference: "x" }],
      },
    ],
    nearMiss: [adalimumabRemission, decoded(adalimumabRemission, { adv: ADV.adalimumab })],
  },
  {
    rule: "current-second-advanced",
    fires: [
      infliximabLost,
      {
        ...decoded(infliximabLost, { adv: ADV.ustekinumab, switchTarget: TARGET.adalimumab }),
        currentTherapy: [{ drug: "infliximab", action: "continue", reason: "x", reference: "x" }],
      },
    ],
    nearMiss: [infliximabLost, decoded(infliximabLost, { adv: ADV.ustekinumab, switchTarget: TARGET.adalimumab })],
  },
  {
    rule: "current-responding-changed",
    fires: [
      adalimumabRemission,
      decoded(adalimumabRemission, { adv: ADV.ustekinumab, switchTarget: TARGET.infliximab }),
    ],
    nearMiss: [adalimumabRemission, decoded(adalimumabRemission, { adv: ADV.adalimumab })],
  },
  {
    rule: "current-loss-of-response",
    fires: [infliximabLost, decoded(infliximabLost, { adv: ADV.infliximab, reg: 0 })],
    nearMiss: [infliximabLost, decoded(infliximabLost, { adv: ADV.infliximab, reg: 1, dp: [0, 2, 2, 0, 2, 2] })],
  },
  {
    rule: "current-failed-continued",
    fires: [adalimumabPnr, decoded(adalimumabPnr, { adv: ADV.adalimumab, reg: 0 })],
    nearMiss: [adalimumabPnr, decoded(adalimumabPnr, { adv: ADV.ustekinumab, switchTarget: TARGET.infliximab })],
  },
  {
    rule: "current-steroid-abrupt",
    fires: [
      onPrednisone,
      {
        ...decoded(onPrednisone),
        currentTherapy: [{ drug: "prednisone", action: "stop", stopWeek: 0, reason: "x", reference: "x" }],
      },
    ],
    nearMiss: [onPrednisone, decoded(onPrednisone)],
  },
  {
    rule: "dp-objective-measure",
    fires: [base, withMonitoring(decoded(), (m) => m.filter((x) => !["calprotectin", "drug-level"].includes(x.test)))],
    nearMiss: [base, decoded()],
  },
  {
    rule: "tdm-before-escalation",
    severity: "warning",
    fires: [base, withMonitoring(decoded(), (m) => m.filter((x) => x.test !== "drug-level"))],
    nearMiss: [base, decoded()],
  },
  {
    rule: "drug-level-no-target",
    severity: "warning",
    fires: [base, decoded(base, { adv: ADV.risankizumab, tdm: 1 })],
    nearMiss: [base, decoded(base, { adv: ADV.ustekinumab, tdm: 1, switchTarget: TARGET.adalimumab })],
  },
  {
    rule: "monitoring-unrelated-drug",
    severity: "warning",
    fires: [
      base,
      withMonitoring(decoded(base, { adv: 7 }), (m) => [
        ...m,
        { test: "hepatitis-b-serology", weeks: [0], reason: "before infliximab", reference: "x" },
      ]),
    ],
    nearMiss: [base, decoded(base, { adv: 7 })],
  },
  {
    rule: "monitoring-label-missing",
    severity: "warning",
    fires: [base, withMonitoring(decoded(base, { adv: ADV.risankizumab }), (m) => m.filter((x) => x.test !== "lft"))],
    nearMiss: [base, decoded(base, { adv: ADV.risankizumab })],
  },
  {
    rule: "steroid-abrupt-stop",
    fires: [base, planWith([item.prednisone(8)])],
    nearMiss: [base, decoded(base, { steroid: 2, course: 1 })],
  },
  {
    rule: "steroid-taper-fast",
    severity: "warning",
    fires: [
      base,
      planWith([
        steroid("prednisone", 40, 0, 2, "induction"),
        steroid("prednisone", 20, 2, 3, "taper"),
        steroid("prednisone", 5, 3, 4, "taper"),
      ]),
    ],
    nearMiss: [base, decoded(base, { steroid: 2, course: 1 })],
  },
  {
    rule: "steroid-course-total",
    fires: [
      base,
      withItems(decoded(base, { steroid: 2, course: 2 }), (items) =>
        items.map((it) =>
          it.role !== "steroid"
            ? it
            : it.phase === "induction"
              ? { ...it, endWeek: 9 }
              : { ...it, startWeek: it.startWeek + 4, endWeek: (it.endWeek ?? 0) + 4 },
        ),
      ),
    ],
    nearMiss: [base, decoded(base, { steroid: 2, course: 2 })],
  },
];
