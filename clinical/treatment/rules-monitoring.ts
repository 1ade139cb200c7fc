import type { Finding, MonitoringTest, TreatmentPlan } from "../../protocol/index.js";
import { drugRef } from "../reference/drugs.js";
import { at } from "./at.js";
import { advancedRequirements } from "./current-therapy.js";
import { BRANCHES, dpRef, finding, planAdvanced, switchUses } from "./decision-points.js";
import { labelMonitoring, labelWindows } from "./label-monitoring.js";
import type { Rule } from "./rules.js";
import { factRef, type PlanSpace } from "./space.js";
import { steroidCourses, taperSpec } from "./steroid-course.js";

/**
 * Monitoring that follows the plan: an objective measure before every decision, a drug level before
 * escalating an anti-TNF, the label monitoring of every drug given (switch targets included) and no
 * test justified by a drug the plan does not give; steroid courses that end with a taper.
 */

const OBJECTIVE: readonly MonitoringTest[] = ["calprotectin", "crp", "drug-level"];

const testIn = (plan: TreatmentPlan, tests: readonly MonitoringTest[], from: number, to: number) =>
  plan.monitoring.some((m) => tests.includes(m.test) && m.weeks.some((w) => w >= from && w <= to));

/** Every drug the plan may give, with the week it starts and whether it is a continued current drug. */
export function drugsGiven(plan: TreatmentPlan): { drug: string; start: number; continued: boolean }[] {
  const out: { drug: string; start: number; continued: boolean }[] = [];
  for (const it of plan.items) {
    const ex = out.find((o) => o.drug === it.drug);
    if (ex) ex.start = Math.min(ex.start, it.startWeek);
    else out.push({ drug: it.drug, start: it.startWeek, continued: false });
  }
  for (const o of out) {
    const e = plan.currentTherapy.find((x) => x.drug === o.drug);
    o.continued = e?.action === "continue" && !plan.items.some((it) => it.drug === o.drug && it.phase === "induction");
  }
  for (const u of switchUses(plan))
    if (!out.some((o) => o.drug === u.drug && o.start === u.week))
      out.push({ drug: u.drug, start: u.week, continued: false });
  return out;
}

/** Names under which a monitoring reason may mention a drug (id, name, single-word brand names). */
function drugNames(space: PlanSpace): { id: string; re: RegExp }[] {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return space.drugs.drugs.map((d) => {
    const names = new Set([d.id, d.id.replace(/_/g, " "), at(d.name.split(/[ /(]/), 0, "drug name")]);
    for (const a of d.aliases) if (/^[A-Za-z][A-Za-z0-9-]+$/.test(a)) names.add(a);
    return { id: d.id, re: new RegExp(`\\b(${[...names].map(esc).join("|")})\\b`, "i") };
  });
}

/** Whether drugs.json gives the drug a therapeutic range (a trough target or drug-level monitoring). */
export function hasDrugLevelTarget(space: PlanSpace, drug: string): boolean {
  return space.drugs.has(drug) && space.drugs.findEntry(drug, "monitoring", /therapeutic drug monitoring|trough/i) >= 0;
}

/** The drug's own drug-level entry, else the AGA reactive-TDM entry (drugs.json#infliximab.monitoring). */
export function tdmReference(space: PlanSpace, drug: string): string {
  const own = space.drugs.findEntry(drug, "monitoring", /therapeutic drug monitoring|trough/i);
  if (own >= 0) return drugRef(drug, `monitoring[${own}]`);
  const i = space.drugs.findEntry("infliximab", "monitoring", /reactive therapeutic drug monitoring/i);
  return i >= 0 ? drugRef("infliximab", `monitoring[${i}]`) : drugRef(drug, "monitoring");
}

export const MONITORING_RULES: Rule[] = [
  {
    id: "dp-objective-measure",
    severity: "error",
    title: "No calprotectin, CRP or drug level in the weeks before a decision",
    check: ({ plan, space }) => {
      const win = space.facts.objectiveMeasureWindow.weeks;
      return plan.decisionPoints.flatMap((dp): Finding[] =>
        testIn(plan, OBJECTIVE, dp.week - win, dp.week)
          ? []
          : [
              finding(
                "dp-objective-measure",
                "error",
                `week ${dp.week}: no calprotectin, CRP or drug level in weeks ${Math.max(0, dp.week - win)}-${dp.week}; response is judged on an objective measure, not symptoms alone`,
                "scores.json#biomarkers.rules[3]",
                dpRef(dp),
              ),
            ],
      );
    },
  },
  {
    id: "tdm-before-escalation",
    severity: "warning",
    title: "Anti-TNF escalated without a drug level",
    check: ({ patient, plan, space }) => {
      const adv = planAdvanced(plan, space);
      if (!adv || !space.drugs.has(adv.drug) || space.drugs.byId(adv.drug).class !== "anti-TNF") return [];
      const win = space.facts.objectiveMeasureWindow.weeks;
      const ref = tdmReference(space, adv.drug);
      const out: Finding[] = [];
      for (const dp of plan.decisionPoints)
        if (BRANCHES.some((b) => dp[b].kind === "escalate") && !testIn(plan, ["drug-level"], dp.week - win, dp.week))
          out.push(
            finding(
              "tdm-before-escalation",
              "warning",
              `week ${dp.week}: ${adv.drug} may be escalated without a trough level and anti-drug antibodies`,
              ref,
              dpRef(dp),
            ),
          );
      const lost = advancedRequirements(patient, space).find(
        (r) => r.kind === "escalate-or-switch" && r.current.drug === adv.drug && !adv.induced && adv.level > r.level,
      );
      if (lost && !testIn(plan, ["drug-level"], -win, adv.items[0].item.startWeek))
        out.push(
          finding(
            "tdm-before-escalation",
            "warning",
            `${adv.drug} escalated for loss of response without a trough level and anti-drug antibodies first`,
            ref,
            `items[${adv.items[0].index}]`,
          ),
        );
      return out;
    },
  },
  {
    id: "drug-level-no-target",
    severity: "warning",
    title: "Drug levels for a drug with no therapeutic range",
    check: ({ plan, space }) => {
      const adv = planAdvanced(plan, space);
      if (!adv || hasDrugLevelTarget(space, adv.drug)) return [];
      return plan.monitoring.flatMap((m, i): Finding[] =>
        m.test === "drug-level"
          ? [
              finding(
                "drug-level-no-target",
                "warning",
                `drug levels for ${adv.drug}: drugs.json gives no trough target for it, so a level cannot guide a decision`,
                drugRef(adv.drug, "monitoring"),
                `monitoring[${i}]`,
              ),
            ]
          : [],
      );
    },
  },
  {
    id: "monitoring-unrelated-drug",
    severity: "warning",
    title: "A monitoring item justified by a drug the plan does not give",
    check: ({ plan, space }) => {
      const given = new Set([...drugsGiven(plan).map((d) => d.drug), ...plan.currentTherapy.map((c) => c.drug)]);
      const names = drugNames(space);
      return plan.monitoring.flatMap((m, i): Finding[] => {
        const named = names.filter((n) => n.re.test(m.reason)).map((n) => n.id);
        const absent = named.filter((d) => !given.has(d));
        const [firstAbsent] = absent;
        return firstAbsent === undefined
          ? []
          : [
              finding(
                "monitoring-unrelated-drug",
                "warning",
                `${m.test}: reason "${m.reason}" names ${absent.join(", ")}, which the plan does not give`,
                drugRef(firstAbsent, "monitoring"),
                `monitoring[${i}]`,
              ),
            ];
      });
    },
  },
  {
    id: "monitoring-label-missing",
    severity: "warning",
    title: "Monitoring the label of a drug given asks for, missing",
    check: ({ plan, space }) =>
      drugsGiven(plan).flatMap(({ drug, start, continued }): Finding[] =>
        labelMonitoring(space, drug).flatMap((m) =>
          labelWindows(m, start, plan.horizonWeeks, continued).flatMap((w) =>
            m.tests
              .filter((t) => !testIn(plan, [t], w.from, w.to))
              .map((t) =>
                finding(
                  "monitoring-label-missing",
                  "warning",
                  `${drug} (from week ${start}): ${t} ${w.what} (${m.what})`,
                  m.reference,
                  "monitoring",
                ),
              ),
          ),
        ),
      ),
  },
  {
    id: "steroid-abrupt-stop",
    severity: "error",
    title: "A steroid course that ends without a taper",
    check: ({ plan, space }) => {
      const maxAbrupt = space.facts.steroidWithdrawal.abruptStopMaxWeeks;
      const physiological = space.facts.steroidWithdrawal.physiologicalPrednisoloneMg;
      return steroidCourses(plan).flatMap((c): Finding[] => {
        const spec = taperSpec(space, c.drug);
        if (!spec || c.end === null || c.end >= plan.horizonWeeks || c.end - c.start <= maxAbrupt) return [];
        const last = c.last;
        const tapered =
          last.item.phase === "taper" &&
          (spec.systemic ? last.item.dose <= physiological + 1e-9 : last.item.dose < spec.fullDose);
        if (tapered) return [];
        return [
          finding(
            "steroid-abrupt-stop",
            spec.systemic ? "error" : "warning",
            `${c.drug} for ${c.end - c.start} weeks ends at ${last.item.dose} mg/day without a taper${spec.systemic ? ` to ${physiological} mg/day or less` : ""}`,
            spec.systemic ? factRef("steroidWithdrawal") : spec.withdrawalReference,
            `items[${last.index}]`,
          ),
        ];
      });
    },
  },
  {
    id: "steroid-taper-fast",
    severity: "warning",
    title: "A systemic steroid tapered faster than the guideline taper",
    check: ({ plan, space }) =>
      steroidCourses(plan).flatMap((c): Finding[] => {
        const spec = taperSpec(space, c.drug);
        if (!spec?.systemic || c.end === null) return [];
        const len = c.end - c.start;
        const tapered = c.items.some((x) => x.item.phase === "taper");
        // A course that opens with its taper continues one begun before the plan: its length here is not the course's.
        if (c.items[0].item.phase === "taper") return [];
        if (!tapered || len <= space.facts.steroidWithdrawal.abruptStopMaxWeeks || len >= spec.minCourseWeeks)
          return [];
        return [
          finding(
            "steroid-taper-fast",
            "warning",
            `${c.drug} from ${spec.fullDose} mg/day to off in ${len} weeks; the guideline tapers over at least ${spec.minCourseWeeks} weeks`,
            spec.taperReference,
            `items[${c.last.index}]`,
          ),
        ];
      }),
  },
  {
    id: "steroid-course-total",
    severity: "error",
    title: "A steroid course (full dose plus taper) longer than the label/guideline course",
    check: ({ plan, space }) =>
      steroidCourses(plan).flatMap((c): Finding[] => {
        const lim = space.steroidLimit[c.drug];
        if (!lim) return [];
        const len = (c.end ?? plan.horizonWeeks) - c.start;
        // A single item past the limit is steroid-too-long's finding; this rule adds up the course.
        const single = c.items.some((x) => (x.item.endWeek ?? plan.horizonWeeks) - x.item.startWeek > lim.weeks);
        return len > lim.weeks && !single
          ? [
              finding(
                "steroid-course-total",
                "error",
                `${c.drug} course of ${len} weeks (full dose and taper); at most ${lim.weeks}`,
                lim.reference,
                `items[${c.items[0].index}]`,
              ),
            ]
          : [];
      }),
  },
];
