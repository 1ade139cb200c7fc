import type {
  Finding,
  FindingSeverity,
  MonitoringTest,
  OptimizerConstraints,
  OptimizerMode,
  PatientSummary,
  RegimenItem,
  TreatmentPlan,
} from "../../protocol/index.js";
import { cpicThiopurineRow } from "../pgx.js";
import { drugRef } from "../reference/drugs.js";
import { at } from "./at.js";
import { currentDrugNames, drugConcerns, type DrugConcern } from "./rules-patient.js";
import { regimenFindings, thiopurineFraction } from "./rules-regimen.js";
import { ACTIONS, COURSE_WEEKS, G, IMMUNOMODULATORS, N_REG, STEROIDS, type PlanSpace } from "./space.js";

/**
 * The verifier's rule table, used by both agents: the verifier runs `RULES` over a plan; the
 * optimizer turns the same predicates into hard constraints (`labelConstraints`, merged in rule-table.ts) so it never
 * proposes a plan with an error finding. Every rule cites the reference entry it rests on.
 */

export interface RuleContext {
  patient: PatientSummary;
  plan: TreatmentPlan;
  space: PlanSpace;
}
export interface Rule {
  id: string;
  severity: FindingSeverity;
  title: string;
  check(ctx: RuleContext): Finding[];
}

export const THIOPURINES = ["azathioprine", "mercaptopurine"];
const isAdvanced = (space: PlanSpace, drug: string) => space.advanced.some((a) => a.id === drug);

type DrugBlock = DrugConcern;

function entryRef(
  space: PlanSpace,
  drug: string,
  field: "contraindications" | "interactions" | "monitoring" | "guideline_positioning",
  re: RegExp,
): string | null {
  if (!space.drugs.has(drug)) return null;
  const i = space.drugs.findEntry(drug, field, re);
  return i < 0 ? null : drugRef(drug, `${field}[${i}]`);
}

function jakRiskFactors(p: PatientSummary, space: PlanSpace, drug: string): string[] {
  const ageLimit = space.drugs.safety(drug).age?.caution_from_age ?? Infinity;
  const out: string[] = [];
  if (p.demographics.age >= ageLimit) out.push(`age ${p.demographics.age} >= ${ageLimit}`);
  if (p.comorbidities.cardiovascularRisk) out.push("cardiovascular risk");
  if (p.comorbidities.malignancyHistory) out.push("malignancy history");
  if (p.comorbidities.vteHistory) out.push("VTE history");
  return out;
}

/**
 * Why `drug` must not be given to this patient at any dose (error findings), from the
 * contraindication, interaction and pharmacogenomic rules. Empty when it may be given.
 */
export function drugBlocks(p: PatientSummary, drug: string, space: PlanSpace): DrugBlock[] {
  return drugFindingsFor(p, drug, space).filter((c) => c.severity === "error");
}

/**
 * Every concern (errors and warnings) for giving `drug` to this patient at any dose: the label
 * facts of rules-patient.ts (infections, pregnancy, lactation, reactions, interactions, location)
 * plus heart failure, demyelination, the JAK-inhibitor risk group, severe disease for budesonide
 * and CPIC poor metabolizers.
 */
export function drugFindingsFor(p: PatientSummary, drug: string, space: PlanSpace): DrugConcern[] {
  const out: DrugConcern[] = drugConcerns(p, drug, space);
  const c = p.comorbidities;
  const cls = space.drugs.has(drug) ? space.drugs.byId(drug).class : "";
  const add = (ruleId: string, reference: string | null, message: string) => {
    if (reference) out.push({ ruleId, severity: "error", reference, message });
  };
  if (cls === "anti-TNF" && (c.heartFailureNyha ?? 0) >= 3)
    add(
      "ci-heart-failure",
      entryRef(space, "infliximab", "contraindications", /heart failure/i),
      `${drug}: anti-TNF with NYHA class ${c.heartFailureNyha} heart failure`,
    );
  if (cls === "anti-TNF" && c.demyelinatingDisease)
    add(
      "ci-demyelinating",
      entryRef(space, "infliximab", "contraindications", /demyelinating/i),
      `${drug}: anti-TNF with demyelinating disease`,
    );
  if (space.drugs.has(drug) && space.drugs.safety(drug).age) {
    const risks = jakRiskFactors(p, space, drug);
    if (risks.length > 0)
      add(
        "ci-jak-risk",
        space.drugs.safety(drug).age?.ref ?? null,
        `${drug} in a JAK-inhibitor risk group (${risks.join(", ")}): only if no suitable alternative`,
      );
  }
  if (drug === "budesonide" && p.activity.band === "severe")
    add(
      "ci-budesonide-severe",
      entryRef(space, drug, "contraindications", /severe/i),
      "budesonide is not for severe disease",
    );
  if (
    THIOPURINES.includes(drug) &&
    (p.pharmacogenomics.tpmtPhenotype === "poor" || p.pharmacogenomics.nudt15Phenotype === "poor")
  ) {
    const row = cpicThiopurineRow(drug, p.pharmacogenomics.tpmtPhenotype, p.pharmacogenomics.nudt15Phenotype, {
      referenceDir: space.referenceDir,
    });
    add(
      "ci-pgx-poor",
      row ? `pharmacogenomics.json#cpic_thiopurines.recommendations[${row.index}]` : null,
      `${drug}: TPMT/NUDT15 poor metabolizer — CPIC advises a non-thiopurine alternative`,
    );
  }
  return out;
}

/**
 * Allowed thiopurine dose fractions for the patient: the CPIC row's starting range, or [1, 1] (full
 * dose only) when no row applies or the row gives no dose; with the reference it rests on.
 */
export function allowedThiopurineFractions(
  p: PatientSummary,
  drug: string,
  space: PlanSpace,
): { range: [number, number]; reference: string; reducedBy?: { with: string; text: string; reference: string } } {
  const row = cpicThiopurineRow(drug, p.pharmacogenomics.tpmtPhenotype, p.pharmacogenomics.nudt15Phenotype, {
    referenceDir: space.referenceDir,
  });
  const r = row?.row.starting_dose_percent_of_normal;
  const cpic: { range: [number, number]; reference: string } =
    !row || !r
      ? {
          range: [1, 1],
          reference: row
            ? `pharmacogenomics.json#cpic_thiopurines.recommendations[${row.index}]`
            : "pharmacogenomics.json#cpic_thiopurines.clinical_notes[0]",
        }
      : {
          range: [r[0] / 100, r[1] / 100],
          reference: `pharmacogenomics.json#cpic_thiopurines.recommendations[${row.index}]`,
        };
  // A co-medication whose label asks for a reduced thiopurine dose (allopurinol: 25-33 %) scales the range.
  const names = currentDrugNames(p);
  const ix = space.drugs.has(drug)
    ? space.drugs
        .interactionRules(drug)
        .find((x) => x.action === "reduce-dose" && x.dose_fraction && names.some((n) => x.with.includes(n)))
    : undefined;
  const hit = ix && names.find((n) => ix.with.includes(n));
  if (!ix?.dose_fraction || hit === undefined) return cpic;
  return {
    range: [cpic.range[0] * ix.dose_fraction[0], cpic.range[1] * ix.dose_fraction[1]],
    reference: cpic.reference,
    reducedBy: { with: hit, text: ix.text, reference: ix.ref },
  };
}

const EPS = 1e-9;
const inRange = (x: number, [lo, hi]: [number, number]) => x >= lo - EPS && x <= hi + EPS;

/**
 * The dose-fraction level actually given for a requested level: the nearest level inside the
 * patient's CPIC range (thiopurines) or the full dose (methotrexate).
 */
export function effectiveFractionLevel(p: PatientSummary, drug: string, space: PlanSpace, level: number): number {
  const range: [number, number] = THIOPURINES.includes(drug)
    ? allowedThiopurineFractions(p, drug, space).range
    : [1, 1];
  let best = level;
  let bestD = Infinity;
  space.fractions.forEach((fr, l) => {
    if (!inRange(fr, range)) return;
    const d = Math.abs(l - level);
    if (d < bestD) {
      bestD = d;
      best = l;
    }
  });
  return best;
}

/** Tests required before the first dose of a drug, with the entry that asks for each. */
export function requiredScreening(
  p: PatientSummary,
  drug: string,
  space: PlanSpace,
): { test: MonitoringTest; reference: string }[] {
  const out: { test: MonitoringTest; reference: string }[] = [];
  const push = (test: MonitoringTest, ref: string | null) => {
    if (ref && !out.some((o) => o.test === test)) out.push({ test, reference: ref });
  };
  if (!space.drugs.has(drug)) return out;
  const tb = /\bTB\b|tuberculosis/i;
  push("tb-screening", entryRef(space, drug, "monitoring", tb) ?? entryRef(space, drug, "contraindications", tb));
  if (isAdvanced(space, drug) && space.drugs.byId(drug).class === "anti-TNF")
    push(
      "hepatitis-b-serology",
      entryRef(space, drug, "monitoring", /HBV|hepatitis B/i) ??
        entryRef(space, "infliximab", "monitoring", /hepatitis B/i),
    );
  else
    push(
      "hepatitis-b-serology",
      entryRef(space, drug, "monitoring", /HBV|hepatitis B/i) ??
        entryRef(space, drug, "contraindications", /HBV|hepatitis B/i),
    );
  if (
    THIOPURINES.includes(drug) &&
    (p.pharmacogenomics.tpmtPhenotype === "unknown" || p.pharmacogenomics.nudt15Phenotype === "unknown")
  )
    push("tpmt-nudt15", entryRef(space, drug, "monitoring", /TPMT/));
  if (p.demographics.sex === "female") push("pregnancy-test", entryRef(space, drug, "contraindications", /pregnan/i));
  return out;
}

/** Label text that reserves dose escalation for loss of response (drugs.json). */
function remissionChangeReference(space: PlanSpace): string {
  return space.drugs.has("infliximab") && space.drugs.byId("infliximab").dose_escalation
    ? drugRef("infliximab", "dose_escalation")
    : "drugs.json#infliximab";
}

const itemRef = (i: number) => `items[${i}]`;
const f = (
  ruleId: string,
  severity: FindingSeverity,
  message: string,
  reference: string,
  item: string | null,
): Finding => ({ ruleId, severity, message, reference, item });
const overlaps = (a: RegimenItem, b: RegimenItem) =>
  a.startWeek < (b.endWeek ?? Infinity) && b.startWeek < (a.endWeek ?? Infinity);

/**
 * Label check of one item: route, frequency, dose and unit, course length and indication against
 * drugs.json `regimens` (rules-regimen.ts); then the limits that depend on the patient (infliximab
 * above 5 mg/kg in NYHA III/IV heart failure), the daily maximum, and a thiopurine dose that does
 * not match its own dose fraction.
 */
function doseFindings(
  p: PatientSummary,
  it: RegimenItem,
  i: number,
  horizonWeeks: number,
  space: PlanSpace,
): Finding[] {
  if (!space.drugs.has(it.drug)) return [];
  const entry = space.drugs.byId(it.drug);
  const out = regimenFindings(p, it, i, horizonWeeks, space);
  const w = p.demographics.weightKg;
  const perKg = it.unit === "mg/kg" ? it.dose : it.unit === "mg" && w ? it.dose / w : null;
  const labelPerKg = space.drugs
    .regimens(it.drug)
    .filter((r) => r.unit === "mg/kg")
    .map((r) => r.dose);
  if (
    entry.class === "anti-TNF" &&
    (p.comorbidities.heartFailureNyha ?? 0) >= 3 &&
    perKg !== null &&
    labelPerKg.length > 0
  ) {
    const min = Math.min(...labelPerKg);
    if (perKg > min + EPS)
      out.push(
        f(
          "ci-heart-failure",
          "error",
          `${it.drug} ${perKg.toFixed(1)} mg/kg, above ${min} mg/kg, with NYHA class ${p.comorbidities.heartFailureNyha} heart failure`,
          entryRef(space, it.drug, "contraindications", /heart failure/i) ?? drugRef(it.drug, "contraindications"),
          itemRef(i),
        ),
      );
  }
  // A co-medication whose label lowers this drug's dose (upadacitinib with a strong CYP3A4 inhibitor).
  const names = currentDrugNames(p);
  for (const ix of space.drugs.interactionRules(it.drug)) {
    if (ix.action !== "reduce-dose" || !ix.regimen_doses) continue;
    const hit = names.find((n) => ix.with.includes(n));
    if (!hit) continue;
    const limits = Object.entries(ix.regimen_doses)
      .filter(([id]) => {
        const r = space.drugs.regimen(it.drug, id);
        return r !== undefined && (r.phase === it.phase || (it.phase === "maintenance" && r.phase === "escalation"));
      })
      .map(([, dose]) => dose);
    if (limits.length > 0 && it.dose > Math.max(...limits) + EPS)
      out.push(
        f(
          "ix-dose-reduction",
          "error",
          `${it.drug} ${it.dose} ${it.unit} with ${hit}: at most ${Math.max(...limits)} ${it.unit} (${ix.text})`,
          ix.ref,
          itemRef(i),
        ),
      );
  }
  const maxDaily = entry.max_daily_dose;
  if (maxDaily && it.schedule.kind === "daily" && it.unit === "mg") {
    const limit = it.phase === "induction" ? maxDaily.induction_mg : maxDaily.maintenance_mg;
    if (it.dose > limit + EPS)
      out.push(
        f(
          "dose-max",
          "error",
          `${it.drug} ${it.dose} mg daily is above ${limit} mg/day (${it.phase})`,
          drugRef(it.drug, "max_daily_dose"),
          itemRef(i),
        ),
      );
  }
  if (THIOPURINES.includes(it.drug) && it.doseFraction !== undefined) {
    const range = space.drugs.regimens(it.drug).find((r) => r.dose_range && r.unit === "mg/kg/day")?.dose_range;
    const given = it.unit === "mg/kg/day" ? it.dose : it.unit === "mg/day" && w ? it.dose / w : null;
    if (range && given !== null && given > range[1] * it.doseFraction + EPS)
      out.push(
        f(
          "dose-max",
          "error",
          `${it.drug} ${given.toFixed(2)} mg/kg/day is above ${range[1]} mg/kg/day x its dose fraction ${it.doseFraction}`,
          drugRef(it.drug, "regimens"),
          itemRef(i),
        ),
      );
  }
  return out;
}

export const RULES: Rule[] = [
  {
    id: "contraindication",
    severity: "error",
    title: "Contraindications, interactions and pharmacogenomic exclusions per drug",
    check: ({ patient, plan, space }) =>
      plan.items.flatMap((it, i) =>
        drugFindingsFor(patient, it.drug, space).map((b) =>
          f(b.ruleId, b.severity, b.message, b.reference, itemRef(i)),
        ),
      ),
  },
  {
    id: "ix-jak-immunosuppressant",
    severity: "error",
    title: "Upadacitinib with a biologic or potent immunosuppressant",
    check: ({ plan, space }) =>
      plan.items.flatMap((it, i) =>
        it.drug !== "upadacitinib"
          ? []
          : plan.items
              .map((o, j) => ({ o, j }))
              .filter(
                ({ o, j }) =>
                  j !== i &&
                  (o.role === "immunomodulator" || (o.role === "advanced" && o.drug !== "upadacitinib")) &&
                  overlaps(it, o),
              )
              .map(({ o, j }) =>
                f(
                  "ix-jak-immunosuppressant",
                  "error",
                  `upadacitinib with ${o.drug}`,
                  entryRef(space, "upadacitinib", "interactions", /immunosuppressant/i) ??
                    drugRef("upadacitinib", "interactions"),
                  itemRef(j),
                ),
              ),
      ),
  },
  {
    id: "ix-current-therapy",
    severity: "error",
    title: "A drug the label says not to combine with one the patient takes now, which the plan does not stop",
    check: ({ patient, plan, space }) =>
      plan.items.flatMap((it, i) =>
        patient.currentMedications
          .filter(
            (m) => m.status === "active" && m.drug !== it.drug && space.drugs.has(m.drug) && space.drugs.has(it.drug),
          )
          .flatMap((m) => {
            const rule = [
              ...space.drugs.interactionRules(it.drug).filter((r) => r.with.includes(m.drug)),
              ...space.drugs.interactionRules(m.drug).filter((r) => r.with.includes(it.drug)),
            ].find((r) => r.action === "contraindicated" || r.action === "avoid");
            if (!rule) return [];
            const fate = plan.currentTherapy.find((c) => c.drug === m.drug);
            const ended = fate && fate.action !== "continue" && (fate.stopWeek ?? 0) <= it.startWeek;
            return ended
              ? []
              : [
                  f(
                    "ix-current-therapy",
                    "error",
                    `${it.drug} with ${m.drug}, which the patient takes now and the plan does not stop before week ${it.startWeek}: ${rule.text}`,
                    rule.ref,
                    itemRef(i),
                  ),
                ];
          }),
      ),
  },
  {
    id: "dose",
    severity: "error",
    title: "Label dose range and maximum (weight-based where the label is)",
    check: ({ patient, plan, space }) =>
      plan.items.flatMap((it, i) => doseFindings(patient, it, i, plan.horizonWeeks, space)),
  },
  {
    id: "pgx-dose",
    severity: "error",
    title: "CPIC thiopurine starting dose for TPMT/NUDT15 phenotype",
    check: ({ patient, plan, space }) =>
      plan.items.flatMap((it, i) => {
        if (!THIOPURINES.includes(it.drug)) return [];
        if (patient.pharmacogenomics.tpmtPhenotype === "poor" || patient.pharmacogenomics.nudt15Phenotype === "poor")
          return [];
        const { range, reference, reducedBy } = allowedThiopurineFractions(patient, it.drug, space);
        // The fraction the caller gave, or the one its mg/kg (or mg) dose amounts to.
        const frac = thiopurineFraction(patient, it, space);
        if (frac === null || inRange(frac, range)) return [];
        const pct = (x: number) => `${Math.round(x * 100)}%`;
        if (reducedBy && frac > range[1])
          return [
            f(
              "ix-dose-reduction",
              "error",
              `${it.drug} at ${pct(frac)} of standard with ${reducedBy.with}: at most ${pct(range[1])} (${reducedBy.text})`,
              reducedBy.reference,
              itemRef(i),
            ),
          ];
        return [
          f(
            "pgx-dose",
            "error",
            `${it.drug} at ${pct(frac)} of standard; the starting dose for TPMT ${patient.pharmacogenomics.tpmtPhenotype} / NUDT15 ${patient.pharmacogenomics.nudt15Phenotype}${reducedBy ? ` with ${reducedBy.with}` : ""} is ${pct(range[0])}-${pct(range[1])}`,
            reference,
            itemRef(i),
          ),
        ];
      }),
  },
  {
    id: "dup-advanced",
    severity: "error",
    title: "Two advanced therapies at once",
    check: ({ plan }) => {
      const adv = plan.items.map((it, i) => ({ it, i })).filter((x) => x.it.role === "advanced");
      const out: Finding[] = [];
      for (const [k, a] of adv.entries())
        for (const b of adv.slice(k + 1)) {
          if (a.it.drug !== b.it.drug && overlaps(a.it, b.it))
            out.push(
              f(
                "dup-advanced",
                "error",
                `${a.it.drug} and ${b.it.drug} overlap`,
                "drugs.json#upadacitinib.interactions[0]",
                itemRef(b.i),
              ),
            );
        }
      return out;
    },
  },
  {
    id: "steroid-too-long",
    severity: "error",
    title: "Steroid course longer than the label/guideline course",
    check: ({ plan, space }) =>
      plan.items.flatMap((it, i) => {
        const lim = space.steroidLimit[it.drug];
        if (it.role !== "steroid" || !lim) return [];
        const len = (it.endWeek ?? plan.horizonWeeks) - it.startWeek;
        return len > lim.weeks
          ? [
              f(
                "steroid-too-long",
                "error",
                `${it.drug} for ${len} weeks; at most ${lim.weeks}`,
                lim.reference,
                itemRef(i),
              ),
            ]
          : [];
      }),
  },
  {
    id: "change-in-remission",
    severity: "error",
    title: "Escalating or switching a therapy that keeps the patient in remission",
    check: ({ plan, space }) =>
      plan.decisionPoints.flatMap((dp) =>
        dp.onRemission.kind === "continue"
          ? []
          : [
              f(
                "change-in-remission",
                "error",
                `week ${dp.week}: ${dp.onRemission.kind} on remission; escalation is for loss of or decreased response, and a therapy that maintains remission is continued`,
                remissionChangeReference(space),
                `decisionPoints[week ${dp.week}].onRemission`,
              ),
            ],
      ),
  },
  {
    id: "added-in-remission",
    severity: "error",
    title: "A new drug added for a patient in remission on a therapy that works",
    check: ({ patient, plan, space }) => {
      if (patient.activity.band !== "remission") return [];
      const working = patient.currentMedications.filter(
        (m) =>
          m.status === "active" && m.drugClass !== null && (m.response === "remission" || m.response === "response"),
      );
      if (working.length === 0) return [];
      const current = new Set(patient.currentMedications.map((m) => m.drug));
      return plan.items.flatMap((it, i) =>
        current.has(it.drug)
          ? []
          : [
              f(
                "added-in-remission",
                "error",
                `${it.drug} added while the patient is in remission on ${working.map((m) => m.drug).join(" and ")}: a therapy that maintains remission is continued as it is (a steroid or a second immunosuppressant adds risk, not benefit)`,
                remissionChangeReference(space),
                itemRef(i),
              ),
            ],
      );
    },
  },
  {
    id: "contraception-required",
    severity: "warning",
    title: "A drug contraindicated in pregnancy for a woman who could become pregnant",
    check: ({ patient, plan, space }) => {
      const d = patient.demographics;
      if (d.sex !== "female" || d.age < 12 || d.age > 55 || patient.comorbidities.pregnant) return [];
      return plan.items.flatMap((it, i) => {
        if (!space.drugs.has(it.drug)) return [];
        const preg = space.drugs.safety(it.drug).pregnancy;
        return preg.action === "contraindicated" || preg.action === "avoid"
          ? [
              f(
                "contraception-required",
                "warning",
                `${it.drug} in a woman of ${d.age}: a negative pregnancy test before the first dose and effective contraception during treatment and after it as the label says — ${preg.text}`,
                preg.ref,
                itemRef(i),
              ),
            ]
          : [];
      });
    },
  },
  {
    id: "screening-before-start",
    severity: "error",
    title: "Screening required before the first dose",
    check: ({ patient, plan, space }) =>
      plan.items.flatMap((it, i) =>
        requiredScreening(patient, it.drug, space)
          .filter((r) => !plan.monitoring.some((m) => m.test === r.test && m.weeks.some((w) => w <= it.startWeek)))
          .map((r) =>
            f(
              "screening-before-start",
              "error",
              `${it.drug}: ${r.test} required before start`,
              r.reference,
              itemRef(i),
            ),
          ),
      ),
  },
  {
    id: "pgx-untested",
    severity: "warning",
    title: "Thiopurine without TPMT/NUDT15 result",
    check: ({ patient, plan }) =>
      plan.items.flatMap((it, i) =>
        THIOPURINES.includes(it.drug) &&
        (patient.pharmacogenomics.tpmtPhenotype === "unknown" || patient.pharmacogenomics.nudt15Phenotype === "unknown")
          ? [
              f(
                "pgx-untested",
                "warning",
                `${it.drug}: TPMT/NUDT15 not known; start only after the result`,
                "pharmacogenomics.json#cpic_thiopurines.clinical_notes[0]",
                itemRef(i),
              ),
            ]
          : [],
      ),
  },
  {
    id: "mesalamine-crohns",
    severity: "warning",
    title: "Mesalamine for Crohn's disease",
    check: ({ plan, space }) =>
      plan.items.flatMap((it, i) =>
        it.drug === "mesalamine"
          ? [
              f(
                "mesalamine-crohns",
                "warning",
                "oral mesalamine should not be used to treat active Crohn's disease",
                entryRef(space, "mesalamine", "guideline_positioning", /should not be used/i) ??
                  "drugs.json#mesalamine",
                itemRef(i),
              ),
            ]
          : [],
      ),
  },
  {
    id: "hla-dqa105-monotherapy",
    severity: "warning",
    title: "HLA-DQA1*05 carrier on anti-TNF without immunomodulator",
    check: ({ patient, plan, space }) => {
      if (patient.genotype.hlaDqa105 !== true) return [];
      const hasImm = plan.items.some((it) => it.role === "immunomodulator");
      const hasTdm = plan.monitoring.some((m) => m.test === "drug-level" && m.weeks.length > 1);
      return plan.items.flatMap((it, i) =>
        it.role === "advanced" &&
        space.drugs.has(it.drug) &&
        space.drugs.byId(it.drug).class === "anti-TNF" &&
        !hasImm &&
        !hasTdm
          ? [
              f(
                "hla-dqa105-monotherapy",
                "warning",
                `${it.drug}: HLA-DQA1*05 carrier without immunomodulator or proactive drug levels (immunogenicity HR 1.9)`,
                "pharmacogenomics.json#other_markers[0]",
                itemRef(i),
              ),
            ]
          : [],
      );
    },
  },
];

const SEVERITY_RANK: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2 };

/**
 * One finding per rule id and plan part (the most severe, its distinct messages joined), so a
 * reader sees each problem once however many predicates found it.
 */
export function dedupeFindings(findings: readonly Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const f of findings) {
    const key = `${f.ruleId}\u0000${f.item ?? ""}`;
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { ...f });
    else {
      const [first, second] = SEVERITY_RANK[f.severity] < SEVERITY_RANK[seen.severity] ? [f, seen] : [seen, f];
      const messages = [...new Set([...first.message.split("; "), ...second.message.split("; ")])];
      byKey.set(key, { ...first, message: messages.join("; ") });
    }
  }
  return [...byKey.values()];
}

/** Hard constraints for the GA, from the same predicates as the rules above. */
/** Value of a decision-point branch gene that switches (ACTIONS in space.ts). */
const SWITCH = ACTIONS.indexOf("switch");

export function labelConstraints(
  p: PatientSummary,
  space: PlanSpace,
  mode: OptimizerMode,
  constraints: OptimizerConstraints,
): {
  forbiddenValues: number[][];
  forbiddenPairs: [number, number, number, number][];
  blocked: Map<string, string[]>;
} {
  const nGenes = mode === "reduced" ? 6 : 15;
  const fv: number[][] = Array.from({ length: nGenes }, () => []);
  const forbid = (gene: number, ...values: number[]) => {
    at(fv, gene, "forbidden values").push(...values);
  };
  const fp: [number, number, number, number][] = [];
  const blocked = new Map<string, string[]>();
  const isBlocked = (drug: string): boolean => {
    const reasons = drugBlocks(p, drug, space).map((b) => b.ruleId);
    const cls = space.drugs.has(drug) ? space.drugs.byId(drug).class : "";
    if (constraints.excludedDrugs.includes(drug)) reasons.push("excluded-by-caller");
    if (constraints.excludedClasses.some((c) => c === cls || cls.startsWith(c))) reasons.push("excluded-by-caller");
    if (reasons.length) blocked.set(drug, reasons);
    return reasons.length > 0;
  };
  space.advanced.forEach((a, i) => {
    if (isBlocked(a.id)) {
      forbid(G.adv, i + 1);
      // A blocked drug is no switch target: forbidden together with any branch that switches (not
      // as a value of the target gene, which must keep a value when every advanced drug is blocked).
      if (mode === "full")
        for (const dp of [G.dp0, G.dp1]) for (let b = 0; b < 3; b++) fp.push([dp + b, SWITCH, G.switchTarget, i]);
    }
    for (let r = a.regimens.length; r < N_REG; r++) {
      fp.push([G.adv, i + 1, G.reg, r]);
    }
  });
  const upa = space.advanced.findIndex((a) => a.id === "upadacitinib") + 1;
  IMMUNOMODULATORS.forEach((drug, k) => {
    const v = k + 1;
    if (isBlocked(drug)) forbid(G.imm, v);
    if (upa > 0) fp.push([G.adv, upa, G.imm, v]);
    // The dose-fraction gene is a requested level; effectiveFractionLevel clamps it into the CPIC
    // range (a decoder, not a constraint), so every level is feasible.
  });
  STEROIDS.forEach((drug, k) => {
    const v = k + 1;
    if (isBlocked(drug)) forbid(G.steroid, v);
    const limit = space.steroidLimit[drug];
    COURSE_WEEKS.forEach((w, c) => {
      if (limit && w > limit.weeks) fp.push([G.steroid, v, G.course, c]);
    });
  });
  // A plan is a maintenance plan: an advanced therapy or an immunomodulator (a steroid course alone
  // maintains nothing, and an empty plan is no plan: the verifier refuses it as INVALID_INPUT).
  fp.push([G.adv, 0, G.imm, 0]);
  // change-in-remission: the remission branch of every decision point is "continue".
  if (mode === "full") for (const g of [G.dp0, G.dp1]) forbid(g, 1, 2);
  // A switch target that is upadacitinib with an immunomodulator would break ix-jak-immunosuppressant.
  if (mode === "full" && upa > 0) IMMUNOMODULATORS.forEach((_, k) => fp.push([G.switchTarget, upa - 1, G.imm, k + 1]));
  return { forbiddenValues: fv, forbiddenPairs: fp, blocked };
}
