import type { PatientSummary } from "../../protocol/clinical/patient.js";
import type {
  Finding,
  FindingSeverity,
  MonitoringTest,
  OptimizerConstraints,
  OptimizerMode,
  RegimenItem,
  TreatmentPlan,
} from "../../protocol/clinical/plan.js";
import { cpicThiopurineRow } from "../pgx.js";
import { drugRef } from "../reference/drugs.js";
import { getPath } from "./reference-path.js";
import { COURSE_WEEKS, G, IMMUNOMODULATORS, N_REG, STEROIDS, type PlanSpace } from "./space.js";

/**
 * The verifier's rule table, used by both agents: the verifier runs `RULES` over a plan; the
 * optimizer turns the same predicates into hard constraints (`gaConstraints`) so it never
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

interface DrugBlock {
  ruleId: string;
  reference: string;
  message: string;
}

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

function jakRiskFactors(p: PatientSummary, space: PlanSpace): string[] {
  const entry = space.drugs.byId("upadacitinib").contraindications.find((c) => /aged >=\s*(\d+)/.test(c.text));
  const ageLimit = entry ? Number(/aged >=\s*(\d+)/.exec(entry.text)![1]) : Infinity;
  const out: string[] = [];
  if (p.demographics.age >= ageLimit) out.push(`age ${p.demographics.age} >= ${ageLimit}`);
  if (p.comorbidities.cardiovascularRisk) out.push("cardiovascular risk");
  if (p.comorbidities.malignancyHistory) out.push("malignancy history");
  if (p.comorbidities.vteHistory) out.push("VTE history");
  return out;
}

const hasMed = (p: PatientSummary, re: RegExp) => p.comorbidities.currentInteractingMedications.some((m) => re.test(m));

/**
 * Why `drug` must not be given to this patient at any dose (error findings), from the
 * contraindication, interaction and pharmacogenomic rules. Empty when it may be given.
 */
export function drugBlocks(p: PatientSummary, drug: string, space: PlanSpace): DrugBlock[] {
  const out: DrugBlock[] = [];
  const c = p.comorbidities;
  const cls = space.drugs.has(drug) ? space.drugs.byId(drug).class : "";
  const add = (ruleId: string, reference: string | null, message: string) => {
    if (reference) out.push({ ruleId, reference, message });
  };
  if (c.activeSeriousInfection)
    add(
      "ci-active-infection",
      entryRef(
        space,
        drug,
        "contraindications",
        /active (serious |severe )?infection|clinically important active infection|untreated infection/i,
      ),
      `${drug}: active serious infection`,
    );
  if (c.latentTbUntreated)
    add(
      "ci-latent-tb",
      entryRef(space, drug, "contraindications", /latent TB|tuberculosis|active TB/i),
      `${drug}: untreated latent tuberculosis`,
    );
  if (c.hepatitisBActive)
    add("ci-hepatitis-b", entryRef(space, drug, "contraindications", /hepatitis B/i), `${drug}: active hepatitis B`);
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
  if (drug === "methotrexate" && c.pregnant)
    add(
      "ci-pregnancy-methotrexate",
      entryRef(space, drug, "contraindications", /pregnan/i),
      "methotrexate in pregnancy (teratogenic)",
    );
  if (drug === "upadacitinib") {
    const risks = jakRiskFactors(p, space);
    if (risks.length > 0)
      add(
        "ci-jak-risk",
        entryRef(space, drug, "contraindications", /aged >=/i),
        `upadacitinib in a JAK-inhibitor risk group (${risks.join(", ")}): only if no suitable alternative`,
      );
  }
  if (drug === "budesonide" && p.activity.band === "severe")
    add(
      "ci-budesonide-severe",
      entryRef(space, drug, "contraindications", /severe/i),
      "budesonide is not for severe disease",
    );
  if (THIOPURINES.includes(drug)) {
    if (p.pharmacogenomics.tpmtPhenotype === "poor" || p.pharmacogenomics.nudt15Phenotype === "poor") {
      const row = cpicThiopurineRow(drug, p.pharmacogenomics.tpmtPhenotype, p.pharmacogenomics.nudt15Phenotype, {
        referenceDir: space.referenceDir,
      });
      add(
        "ci-pgx-poor",
        row ? `pharmacogenomics.json#cpic_thiopurines.recommendations[${row.index}]` : null,
        `${drug}: TPMT/NUDT15 poor metabolizer — CPIC advises a non-thiopurine alternative`,
      );
    }
    if (hasMed(p, /allopurinol/i))
      add(
        "ix-allopurinol-thiopurine",
        entryRef(space, drug, "interactions", /allopurinol/i),
        `${drug} with allopurinol: markedly raised 6-MP exposure and myelotoxicity`,
      );
  }
  if (drug === "methotrexate" && hasMed(p, /trimethoprim|co-trimoxazole|sulfamethoxazole/i))
    add(
      "ix-methotrexate-trimethoprim",
      entryRef(space, drug, "interactions", /trimethoprim/i),
      "methotrexate with trimethoprim: bone-marrow suppression; avoid",
    );
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
): { range: [number, number]; reference: string } {
  const row = cpicThiopurineRow(drug, p.pharmacogenomics.tpmtPhenotype, p.pharmacogenomics.nudt15Phenotype, {
    referenceDir: space.referenceDir,
  });
  const r = row?.row.starting_dose_percent_of_normal;
  if (!row || !r)
    return {
      range: [1, 1],
      reference: row
        ? `pharmacogenomics.json#cpic_thiopurines.recommendations[${row.index}]`
        : "pharmacogenomics.json#cpic_thiopurines.clinical_notes[0]",
    };
  return {
    range: [r[0] / 100, r[1] / 100],
    reference: `pharmacogenomics.json#cpic_thiopurines.recommendations[${row.index}]`,
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

/** Label check of one item's dose: the dose must be one of drugs.json's doses for the drug (mg/kg within the label range). */
function doseFindings(p: PatientSummary, it: RegimenItem, i: number, space: PlanSpace): Finding[] {
  if (!space.drugs.has(it.drug))
    return [f("dose-range", "error", `${it.drug} is not in drugs.json`, "drugs.json", itemRef(i))];
  const entry = space.drugs.byId(it.drug);
  const out: Finding[] = [];
  const w = p.demographics.weightKg;
  if (IMMUNOMODULATORS.includes(it.drug as never) && it.drug !== "methotrexate") {
    const range = getPath(entry, "maintenance.dose_range") as [number, number] | undefined;
    if (!range) return out;
    const frac = it.doseFraction ?? 1;
    let perKg = it.unit === "mg/kg/day" ? it.dose : it.unit === "mg/day" && w ? it.dose / w : null;
    if (perKg === null)
      return [
        f(
          "dose-weight-unknown",
          "warning",
          `${it.drug}: no body weight, mg/kg/day cannot be checked`,
          drugRef(it.drug, "maintenance.dose_range"),
          itemRef(i),
        ),
      ];
    if (perKg > range[1] * frac + EPS)
      out.push(
        f(
          "dose-max",
          "error",
          `${it.drug} ${perKg.toFixed(2)} mg/kg/day is above ${range[1]} x ${frac} mg/kg/day`,
          drugRef(it.drug, "maintenance.dose_range"),
          itemRef(i),
        ),
      );
    perKg = perKg / (frac || 1);
    if (perKg < range[0] * 0.5 - EPS)
      out.push(
        f(
          "dose-range",
          "warning",
          `${it.drug} below the label range`,
          drugRef(it.drug, "maintenance.dose_range"),
          itemRef(i),
        ),
      );
    return out;
  }
  if (it.drug === "methotrexate") {
    const ok =
      [getPath(entry, "induction.dose"), getPath(entry, "maintenance.dose")].includes(it.dose) &&
      (it.doseFraction ?? 1) === 1;
    if (!ok)
      out.push(
        f(
          "dose-range",
          "error",
          `methotrexate ${it.dose} ${it.unit} is not a label dose`,
          drugRef("methotrexate", it.phase === "induction" ? "induction" : "maintenance"),
          itemRef(i),
        ),
      );
    return out;
  }
  if (it.role === "steroid") {
    const range = (getPath(entry, "induction.dose_range") as number[] | undefined) ?? [
      getPath(entry, "induction.dose") as number,
    ];
    if (it.phase === "induction" && (it.dose < Math.min(...range) - EPS || it.dose > Math.max(...range) + EPS))
      out.push(
        f(
          "dose-range",
          "error",
          `${it.drug} ${it.dose} ${it.unit} outside ${range.join("-")}`,
          drugRef(it.drug, "induction"),
          itemRef(i),
        ),
      );
    return out;
  }
  const adv = space.advanced.find((a) => a.id === it.drug);
  if (!adv) return out;
  const perKg = it.unit === "mg/kg" ? it.dose : null;
  if (entry.weight_based && adv.regimens[0].unit === "mg/kg") {
    const d = perKg ?? (w ? it.dose / w : null);
    if (d === null)
      return [
        f(
          "dose-weight-unknown",
          "warning",
          `${it.drug}: no body weight, mg/kg cannot be checked`,
          drugRef(it.drug, "maintenance"),
          itemRef(i),
        ),
      ];
    const max = entry.dose_escalation?.max_dose ?? adv.regimens[adv.regimens.length - 1].dose;
    const min = adv.regimens[0].dose;
    if (d > max + EPS)
      out.push(
        f(
          "dose-max",
          "error",
          `${it.drug} ${d.toFixed(2)} mg/kg is above the maximum ${max} mg/kg`,
          drugRef(it.drug, "dose_escalation"),
          itemRef(i),
        ),
      );
    else if (d < min - EPS)
      out.push(
        f(
          "dose-range",
          "error",
          `${it.drug} ${d.toFixed(2)} mg/kg is below ${min} mg/kg`,
          drugRef(it.drug, "maintenance"),
          itemRef(i),
        ),
      );
    if ((p.comorbidities.heartFailureNyha ?? 0) >= 3 && d > min + EPS)
      out.push(
        f(
          "ci-heart-failure",
          "error",
          `${it.drug} above ${min} mg/kg with NYHA III/IV heart failure`,
          entryRef(space, it.drug, "contraindications", /heart failure/i) ?? drugRef(it.drug, "contraindications"),
          itemRef(i),
        ),
      );
    return out;
  }
  if (it.phase === "maintenance") {
    const interval = it.schedule.kind === "every" ? it.schedule.weeks : it.schedule.kind === "daily" ? null : -1;
    const ok = adv.regimens.some((r) => r.dose === it.dose && r.intervalWeeks === interval);
    if (!ok)
      out.push(
        f(
          "dose-range",
          "error",
          `${it.drug} ${it.dose} ${it.unit} ${interval === null ? "daily" : `every ${interval} weeks`} is not a label regimen`,
          drugRef(it.drug, "maintenance"),
          itemRef(i),
        ),
      );
    const maxDaily = entry.max_daily_dose;
    if (maxDaily && interval === null && it.dose > maxDaily.maintenance_mg)
      out.push(
        f(
          "dose-max",
          "error",
          `${it.drug} ${it.dose} mg above ${maxDaily.maintenance_mg} mg/day`,
          drugRef(it.drug, "max_daily_dose"),
          itemRef(i),
        ),
      );
  }
  if (it.phase === "induction" && entry.max_daily_dose && it.dose > entry.max_daily_dose.induction_mg)
    out.push(
      f(
        "dose-max",
        "error",
        `${it.drug} induction ${it.dose} mg above ${entry.max_daily_dose.induction_mg} mg/day`,
        drugRef(it.drug, "max_daily_dose"),
        itemRef(i),
      ),
    );
  return out;
}

export const RULES: Rule[] = [
  {
    id: "contraindication",
    severity: "error",
    title: "Contraindications, interactions and pharmacogenomic exclusions per drug",
    check: ({ patient, plan, space }) =>
      plan.items.flatMap((it, i) =>
        drugBlocks(patient, it.drug, space).map((b) => f(b.ruleId, "error", b.message, b.reference, itemRef(i))),
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
    id: "ix-thiopurine-trimethoprim",
    severity: "warning",
    title: "Thiopurine with trimethoprim",
    check: ({ patient, plan, space }) =>
      hasMed(patient, /trimethoprim|co-trimoxazole/i)
        ? plan.items.flatMap((it, i) =>
            THIOPURINES.includes(it.drug)
              ? [
                  f(
                    "ix-thiopurine-trimethoprim",
                    "warning",
                    `${it.drug} with trimethoprim: additive myelosuppression; monitor CBC`,
                    entryRef(space, it.drug, "interactions", /trimethoprim/i) ?? drugRef(it.drug, "interactions"),
                    itemRef(i),
                  ),
                ]
              : [],
          )
        : [],
  },
  {
    id: "dose",
    severity: "error",
    title: "Label dose range and maximum (weight-based where the label is)",
    check: ({ patient, plan, space }) => plan.items.flatMap((it, i) => doseFindings(patient, it, i, space)),
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
        const { range, reference } = allowedThiopurineFractions(patient, it.drug, space);
        const frac = it.doseFraction ?? 1;
        if (inRange(frac, range)) return [];
        return [
          f(
            "pgx-dose",
            "error",
            `${it.drug} at ${Math.round(frac * 100)}% of standard; CPIC starting dose for TPMT ${patient.pharmacogenomics.tpmtPhenotype} / NUDT15 ${patient.pharmacogenomics.nudt15Phenotype} is ${Math.round(range[0] * 100)}-${Math.round(range[1] * 100)}%`,
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
      for (let a = 0; a < adv.length; a++)
        for (let b = a + 1; b < adv.length; b++) {
          if (adv[a].it.drug !== adv[b].it.drug && overlaps(adv[a].it, adv[b].it))
            out.push(
              f(
                "dup-advanced",
                "error",
                `${adv[a].it.drug} and ${adv[b].it.drug} overlap`,
                "drugs.json#upadacitinib.interactions[0]",
                itemRef(adv[b].i),
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
 * Runs every rule; one finding per rule id and plan part (the most severe, its distinct messages
 * joined), so a reader sees each problem once however many predicates found it.
 */
export function runRules(ctx: RuleContext): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const f of RULES.flatMap((r) => r.check(ctx))) {
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
export function gaConstraints(
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
      fv[G.adv].push(i + 1);
      if (mode === "full") fv[G.switchTarget].push(i);
    }
    for (let r = a.regimens.length; r < N_REG; r++) {
      fp.push([G.adv, i + 1, G.reg, r]);
    }
  });
  const upa = space.advanced.findIndex((a) => a.id === "upadacitinib") + 1;
  IMMUNOMODULATORS.forEach((drug, k) => {
    const v = k + 1;
    if (isBlocked(drug)) fv[G.imm].push(v);
    if (upa > 0) fp.push([G.adv, upa, G.imm, v]);
    // The dose-fraction gene is a requested level; effectiveFractionLevel clamps it into the CPIC
    // range (a decoder, not a constraint), so every level is feasible.
  });
  STEROIDS.forEach((drug, k) => {
    const v = k + 1;
    if (isBlocked(drug)) fv[G.steroid].push(v);
    COURSE_WEEKS.forEach((w, c) => {
      if (w > space.steroidLimit[drug].weeks) fp.push([G.steroid, v, G.course, c]);
    });
  });
  // change-in-remission: the remission branch of every decision point is "continue".
  if (mode === "full") for (const g of [G.dp0, G.dp1]) fv[g].push(1, 2);
  // A switch target that is upadacitinib with an immunomodulator would break ix-jak-immunosuppressant.
  if (mode === "full" && upa > 0) IMMUNOMODULATORS.forEach((_, k) => fp.push([G.switchTarget, upa - 1, G.imm, k + 1]));
  return { forbiddenValues: fv, forbiddenPairs: fp, blocked };
}
