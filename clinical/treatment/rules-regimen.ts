import type { Finding, PatientSummary, RegimenItem, Schedule } from "../../protocol/index.js";
import type { LabelRegimen, WithRef } from "../reference/drugs.js";
import type { PlanSpace } from "./space.js";

/**
 * One plan item against its drug's label regimens (drugs.json `regimens`): route, frequency, dose
 * and unit together, the course length of an induction dose, and the indication of an escalated
 * dose. mg/kg and mg are compared through the patient's weight, whichever the caller gave.
 */

const EPS = 1e-9;
/** Relative tolerance when a mg dose is compared with a mg/kg label dose (rounding to vial sizes). */
const WEIGHT_TOLERANCE = 0.1;

type Regimen = WithRef<LabelRegimen>;

const PHASES: Record<RegimenItem["phase"], LabelRegimen["phase"][]> = {
  induction: ["induction"],
  maintenance: ["maintenance", "escalation"],
  taper: ["taper", "induction"],
};

export const scheduleText = (s: Schedule): string =>
  s.kind === "daily"
    ? "daily"
    : s.kind === "every"
      ? s.weeks === 1
        ? "once weekly"
        : `every ${s.weeks} weeks`
      : `at weeks ${s.weeks.join(", ")}`;

function sameSchedule(a: Schedule, b: Schedule): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "every" && b.kind === "every") return Math.abs(a.weeks - b.weeks) < EPS;
  if (a.kind === "at-weeks" && b.kind === "at-weeks")
    return a.weeks.length === b.weeks.length && a.weeks.every((w, i) => w === b.weeks[i]);
  return true;
}

/** The item's dose in `unit`, through the patient's weight when the units differ; null when it cannot be known. */
function doseIn(it: RegimenItem, unit: LabelRegimen["unit"], weightKg: number | null): number | null {
  if (it.unit === unit) return it.dose;
  const perKg = (u: string) => u === "mg/kg" || u === "mg/kg/day";
  const daily = (u: string) => u === "mg/day" || u === "mg/kg/day";
  if (daily(it.unit) !== daily(unit) && !(it.schedule.kind === "daily" && unit === "mg")) return null;
  if (perKg(it.unit) && !perKg(unit)) return weightKg ? it.dose * weightKg : null;
  if (!perKg(it.unit) && perKg(unit)) return weightKg ? it.dose / weightKg : null;
  return it.dose;
}

/** The label dose for this patient: the weight tier's where the regimen has tiers. */
function labelDose(r: Regimen, weightKg: number | null): number | null {
  if (!r.weight_tiers) return r.dose;
  if (weightKg === null) return null;
  const t = r.weight_tiers.find(
    (x) =>
      (x.min_kg_exclusive === undefined || weightKg > x.min_kg_exclusive) &&
      (x.max_kg === undefined || weightKg <= x.max_kg),
  );
  return t?.dose ?? null;
}

/** Whether the item's dose is this regimen's, within rounding. */
function doseMatches(it: RegimenItem, r: Regimen, p: PatientSummary): boolean | "unknown" {
  const w = p.demographics.weightKg;
  const given = doseIn(it, r.unit, w);
  if (given === null) return "unknown";
  const tol = it.unit !== r.unit ? WEIGHT_TOLERANCE : 0.02;
  if (r.dose_range) {
    // Thiopurines: the range is the full dose; a CPIC-reduced dose (doseFraction) is checked by pgx-dose.
    const frac = it.doseFraction ?? 1;
    return given <= r.dose_range[1] * (1 + tol) + EPS && given >= r.dose_range[0] * Math.min(1, frac) * 0.5 - EPS;
  }
  const doses = r.week_doses ? r.week_doses.map((d) => d.dose) : [labelDose(r, w)];
  if (doses.includes(null)) return "unknown";
  return doses.some((d) => d !== null && Math.abs(given - d) <= d * tol + EPS);
}

/** What the patient's record says about earlier response to this drug. */
function responseHistory(p: PatientSummary, drug: string): Set<string> {
  return new Set([
    ...p.treatmentHistory.filter((h) => h.drug === drug).map((h) => h.response),
    ...p.currentMedications.filter((m) => m.drug === drug).map((m) => m.response),
  ]);
}

function indicationMet(p: PatientSummary, drug: string, when: LabelRegimen["applies_when"]): boolean {
  if (when === "always") return true;
  const seen = responseHistory(p, drug);
  if (when === "loss-of-response") return seen.has("loss-of-response");
  return seen.has("loss-of-response") || seen.has("primary-non-response") || seen.has("response");
}

const f = (
  ruleId: string,
  message: string,
  reference: string,
  item: string,
  severity: Finding["severity"] = "error",
): Finding => ({
  ruleId,
  severity,
  message,
  reference,
  item,
});

/** Findings for one item against its label regimens (empty when it follows one, for this patient). */
export function regimenFindings(
  p: PatientSummary,
  it: RegimenItem,
  i: number,
  horizonWeeks: number,
  space: PlanSpace,
): Finding[] {
  if (!space.drugs.has(it.drug)) return [];
  const regs = space.drugs.regimens(it.drug);
  const [first] = regs;
  if (!first) return [];
  const item = `items[${i}]`;
  const routes = [...new Set(regs.map((r) => r.route))];
  if (!routes.includes(it.route))
    return [f("route", `${it.drug} is given ${routes.join(" or ")}, not ${it.route}`, first.ref, item)];
  // Drugs with no induction regimen on the label (thiopurines) start on their maintenance dose.
  const inPhase = regs.filter((r) => PHASES[it.phase].includes(r.phase));
  const candidates = inPhase.length > 0 ? inPhase : regs;
  const phaseRoutes = [...new Set(candidates.map((r) => r.route))];
  if (!phaseRoutes.includes(it.route))
    return [
      f(
        "route",
        `${it.drug} ${it.phase} is given ${phaseRoutes.join(" or ")}, not ${it.route}`,
        (candidates[0] ?? first).ref,
        item,
      ),
    ];
  const phased = candidates.filter((r) => r.route === it.route);
  const timed = phased.filter((r) => sameSchedule(it.schedule, r.frequency));
  const [firstTimed] = timed;
  if (!firstTimed) {
    const label = [...new Set(phased.map((r) => scheduleText(r.frequency)))].join(" or ");
    const fatal =
      phased.every((r) => r.frequency.kind === "every" && r.frequency.weeks === 1) && it.schedule.kind === "daily";
    return [
      f(
        "dose-frequency",
        fatal
          ? `${it.drug} ${it.dose} ${it.unit} daily: ${it.drug} is given once weekly; daily dosing is a known fatal medication error`
          : `${it.drug} ${it.phase} ${scheduleText(it.schedule)}; the label gives it ${label}`,
        (phased[0] ?? first).ref,
        item,
      ),
    ];
  }
  const matches = timed.map((r) => ({ r, m: doseMatches(it, r, p) }));
  const hit = matches.find((x) => x.m === true)?.r;
  if (!hit) {
    if (matches.some((x) => x.m === "unknown"))
      return [
        f(
          "dose-weight-unknown",
          `${it.drug}: no body weight recorded, so ${it.dose} ${it.unit} cannot be checked against the label`,
          firstTimed.ref,
          item,
          "warning",
        ),
      ];
    const label = timed
      .map((r) =>
        r.dose_range
          ? `${r.dose_range.join("-")} ${r.unit}`
          : `${labelDose(r, p.demographics.weightKg) ?? r.dose} ${r.unit}`,
      )
      .join(" or ");
    return [
      f(
        "dose-range",
        `${it.drug} ${it.dose} ${it.unit} ${scheduleText(it.schedule)} is not a label ${it.phase} dose (label: ${label})`,
        firstTimed.ref,
        item,
      ),
    ];
  }
  const out: Finding[] = [];
  const weeks = (it.endWeek ?? horizonWeeks) - it.startWeek;
  if (hit.max_weeks !== undefined && weeks > hit.max_weeks + EPS)
    out.push(
      f(
        "dose-duration",
        `${it.drug} ${hit.dose} ${hit.unit} ${scheduleText(hit.frequency)} for ${weeks} weeks; the label's ${hit.phase} course is at most ${hit.max_weeks} weeks`,
        hit.ref,
        item,
      ),
    );
  if (!indicationMet(p, it.drug, hit.applies_when))
    out.push(
      f(
        "dose-escalation-indication",
        `${it.drug} ${hit.dose} ${hit.unit} ${scheduleText(hit.frequency)} is the label's ${hit.applies_when === "loss-of-response" ? "dose after a response was lost" : "dose for an inadequate response"}; the record shows no such response to ${it.drug}`,
        hit.ref,
        item,
      ),
    );
  return out;
}

/**
 * The thiopurine dose as a fraction of the standard dose: `doseFraction` when given, else the
 * mg/kg/day dose (or mg/day through the weight) over the top of the label's range.
 */
export function thiopurineFraction(p: PatientSummary, it: RegimenItem, space: PlanSpace): number | null {
  if (it.doseFraction !== undefined) return it.doseFraction;
  const r = space.drugs.regimens(it.drug).find((x) => x.dose_range && x.unit === "mg/kg/day");
  if (!r?.dose_range) return null;
  const perKg =
    it.unit === "mg/kg/day"
      ? it.dose
      : it.unit === "mg/day" && p.demographics.weightKg
        ? it.dose / p.demographics.weightKg
        : null;
  return perKg === null ? null : perKg / r.dose_range[1];
}
