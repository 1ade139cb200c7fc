import type { PatientSummary } from "../../protocol/clinical/patient.js";
import type { DecisionAction, MonitoringItem, RegimenItem, TreatmentPlan } from "../../protocol/clinical/plan.js";
import { drugRef } from "../reference/drugs.js";
import { getPath } from "./reference-path.js";
import { effectiveFractionLevel, requiredScreening } from "./rules.js";
import { ACTIONS, COURSE_WEEKS, DECISION_WEEKS, G, IMMUNOMODULATORS, STEROIDS, type PlanSpace } from "./space.js";

/** Turns a genome into a TreatmentPlan (doses from drugs.json) with its monitoring schedule. */
export function decodePlan(genome: readonly number[], p: PatientSummary, space: PlanSpace): TreatmentPlan {
  const full = genome.length > 6;
  const items: RegimenItem[] = [];
  const horizon = 52;
  const advI = genome[G.adv];
  const adv = advI > 0 ? space.advanced[advI - 1] : null;
  if (adv) {
    const reg = adv.regimens[Math.min(genome[G.reg], adv.regimens.length - 1)];
    const e = adv.entry;
    const ind = (getPath(e, "induction.doses[0]") ?? getPath(e, "induction.options[0]") ?? getPath(e, "induction")) as
      Record<string, unknown> | undefined;
    let indDose = typeof ind?.dose === "number" ? ind.dose : undefined;
    let indUnit = typeof ind?.unit === "string" ? ind.unit : reg.unit;
    const tiers = getPath(e, "induction.weight_tiers") as
      { max_kg?: number; min_kg_exclusive?: number; dose: number; unit: string }[] | undefined;
    if (tiers) {
      const w = p.demographics.weightKg ?? 70;
      const t =
        tiers.find(
          (x) =>
            (x.min_kg_exclusive === undefined || w > x.min_kg_exclusive) && (x.max_kg === undefined || w <= x.max_kg),
        ) ?? tiers[0];
      indDose = t.dose;
      indUnit = t.unit;
    }
    const weeks = (ind?.weeks as number[] | undefined) ?? [0];
    const indRoute = String(ind?.route ?? getPath(e, "induction.route") ?? reg.route).split(" ")[0];
    const firstMaint = Number(
      getPath(e, "maintenance.first_week") ?? weeks[weeks.length - 1] + (reg.intervalWeeks ?? 1),
    );
    if (indDose !== undefined) {
      items.push({
        role: "advanced",
        drug: adv.id,
        drugClass: e.class,
        route: asRoute(indRoute),
        phase: "induction",
        dose: indDose,
        unit: asUnit(indUnit),
        schedule:
          reg.intervalWeeks === null && getPath(e, "induction.frequency")
            ? { kind: "daily" }
            : { kind: "at-weeks", weeks },
        startWeek: 0,
        endWeek: Math.max(1, Math.min(firstMaint, horizon)),
        reference: drugRef(adv.id, "induction"),
      });
    }
    items.push({
      role: "advanced",
      drug: adv.id,
      drugClass: e.class,
      route: asRoute(reg.route),
      phase: "maintenance",
      dose: reg.dose,
      unit: asUnit(reg.unit),
      schedule: reg.intervalWeeks === null ? { kind: "daily" } : { kind: "every", weeks: reg.intervalWeeks },
      startWeek: indDose !== undefined ? Math.min(firstMaint, horizon - 1) : 0,
      endWeek: null,
      reference: reg.reference,
    });
  }
  const immI = genome[G.imm];
  if (immI > 0) {
    const id = IMMUNOMODULATORS[immI - 1];
    const e = space.drugs.byId(id);
    const frac = space.fractions[effectiveFractionLevel(p, id, space, genome[G.frac])];
    if (id === "methotrexate") {
      items.push({
        role: "immunomodulator",
        drug: id,
        drugClass: e.class,
        route: "SC",
        phase: "induction",
        dose: Number(getPath(e, "induction.dose")),
        unit: "mg",
        schedule: { kind: "every", weeks: 1 },
        startWeek: 0,
        endWeek: 16,
        doseFraction: 1,
        reference: drugRef(id, "induction"),
      });
      items.push({
        role: "immunomodulator",
        drug: id,
        drugClass: e.class,
        route: "SC",
        phase: "maintenance",
        dose: Number(getPath(e, "maintenance.dose")),
        unit: "mg",
        schedule: { kind: "every", weeks: 1 },
        startWeek: 16,
        endWeek: null,
        doseFraction: 1,
        reference: drugRef(id, "maintenance"),
      });
    } else {
      const range = getPath(e, "maintenance.dose_range") as number[];
      items.push({
        role: "immunomodulator",
        drug: id,
        drugClass: e.class,
        route: "PO",
        phase: "maintenance",
        dose: round2(range[1] * frac),
        unit: "mg/kg/day",
        schedule: { kind: "daily" },
        startWeek: 0,
        endWeek: null,
        doseFraction: frac,
        reference: drugRef(id, "maintenance.dose_range"),
      });
    }
  }
  const stI = genome[G.steroid];
  if (stI > 0) {
    const id = STEROIDS[stI - 1];
    const e = space.drugs.byId(id);
    const dose = Number(getPath(e, "induction.dose") ?? (getPath(e, "induction.dose_range") as number[])[0]);
    items.push({
      role: "steroid",
      drug: id,
      drugClass: e.class,
      route: "PO",
      phase: "induction",
      dose,
      unit: "mg/day",
      schedule: { kind: "daily" },
      startWeek: 0,
      endWeek: COURSE_WEEKS[genome[G.course]],
      reference: drugRef(id, "induction"),
    });
  }
  const decisionPoints = full
    ? DECISION_WEEKS.map((week, k) => {
        const base = k === 0 ? G.dp0 : G.dp1;
        const act = (v: number): DecisionAction => {
          const a = ACTIONS[v];
          return a === "switch" ? { kind: "switch", drug: space.advanced[genome[G.switchTarget]].id } : { kind: a };
        };
        return {
          week,
          onRemission: act(genome[base]),
          onPartialResponse: act(genome[base + 1]),
          onNoResponse: act(genome[base + 2]),
        };
      })
    : [];
  const monitoring: MonitoringItem[] = [];
  const addM = (m: MonitoringItem) => {
    const ex = monitoring.find((x) => x.test === m.test);
    if (ex) ex.weeks = [...new Set([...ex.weeks, ...m.weeks])].sort((a, b) => a - b);
    else monitoring.push(m);
  };
  const drugsInPlan = new Set(items.map((i) => i.drug));
  for (const dp of decisionPoints)
    for (const a of [dp.onRemission, dp.onPartialResponse, dp.onNoResponse])
      if (a.kind === "switch") drugsInPlan.add(a.drug);
  for (const d of drugsInPlan)
    for (const r of requiredScreening(p, d, space))
      addM({ test: r.test, weeks: [0], reason: `before ${d}`, reference: r.reference });
  const calWeeks = full
    ? space.efficacy.monitoring.calprotectinIntervals[genome[G.calpro]].weeks
    : space.efficacy.monitoring.calprotectinIntervals[1].weeks;
  addM({
    test: "calprotectin",
    weeks: everyN(calWeeks, horizon),
    reason: "objective response at decision points",
    reference: "scores.json#biomarkers.rules[5]",
  });
  if (items.some((i) => i.role === "immunomodulator" || i.drug === "upadacitinib"))
    addM({
      test: "cbc",
      weeks: [2, 4, 8, 12, ...everyN(12, horizon).filter((w) => w > 12)],
      reason: "myelosuppression",
      reference: immI > 0 ? drugRef(IMMUNOMODULATORS[immI - 1], "monitoring") : drugRef("upadacitinib", "monitoring"),
    });
  if (items.some((i) => i.role === "immunomodulator"))
    addM({
      test: "lft",
      weeks: [4, 12, ...everyN(12, horizon).filter((w) => w > 12)],
      reason: "hepatotoxicity",
      reference: drugRef(IMMUNOMODULATORS[immI - 1], "monitoring"),
    });
  if (adv && full && genome[G.tdm] === 1)
    addM({
      test: "drug-level",
      weeks: everyN(space.efficacy.monitoring.tdmIntervalWeeks.value, horizon).filter((w) => w >= 14),
      reason: "proactive drug levels",
      reference: drugRef(adv.id, "monitoring"),
    });
  return {
    patientId: p.patientId,
    horizonWeeks: horizon,
    items,
    decisionPoints,
    monitoring,
    currentTherapy: [],
    genome: [...genome],
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const everyN = (n: number, h: number) => {
  const out: number[] = [];
  for (let w = n; w < h; w += n) out.push(w);
  return out;
};
function asRoute(r: string): RegimenItem["route"] {
  return (["IV", "SC", "PO", "IM"].includes(r) ? r : "SC") as RegimenItem["route"];
}
function asUnit(u: string): RegimenItem["unit"] {
  return (["mg", "mg/kg", "mg/kg/day", "mg/day"].includes(u) ? u : "mg") as RegimenItem["unit"];
}

/** Canonical key: genes that do not change the plan are zeroed, so equal plans share a key. */
export function canonicalKey(g: readonly number[]): string {
  const c = [...g];
  if (c[G.adv] === 0) c[G.reg] = 0;
  if (c[G.imm] === 0 || c[G.imm] === 3) c[G.frac] = 0;
  if (c[G.steroid] === 0) c[G.course] = 0;
  if (c.length > 6) {
    const usesSwitch = [0, 1, 2, 3, 4, 5].some((k) => c[G.dp0 + k] === 2);
    if (!usesSwitch) c[G.switchTarget] = 0;
    if (c[G.adv] === 0) c[G.tdm] = 0;
  }
  return c.join(",");
}
