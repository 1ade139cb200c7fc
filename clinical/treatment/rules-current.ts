import type { Finding } from "../../protocol/index.js";
import { advancedRequirements, currentCrohnsDrugs } from "./current-therapy.js";
import { finding, planAdvanced } from "./decision-points.js";
import type { Rule } from "./rules.js";
import { factRef } from "./space.js";
import { taperSpec } from "./steroid-course.js";

/**
 * The plan says what happens to every current Crohn's drug, and what it says is safe: no second
 * biologic on top of an active one; a therapy that works is continued (no new induction, in
 * pregnancy too); a lost response is escalated or switched, never left as it is; a drug that never
 * worked or was not tolerated is not continued; a systemic steroid is tapered, not stopped.
 */

const entryRef = (drug: string) => `currentTherapy[${drug}]`;

export const CURRENT_THERAPY_RULES: Rule[] = [
  {
    id: "current-therapy-missing",
    severity: "error",
    title: "A current Crohn's drug the plan says nothing about",
    check: ({ patient, plan, space }) =>
      currentCrohnsDrugs(patient, space)
        .filter((c) => !plan.currentTherapy.some((e) => e.drug === c.drug))
        .map((c) =>
          finding(
            "current-therapy-missing",
            "error",
            `${c.drug} (current ${c.role}, ${c.why}): the plan does not say whether it is continued, stopped, switched or tapered`,
            factRef("medicationReconciliation"),
            entryRef(c.drug),
          ),
        ),
  },
  {
    id: "current-therapy-inconsistent",
    severity: "error",
    title: "What the plan says about a current drug contradicts its items",
    check: ({ patient, plan, space }) => {
      const current = currentCrohnsDrugs(patient, space);
      return plan.currentTherapy.flatMap((e): Finding[] => {
        const given = plan.items.some((it) => it.drug === e.drug);
        const role = current.find((c) => c.drug === e.drug)?.role;
        let why: string | null = null;
        const tapering = plan.items.filter((it) => it.drug === e.drug).every((it) => it.phase === "taper");
        if (e.action === "continue" && !given) why = "continued, but the plan has no item for it";
        else if (e.action === "taper" && role !== undefined && role !== "steroid")
          why = "tapered, but only steroids are tapered";
        else if (e.action === "taper" && given && !tapering) why = "tapered, but the plan gives it at full dose";
        else if (e.action !== "continue" && e.action !== "taper" && given)
          why = `${e.action}, but the plan still gives it`;
        return why
          ? [
              finding(
                "current-therapy-inconsistent",
                "error",
                `${e.drug}: ${why}`,
                factRef("medicationReconciliation"),
                entryRef(e.drug),
              ),
            ]
          : [];
      });
    },
  },
  {
    id: "current-second-advanced",
    severity: "error",
    title: "A new advanced therapy on top of an active one the plan does not stop",
    check: ({ patient, plan, space }) =>
      currentCrohnsDrugs(patient, space)
        .filter((c) => c.role === "advanced")
        .flatMap((c): Finding[] => {
          const e = plan.currentTherapy.find((x) => x.drug === c.drug);
          return plan.items.flatMap((it, i): Finding[] => {
            if (it.role !== "advanced" || it.drug === c.drug) return [];
            const stopped = e && (e.action === "stop" || e.action === "switch") && (e.stopWeek ?? 0) <= it.startWeek;
            if (stopped) return [];
            return [
              finding(
                "current-second-advanced",
                "error",
                `${it.drug} from week ${it.startWeek} while the patient's ${c.drug} is ${e ? `marked "${e.action}"` : "not stopped"}: a second advanced therapy on top of an active one`,
                factRef("medicationReconciliation"),
                `items[${i}]`,
              ),
            ];
          });
        }),
  },
  {
    id: "current-responding-changed",
    severity: "error",
    title: "A working advanced therapy changed: not continued, re-induced or escalated",
    check: ({ patient, plan, space }) => {
      const adv = planAdvanced(plan, space);
      return advancedRequirements(patient, space).flatMap((r): Finding[] => {
        if (r.kind !== "keep") return [];
        const d = r.current.drug;
        const f = (severity: "error" | "warning", what: string) => [
          finding("current-responding-changed", severity, `${r.current.why}: ${what}`, r.reference, entryRef(d)),
        ];
        if (adv?.drug !== d)
          return f(
            "error",
            `continue ${d} at its current regimen instead of ${adv ? `starting ${adv.drug}` : "stopping it"}`,
          );
        if (adv.induced) return f("error", `continue ${d} from week 0 at its current regimen, without a new induction`);
        if (adv.level > r.level)
          return f("error", `${d} escalated although it works (escalation is for lost response)`);
        if (adv.level >= 0 && adv.level < r.level) return f("warning", `${d} de-escalated below its current regimen`);
        return [];
      });
    },
  },
  {
    id: "current-loss-of-response",
    severity: "error",
    title: "Lost response left on the same regimen",
    check: ({ patient, plan, space }) => {
      const adv = planAdvanced(plan, space);
      return advancedRequirements(patient, space).flatMap((r): Finding[] =>
        r.kind === "escalate-or-switch" && adv?.drug === r.current.drug && adv.level <= r.level
          ? [
              finding(
                "current-loss-of-response",
                "error",
                `${r.current.why}: ${r.current.drug} kept at the same regimen; escalate it (label step) or switch`,
                r.reference,
                entryRef(r.current.drug),
              ),
            ]
          : [],
      );
    },
  },
  {
    id: "current-failed-continued",
    severity: "error",
    title: "A current drug that never worked or is not tolerated, continued",
    check: ({ patient, plan, space }) => {
      const reqs = advancedRequirements(patient, space);
      return currentCrohnsDrugs(patient, space).flatMap((c): Finding[] => {
        const r = reqs.find((x) => x.current.drug === c.drug);
        const out = c.role === "advanced" ? r?.kind === "switch-out" : c.status === "failed" && c.role !== "steroid";
        if (!out || !plan.items.some((it) => it.drug === c.drug)) return [];
        return [
          finding(
            "current-failed-continued",
            "error",
            `${r?.current.why ?? c.why}: ${c.drug} is continued; switch it out`,
            r?.reference ?? factRef("treatToTarget"),
            entryRef(c.drug),
          ),
        ];
      });
    },
  },
  {
    id: "current-steroid-abrupt",
    severity: "error",
    title: "A current steroid stopped without a taper",
    check: ({ patient, plan, space }) =>
      currentCrohnsDrugs(patient, space)
        .filter((c) => c.role === "steroid")
        .flatMap((c): Finding[] => {
          const e = plan.currentTherapy.find((x) => x.drug === c.drug);
          const spec = taperSpec(space, c.drug);
          if (!e || !spec) return [];
          // Replaced by a systemic steroid, the adrenal axis stays covered; anything else needs a taper.
          const covered =
            e.action === "switch" && e.replacedBy !== undefined && taperSpec(space, e.replacedBy)?.systemic;
          const abrupt =
            e.action === "stop" || (e.action === "switch" && !covered) || (e.action === "taper" && !e.stopWeek);
          if (!abrupt) return [];
          return [
            finding(
              "current-steroid-abrupt",
              spec.systemic ? "error" : "warning",
              `${c.drug} (current): ${e.action} at week ${e.stopWeek ?? 0} without a taper; taper over ${spec.steps.length} weeks`,
              spec.withdrawalReference,
              entryRef(c.drug),
            ),
          ];
        }),
  },
];
