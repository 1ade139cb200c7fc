import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { OptimizerMode } from "../../protocol/index.js";
import { drugRef, loadDrugs, type DrugEntry, type DrugsReference } from "../reference/drugs.js";
import { loadPgx } from "../reference/pgx.js";
import { at } from "./at.js";
import { getPath, numberAt, upperOfRange } from "./reference-path.js";

/**
 * The plan space: what each gene means. Doses and intervals are read from drugs.json through the
 * paths below (never retyped); efficacy numbers come from efficacy.json beside this file.
 *
 * Full mode genes: 0 advanced therapy (0 = none), 1 its regimen level, 2 immunomodulator
 * (0 = none), 3 its dose-fraction level, 4 steroid bridge (0 = none), 5 its course length,
 * 6-8 week-12 actions on remission / partial response / no response (continue, escalate,
 * switch), 9-11 the same at week 26, 12 switch target, 13 calprotectin interval, 14 proactive
 * drug levels. Reduced mode keeps genes 0-5 (one stage, no decision points).
 */

export interface NumberWithSource {
  value: number;
  source: string;
  confidence: string;
}

/** A label regimen: values resolved from drugs.json, with the path they came from. */
export interface Regimen {
  dose: number;
  unit: string;
  route: string;
  /** null = daily. */
  intervalWeeks: number | null;
  reference: string;
}

interface RegimenPath {
  dose: string;
  unit: string;
  route: string;
  interval: string | null;
}

/** Maintenance regimens per advanced drug, least to most intensive: paths into drugs.json. */
const REGIMEN_PATHS: Record<string, RegimenPath[]> = {
  infliximab: [
    {
      dose: "maintenance.dose",
      unit: "maintenance.unit",
      route: "maintenance.route",
      interval: "maintenance.interval_weeks",
    },
    {
      dose: "dose_escalation.max_dose",
      unit: "dose_escalation.max_unit",
      route: "maintenance.route",
      interval: "dose_escalation.interval_weeks",
    },
  ],
  adalimumab: [
    {
      dose: "maintenance.dose",
      unit: "maintenance.unit",
      route: "maintenance.route",
      interval: "maintenance.interval_weeks",
    },
    {
      dose: "dose_escalation.max_dose",
      unit: "dose_escalation.max_unit",
      route: "maintenance.route",
      interval: "dose_escalation.interval_weeks",
    },
  ],
  certolizumab_pegol: [
    {
      dose: "maintenance.dose",
      unit: "maintenance.unit",
      route: "maintenance.route",
      interval: "maintenance.interval_weeks",
    },
  ],
  vedolizumab: [
    {
      dose: "maintenance[0].dose",
      unit: "maintenance[0].unit",
      route: "maintenance[0].route",
      interval: "maintenance[0].interval_weeks",
    },
    {
      dose: "maintenance[0].dose",
      unit: "maintenance[0].unit",
      route: "maintenance[0].route",
      interval: "dose_escalation.interval_weeks",
    },
  ],
  ustekinumab: [
    {
      dose: "maintenance.dose",
      unit: "maintenance.unit",
      route: "maintenance.route",
      interval: "maintenance.eu_alternative_interval_weeks",
    },
    {
      dose: "maintenance.dose",
      unit: "maintenance.unit",
      route: "maintenance.route",
      interval: "maintenance.interval_weeks",
    },
  ],
  risankizumab: [
    {
      dose: "maintenance.dose_options[0]",
      unit: "maintenance.unit",
      route: "induction.doses[0].route",
      interval: "maintenance.interval_weeks",
    },
    {
      dose: "maintenance.dose_options[1]",
      unit: "maintenance.unit",
      route: "induction.doses[0].route",
      interval: "maintenance.interval_weeks",
    },
  ],
  guselkumab: [
    {
      dose: "maintenance.options[0].dose",
      unit: "maintenance.options[0].unit",
      route: "maintenance.options[0].route",
      interval: "maintenance.options[0].interval_weeks",
    },
    {
      dose: "maintenance.options[1].dose",
      unit: "maintenance.options[1].unit",
      route: "maintenance.options[1].route",
      interval: "maintenance.options[1].interval_weeks",
    },
  ],
  mirikizumab: [
    {
      dose: "maintenance.dose",
      unit: "maintenance.unit",
      route: "maintenance.route",
      interval: "maintenance.interval_weeks",
    },
  ],
  upadacitinib: [
    { dose: "maintenance.dose_options[0]", unit: "maintenance.unit", route: "maintenance.route", interval: null },
    { dose: "maintenance.dose_options[1]", unit: "maintenance.unit", route: "maintenance.route", interval: null },
  ],
};

/** Advanced therapies in gene order (gene value = index + 1). */
export const ADVANCED_DRUGS = Object.keys(REGIMEN_PATHS);
/** Immunomodulators in gene order (gene value = index + 1). */
export const IMMUNOMODULATORS = ["azathioprine", "mercaptopurine", "methotrexate"] as const;
/** Steroid bridges in gene order (gene value = index + 1). */
export const STEROIDS = ["budesonide", "prednisone"] as const;
/** Course-length options in weeks (plan-space design choice; limits come from drugs.json). */
export const COURSE_WEEKS = [4, 8, 12, 16] as const;
export const DECISION_WEEKS = [12, 26] as const;
export const ACTIONS = ["continue", "escalate", "switch"] as const;
/** Gene positions. */
export const G = {
  adv: 0,
  reg: 1,
  imm: 2,
  frac: 3,
  steroid: 4,
  course: 5,
  dp0: 6,
  dp1: 9,
  switchTarget: 12,
  calpro: 13,
  tdm: 14,
} as const;
export const N_REG = 3;

/** The model modifiers efficacy.json gives (loadEfficacy checks each is there). */
export const MODIFIERS = [
  "hlaDqa105ImmunogenicityHR",
  "hlaDqa105UnderProactiveTdmRR",
  "immunogenicShareOfLossOfResponse",
  "proactiveTdmRelapseFactor",
  "secondAntiTnfAfterPrimaryNonResponse",
  "secondAntiTnfAfterLossOfResponse",
  "sameClassSwitchInPlan",
  "severeDiseaseEfficacy",
  "mildDiseaseEfficacy",
  "crpElevatedEfficacy",
  "calprotectinElevatedRelapse",
  "lowAlbuminMabEfficacy",
  "perianalAntiTnfEfficacy",
  "ilealUpadacitinibEfficacy",
  "recaptureAfterInduction",
  "surgeryPerYearActive",
  "surgeryPerYearResponse",
  "surgeryPerYearRemission",
  "complicatedBehaviourSurgery",
  "nod2Surgery",
  "aeRecoveryWeeks",
  "comboInfliximabThiopurineOR",
  "thiopurineExposureAtCpicDose",
] as const;

export interface Efficacy {
  placebo: Record<
    | "remissionInduction"
    | "responseInduction"
    | "maintenanceRemission"
    | "remissionInductionPooled"
    | "maintenanceRemissionPooled",
    NumberWithSource
  >;
  drugs: Record<
    string,
    {
      sameAs?: string;
      /** `oddsRatioNaive`: odds ratio vs placebo in advanced-therapy-naive patients (network meta-analysis or trial), applied to the pooled placebo rate. */
      remissionInduction?: { naive: NumberWithSource; exposed?: NumberWithSource; oddsRatioNaive?: NumberWithSource };
      responseInduction?: { naive: NumberWithSource; exposed?: NumberWithSource };
      maintenanceRemission?: NumberWithSource[];
      aeDiscontinuationPerYear?: NumberWithSource;
    }
  >;
  steroids: Record<
    (typeof STEROIDS)[number],
    Record<"remissionInduction" | "extraAePerYear" | "penaltyWeight", NumberWithSource>
  >;
  modifiers: Record<(typeof MODIFIERS)[number], NumberWithSource>;
  monitoring: {
    calprotectinIntervals: { weeks: number; decisionShare: NumberWithSource }[];
    burdenPerTest: NumberWithSource;
    tdmIntervalWeeks: NumberWithSource;
  };
  burden: Record<string, NumberWithSource>;
  /** Risk ratio of anti-drug antibodies with an immunomodulator, per anti-TNF. */
  antiDrugAntibodyRRWithImmunomodulator: Record<string, NumberWithSource>;
}

/** A fact of decision-facts.json: its text, source and confidence (plus the numbers it gives). */
export interface DecisionFact {
  text: string;
  source: string;
  confidence: string;
}

/** decision-facts.json beside this file: what the decision, monitoring and taper rules rest on beyond drugs.json. */
export interface DecisionFacts {
  treatToTarget: DecisionFact;
  objectiveMeasureWindow: DecisionFact & { weeks: number };
  measureLeadWeeks: DecisionFact & { weeks: number };
  steroidWithdrawal: DecisionFact & { abruptStopMaxWeeks: number; physiologicalPrednisoloneMg: number };
  prednisoneLabelTaper: DecisionFact;
  budesonideTaper: DecisionFact & { doseMg: number; weeks: number };
  upadacitinibLabs: DecisionFact & { lipidWeek: number };
  methotrexateLabs: DecisionFact;
  medicationReconciliation: DecisionFact;
  pregnancyContinue: DecisionFact;
}

/** How findings cite a decision fact. */
export const factRef = (key: keyof DecisionFacts): string => `decision-facts.json#${key}`;

let factsCache: DecisionFacts | undefined;
/** decision-facts.json beside this file. */
export function loadDecisionFacts(): DecisionFacts {
  factsCache ??= JSON.parse(
    readFileSync(join(dirname(fileURLToPath(import.meta.url)), "decision-facts.json"), "utf8"),
  ) as DecisionFacts;
  return factsCache;
}

let efficacyCache: Efficacy | undefined;
/** efficacy.json beside this file. */
export function loadEfficacy(): Efficacy {
  if (efficacyCache) return efficacyCache;
  const e = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "efficacy.json"), "utf8")) as Partial<
    Record<"modifiers" | "steroids", Record<string, unknown>>
  >;
  for (const k of MODIFIERS) if (!e.modifiers?.[k]) throw new Error(`efficacy.json has no modifier "${k}"`);
  for (const s of STEROIDS) if (!e.steroids?.[s]) throw new Error(`efficacy.json has no steroid "${s}"`);
  return (efficacyCache = e as Efficacy);
}

/** Efficacy entry of a drug, following `sameAs`. */
export function drugEfficacy(e: Efficacy, id: string): Efficacy["drugs"][string] {
  const d = e.drugs[id];
  if (!d) throw new Error(`efficacy.json has no drug "${id}"`);
  return d.sameAs ? drugEfficacy(e, d.sameAs) : d;
}

export interface PlanSpace {
  drugs: DrugsReference;
  efficacy: Efficacy;
  advanced: { id: string; entry: DrugEntry; regimens: Regimen[] }[];
  /** Immunomodulator dose-fraction levels (descending), from the CPIC ranges' end points. */
  fractions: number[];
  /** Longest steroid course in weeks per steroid (drugs.json), with the reference. */
  steroidLimit: Record<string, { weeks: number; reference: string }>;
  /** decision-facts.json: sources of the decision-point, monitoring and taper rules. */
  facts: DecisionFacts;
  referenceDir?: string;
}

const spaceCache = new Map<string, PlanSpace>();

/** Builds (once per reference dir) the plan space from drugs.json, pharmacogenomics.json and efficacy.json. */
export function loadPlanSpace(referenceDir?: string): PlanSpace {
  const key = referenceDir ?? "";
  const hit = spaceCache.get(key);
  if (hit) return hit;
  const drugs = loadDrugs(referenceDir);
  const advanced = Object.entries(REGIMEN_PATHS).map(([id, paths]) => {
    const entry = drugs.byId(id);
    const regimens = paths.map((p): Regimen => {
      const unit = getPath(entry, p.unit);
      const route = getPath(entry, p.route);
      return {
        dose: numberAt(entry, p.dose, id),
        unit: typeof unit === "string" ? unit : "mg",
        route: at(typeof route === "string" ? route.split(" ") : entry.route, 0, `${id} route`),
        intervalWeeks: p.interval === null ? null : numberAt(entry, p.interval, id),
        reference: drugRef(id, at(p.dose.split("."), 0, `${id} dose path`)),
      };
    });
    return { id, entry, regimens };
  });
  const pgx = loadPgx(referenceDir);
  const ends = new Set<number>();
  for (const r of pgx.recommendations)
    for (const v of r.starting_dose_percent_of_normal ?? []) if (v > 0) ends.add(v / 100);
  const fractions = [...ends].sort((a, b) => b - a);
  const bud = drugs.byId("budesonide");
  const pred = drugs.byId("prednisone");
  const budTaper = upperOfRange(bud.taper?.text ?? "") ?? 0;
  const steroidLimit = {
    budesonide: {
      weeks: numberAt(bud, "induction.max_duration_weeks", "budesonide") + budTaper,
      reference: "drugs.json#budesonide.induction.max_duration_weeks + drugs.json#budesonide.taper",
    },
    prednisone: {
      weeks: upperOfRange(stringAt(pred, "induction.taper")) ?? 12,
      reference: "drugs.json#prednisone.induction.taper",
    },
  };
  const space: PlanSpace = {
    drugs,
    efficacy: loadEfficacy(),
    advanced,
    fractions,
    steroidLimit,
    facts: loadDecisionFacts(),
    referenceDir,
  };
  spaceCache.set(key, space);
  return space;
}

/** The string at `path`, or "" (reference text read for its numbers). */
function stringAt(obj: unknown, path: string): string {
  const v = getPath(obj, path);
  return typeof v === "string" ? v : "";
}

/** Gene domains for a mode. */
export function domainsFor(space: PlanSpace, mode: OptimizerMode): number[] {
  const base = [
    space.advanced.length + 1,
    N_REG,
    IMMUNOMODULATORS.length + 1,
    space.fractions.length,
    STEROIDS.length + 1,
    COURSE_WEEKS.length,
  ];
  if (mode === "reduced") return base;
  return [...base, 3, 3, 3, 3, 3, 3, space.advanced.length, space.efficacy.monitoring.calprotectinIntervals.length, 2];
}

/** Number of plans in a mode's space. */
export function spaceSize(space: PlanSpace, mode: OptimizerMode): number {
  return domainsFor(space, mode).reduce((a, b) => a * b, 1);
}
