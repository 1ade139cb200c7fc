import type {
  DecisionAction,
  DecisionPoint,
  MonitoringItem,
  MonitoringTest,
  PatientSummary,
  RegimenItem,
  TreatmentPlan,
} from "../../protocol/index.js";
import { drugRef } from "../reference/drugs.js";
import { at } from "./at.js";
import { advancedRequirements, decideCurrentTherapy } from "./current-therapy.js";
import { labelRegimenFor } from "./decision-points.js";
import { labelMonitoring, labelWeeks } from "./label-monitoring.js";
import { getPath } from "./reference-path.js";
import { tdmReference } from "./rules-monitoring.js";
import { drugBlocks, effectiveFractionLevel, requiredScreening } from "./rules.js";
import { ACTIONS, COURSE_WEEKS, DECISION_WEEKS, G, IMMUNOMODULATORS, STEROIDS, type PlanSpace } from "./space.js";
import { currentTaperItems, steroidCourseItems } from "./steroid-course.js";

/**
 * Turns a genome into a TreatmentPlan (doses from drugs.json): the items, the decision points
 * (none without an advanced therapy: the model has nothing to escalate or switch from), what
 * happens to each current drug, and the monitoring the plan's drugs and decisions need. The same
 * genome always gives the same plan.
 */
export function decodePlan(genome: readonly number[], p: PatientSummary, space: PlanSpace): TreatmentPlan {
  const full = genome.length > 6;
  const items: RegimenItem[] = [];
  const horizon = 52;
  const gene = (i: number) => at(genome, i, "genome");
  const advI = gene(G.adv);
  const adv = advI > 0 ? at(space.advanced, advI - 1, "advanced therapy gene") : null;
  const level = adv ? Math.min(gene(G.reg), adv.regimens.length - 1) : 0;
  // A current advanced therapy that is kept or escalated continues at week 0: no new induction.
  const continued =
    adv !== null && advancedRequirements(p, space).some((r) => r.current.drug === adv.id && r.kind !== "switch-out");
  if (adv) {
    const reg = at(adv.regimens, level, `${adv.id} regimen level`);
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
        ) ?? at(tiers, 0, `${adv.id} induction weight tiers`);
      indDose = t.dose;
      indUnit = t.unit;
    }
    const weeks = (ind?.weeks as number[] | undefined) ?? [0];
    const routeText = ind?.route ?? getPath(e, "induction.route");
    const indRoute = at((typeof routeText === "string" ? routeText : reg.route).split(" "), 0, "route");
    const firstMaint = Number(
      getPath(e, "maintenance.first_week") ??
        at(weeks, weeks.length - 1, `${adv.id} induction weeks`) + (reg.intervalWeeks ?? 1),
    );
    const induce = indDose !== undefined && !continued;
    if (induce) {
      items.push({
        role: "advanced",
        drug: adv.id,
        drugClass: e.class,
        route: asRoute(indRoute),
        phase: "induction",
        dose: indDose!,
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
    const regimenId = labelRegimenFor(space, adv.id, reg.dose, reg.intervalWeeks);
    items.push({
      role: "advanced",
      drug: adv.id,
      drugClass: e.class,
      route: asRoute(reg.route),
      phase: "maintenance",
      dose: reg.dose,
      unit: asUnit(reg.unit),
      schedule: reg.intervalWeeks === null ? { kind: "daily" } : { kind: "every", weeks: reg.intervalWeeks },
      startWeek: induce ? Math.min(firstMaint, horizon - 1) : 0,
      endWeek: null,
      reference: reg.reference,
      ...(regimenId?.id ? { regimenId: regimenId.id } : {}),
    });
  }
  const immI = gene(G.imm);
  const imm = immI > 0 ? at(IMMUNOMODULATORS, immI - 1, "immunomodulator gene") : null;
  if (imm !== null) {
    const id = imm;
    const e = space.drugs.byId(id);
    const frac = at(space.fractions, effectiveFractionLevel(p, id, space, gene(G.frac)), "dose fraction level");
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
        dose: round2(at(range, 1, `${id} maintenance.dose_range`) * frac),
        unit: "mg/kg/day",
        schedule: { kind: "daily" },
        startWeek: 0,
        endWeek: null,
        doseFraction: frac,
        reference: drugRef(id, "maintenance.dose_range"),
      });
    }
  }
  const stI = gene(G.steroid);
  const steroid = stI > 0 ? at(STEROIDS, stI - 1, "steroid gene") : null;
  if (steroid !== null)
    items.push(...steroidCourseItems(space, steroid, at(COURSE_WEEKS, gene(G.course), "course gene")));

  const decisionPoints: DecisionPoint[] =
    full && adv
      ? DECISION_WEEKS.map((week, k) => {
          const base = k === 0 ? G.dp0 : G.dp1;
          const act = (i: number): DecisionAction => {
            const a = at(ACTIONS, gene(i), "decision gene");
            return a === "switch"
              ? { kind: "switch", drug: at(space.advanced, gene(G.switchTarget), "switch target gene").id }
              : { kind: a };
          };
          return {
            week,
            onRemission: act(base),
            onPartialResponse: act(base + 1),
            onNoResponse: act(base + 2),
          };
        })
      : [];
  const currentTherapy = decideCurrentTherapy(p, space, {
    advanced: adv?.id ?? null,
    advancedLevel: level,
    immunomodulator: imm,
    steroid,
  });
  // A current steroid the plan tapers off is prescribed as taper items from week 0, except one the
  // label rules block for this patient (budesonide beyond the right colon or in severe disease):
  // those rules judge an item as a new course, so its wean is the currentTherapy entry alone.
  for (const c of currentTherapy)
    if (c.action === "taper" && drugBlocks(p, c.drug, space).length === 0) {
      const med = p.currentMedications.find((m) => m.drug === c.drug);
      items.push(...currentTaperItems(space, c.drug, med?.dose ?? null));
    }
  const plan: TreatmentPlan = {
    patientId: p.patientId,
    horizonWeeks: horizon,
    items,
    decisionPoints,
    monitoring: [],
    currentTherapy,
    genome: [...genome],
  };
  plan.monitoring = planMonitoring(plan, p, space, {
    calproIntervalWeeks: at(
      space.efficacy.monitoring.calprotectinIntervals,
      full ? gene(G.calpro) : 1,
      "calprotectin gene",
    ).weeks,
    proactiveTdm: adv !== null && full && genome[G.tdm] === 1,
    escalatedCurrent:
      continued &&
      advancedRequirements(p, space).some((r) => r.current.drug === adv?.id && r.kind === "escalate-or-switch"),
  });
  return plan;
}

/** Starts of the drugs a plan may give: its items (week of the first item) and each switch. */
function starts(plan: TreatmentPlan): { drug: string; week: number; switched: boolean; continued: boolean }[] {
  const out: { drug: string; week: number; switched: boolean; continued: boolean }[] = [];
  for (const it of plan.items)
    if (!out.some((o) => o.drug === it.drug)) {
      const continued =
        plan.currentTherapy.some((c) => c.drug === it.drug && c.action === "continue") &&
        !plan.items.some((x) => x.drug === it.drug && x.phase === "induction");
      out.push({
        drug: it.drug,
        week: Math.min(...plan.items.filter((x) => x.drug === it.drug).map((x) => x.startWeek)),
        switched: false,
        continued,
      });
    }
  for (const dp of plan.decisionPoints)
    for (const a of [dp.onRemission, dp.onPartialResponse, dp.onNoResponse])
      if (a.kind === "switch" && !out.some((o) => o.drug === a.drug && o.week === dp.week))
        out.push({ drug: a.drug, week: dp.week, switched: true, continued: false });
  return out;
}

const weeksText = (ws: number[]) => (ws.length === 1 ? `week ${ws[0]}` : `weeks ${ws.join(" or ")}`);

/** The plan's monitoring: screening before each drug, label monitoring of each drug, objective measures and drug levels. */
function planMonitoring(
  plan: TreatmentPlan,
  p: PatientSummary,
  space: PlanSpace,
  opts: { calproIntervalWeeks: number; proactiveTdm: boolean; escalatedCurrent: boolean },
): MonitoringItem[] {
  const horizon = plan.horizonWeeks;
  const lead = space.facts.measureLeadWeeks.weeks;
  const out: MonitoringItem[] = [];
  const list = starts(plan);
  // Screening: once at baseline for every drug (a pregnancy test also just before a switch).
  const screening = new Map<MonitoringTest, { weeks: Set<number>; reasons: string[]; reference: string }>();
  for (const s of list) {
    for (const r of requiredScreening(p, s.drug, space)) {
      const week = s.switched && r.test === "pregnancy-test" ? Math.max(0, s.week - lead) : 0;
      const e = screening.get(r.test) ?? { weeks: new Set<number>(), reasons: [], reference: r.reference };
      e.weeks.add(week);
      const why = s.switched
        ? `before ${s.drug} if switched at week ${s.week}`
        : s.continued
          ? `${s.drug} (continued): confirm a result on record`
          : `before ${s.drug}`;
      if (!e.reasons.includes(why)) e.reasons.push(why);
      screening.set(r.test, e);
    }
  }
  for (const [test, e] of screening)
    out.push({ test, weeks: [...e.weeks].sort((a, b) => a - b), reason: e.reasons.join("; "), reference: e.reference });

  // Objective measure: calprotectin at the chosen interval (the first calprotectin item, which
  // encodePlan reads back), and before every decision.
  const dpWeeks = plan.decisionPoints.map((d) => d.week);
  out.push({
    test: "calprotectin",
    weeks: everyN(opts.calproIntervalWeeks, horizon),
    reason: `disease activity every ${opts.calproIntervalWeeks} weeks`,
    reference: "scores.json#biomarkers.rules[5]",
  });
  if (dpWeeks.length > 0)
    out.push({
      test: "calprotectin",
      weeks: [...new Set(dpWeeks.map((w) => Math.max(0, w - lead)))].sort((a, b) => a - b),
      reason: `objective response before the decisions at weeks ${dpWeeks.join(" and ")}`,
      reference: "scores.json#biomarkers.rules[3]",
    });

  // Label monitoring of every drug given, one item per drug and test.
  const label = new Map<string, MonitoringItem & { drug: string; switchWeeks: number[]; given: boolean }>();
  for (const s of list)
    for (const m of labelMonitoring(space, s.drug))
      for (const test of m.tests) {
        const key = `${s.drug}\u0000${test}`;
        const e = label.get(key) ?? {
          drug: s.drug,
          test,
          weeks: [],
          reason: "",
          reference: m.reference,
          switchWeeks: [],
          given: false,
        };
        e.weeks = [...new Set([...e.weeks, ...labelWeeks(m, s.week, horizon, s.continued)])].sort((a, b) => a - b);
        if (s.switched) e.switchWeeks.push(s.week);
        else e.given = true;
        e.reason = `${m.what} (${s.drug} label)`;
        label.set(key, e);
      }
  for (const e of label.values()) {
    if (e.weeks.length === 0) continue;
    const cond =
      !e.given && e.switchWeeks.length > 0 ? `; if switched to ${e.drug} at ${weeksText(e.switchWeeks)}` : "";
    out.push({ test: e.test, weeks: e.weeks, reason: `${e.reason}${cond}`, reference: e.reference });
  }

  // Drug levels: proactive when chosen (one item, every interval); reactive before escalating an
  // anti-TNF, one single-week item per decision (a multi-week drug-level item means proactive TDM
  // to encodePlan and to the HLA-DQA1*05 rule).
  const adv = plan.items.find((i) => i.role === "advanced");
  if (adv) {
    const antiTnf = space.drugs.byId(adv.drug).class === "anti-TNF";
    const reference = tdmReference(space, adv.drug);
    if (opts.proactiveTdm)
      out.push({
        test: "drug-level",
        weeks: everyN(space.efficacy.monitoring.tdmIntervalWeeks.value, horizon).filter((w) => w >= 14),
        reason: `proactive ${adv.drug} drug levels`,
        reference,
      });
    if (antiTnf && opts.escalatedCurrent)
      out.push({
        test: "drug-level",
        weeks: [0],
        reason: `${adv.drug} trough and antibodies to confirm the escalation for loss of response`,
        reference,
      });
    if (antiTnf)
      for (const d of plan.decisionPoints)
        if ([d.onRemission, d.onPartialResponse, d.onNoResponse].some((a) => a.kind === "escalate"))
          out.push({
            test: "drug-level",
            weeks: [Math.max(0, d.week - lead)],
            reason: `${adv.drug} trough and antibodies before a possible escalation at week ${d.week}`,
            reference,
          });
  }
  return out;
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

/**
 * Canonical key: genes that do not change the decoded plan are zeroed, so equal plans share a key
 * (the optimizer's top-k are distinct plans). Without an advanced therapy the plan has no regimen
 * level, decision points, switch target or drug levels; without a switch, no switch target.
 */
export function canonicalKey(g: readonly number[]): string {
  const c = [...g];
  if (c[G.adv] === 0) c[G.reg] = 0;
  if (c[G.imm] === 0 || c[G.imm] === 3) c[G.frac] = 0;
  if (c[G.steroid] === 0) c[G.course] = 0;
  if (c.length > 6) {
    if (c[G.adv] === 0) for (const k of [0, 1, 2, 3, 4, 5]) c[G.dp0 + k] = 0;
    const usesSwitch = [0, 1, 2, 3, 4, 5].some((k) => c[G.dp0 + k] === 2);
    if (!usesSwitch) c[G.switchTarget] = 0;
    if (c[G.adv] === 0) c[G.tdm] = 0;
  }
  return c.join(",");
}
