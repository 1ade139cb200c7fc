import type { MonitoringTest } from "../../protocol/index.js";
import { drugRef } from "../reference/drugs.js";
import { factRef, type DecisionFacts, type PlanSpace } from "./space.js";

/**
 * Laboratory monitoring each drug's label asks for once it is started, beyond pre-start screening
 * (TB, hepatitis B, TPMT/NUDT15 and pregnancy tests are `requiredScreening` in rules.ts). Each row
 * points at the drugs.json monitoring entry it reads (found by its text, so the citation is the
 * entry's index) or at a decision-facts.json fact. The decoder schedules these weeks; the rule
 * `monitoring-label-missing` checks a plan has a test in each window.
 */

export interface LabelMonitoring {
  drug: string;
  tests: MonitoringTest[];
  /** What the label says, for the plan's reason. */
  what: string;
  /** A test at or up to 4 weeks before the start. */
  baseline: boolean;
  /** Weeks after the start during the first months (induction/initiation). */
  early: number[];
  /** Then every this many weeks (null: not periodic). */
  everyWeeks: number | null;
  /** drugs.json monitoring entry or decision-facts.json fact it rests on. */
  reference: string;
}

interface Row {
  drug: string;
  /** drugs.json monitoring entry text, or a decision-facts.json key. */
  entry: RegExp | keyof DecisionFacts;
  tests: MonitoringTest[];
  what: string;
  baseline: boolean;
  early: number[];
  everyWeeks: number | null;
}

const ROWS: Row[] = [
  {
    drug: "risankizumab",
    entry: /liver enzymes and bilirubin/i,
    tests: ["lft"],
    what: "liver enzymes and bilirubin at baseline and during induction (up to week 12)",
    baseline: true,
    early: [4, 8, 12],
    everyWeeks: null,
  },
  {
    drug: "guselkumab",
    entry: /liver enzymes/i,
    tests: ["lft"],
    what: "liver enzymes and bilirubin during induction (IL-23 class labelling)",
    baseline: true,
    early: [4, 8, 12],
    everyWeeks: null,
  },
  {
    drug: "mirikizumab",
    entry: /liver enzymes and bilirubin/i,
    tests: ["lft"],
    what: "liver enzymes and bilirubin before start",
    baseline: true,
    early: [],
    everyWeeks: null,
  },
  {
    drug: "upadacitinib",
    entry: "upadacitinibLabs",
    tests: ["cbc", "lft"],
    what: "blood count and liver enzymes at baseline and periodically",
    baseline: true,
    early: [],
    everyWeeks: 12,
  },
  {
    drug: "upadacitinib",
    entry: "upadacitinibLabs",
    tests: ["lipids"],
    what: "lipids at week 12",
    baseline: false,
    early: [12],
    everyWeeks: null,
  },
  {
    drug: "azathioprine",
    entry: /CBC, LFT/i,
    tests: ["cbc", "lft", "renal-function"],
    what: "blood count, liver and renal function at weeks 2, 4, 8, 12, then every 3 months",
    baseline: false,
    early: [2, 4, 8, 12],
    everyWeeks: 12,
  },
  {
    drug: "mercaptopurine",
    entry: /As azathioprine/i,
    tests: ["cbc", "lft"],
    what: "blood count and liver function at weeks 2, 4, 8, 12, then every 3 months (thiopurine monitoring)",
    baseline: false,
    early: [2, 4, 8, 12],
    everyWeeks: 12,
  },
  {
    drug: "methotrexate",
    entry: /FBC and LFT/i,
    tests: ["cbc", "lft"],
    what: "blood count and liver function at weeks 2, 4, 8, 12, then every 1-2 months",
    baseline: false,
    early: [2, 4, 8, 12],
    everyWeeks: 8,
  },
  {
    drug: "methotrexate",
    entry: "methotrexateLabs",
    tests: ["renal-function"],
    what: "renal function at baseline, then every 1-2 months",
    baseline: true,
    early: [],
    everyWeeks: 8,
  },
];

/** The label monitoring for a drug (empty when its label asks for none beyond screening). */
export function labelMonitoring(space: PlanSpace, drug: string): LabelMonitoring[] {
  if (!space.drugs.has(drug)) return [];
  return ROWS.filter((r) => r.drug === drug).flatMap((r): LabelMonitoring[] => {
    let reference: string;
    if (typeof r.entry === "string") reference = factRef(r.entry);
    else {
      const i = space.drugs.findEntry(drug, "monitoring", r.entry);
      if (i < 0) return [];
      reference = drugRef(drug, `monitoring[${i}]`);
    }
    return [
      { drug, tests: r.tests, what: r.what, baseline: r.baseline, early: r.early, everyWeeks: r.everyWeeks, reference },
    ];
  });
}

/** Weeks of one label requirement for a drug started at `start` (continued drugs: periodic tests only). */
export function labelWeeks(m: LabelMonitoring, start: number, horizon: number, continued: boolean): number[] {
  const out: number[] = [];
  let last = start;
  if (!continued) {
    if (m.baseline) out.push(start);
    for (const w of m.early) out.push(start + w);
    if (m.early.length > 0) last = start + Math.max(...m.early);
  }
  if (m.everyWeeks !== null) for (let w = last + m.everyWeeks; w < horizon; w += m.everyWeeks) out.push(w);
  return [...new Set(out.filter((w) => w >= 0 && w < horizon))].sort((a, b) => a - b);
}

/**
 * Windows the rule accepts, each needing one test: baseline [start-4, start]; the early tests
 * [start + first early week - 4, start + last early week]; then one periodic test within
 * `everyWeeks` + 4 weeks of the previous requirement, when the horizon reaches it.
 */
export function labelWindows(
  m: LabelMonitoring,
  start: number,
  horizon: number,
  continued: boolean,
): { from: number; to: number; what: string }[] {
  const out: { from: number; to: number; what: string }[] = [];
  let last = start;
  if (!continued && m.baseline) out.push({ from: start - 4, to: start, what: "at baseline" });
  if (!continued && m.early.length > 0) {
    const lo = Math.min(...m.early);
    const hi = Math.max(...m.early);
    last = start + hi;
    out.push({ from: Math.max(start + 1, start + lo - 4), to: last, what: `by week ${hi} of treatment` });
  }
  if (m.everyWeeks !== null && last + m.everyWeeks < horizon)
    out.push({ from: last + 1, to: last + m.everyWeeks + 4, what: `every ${m.everyWeeks} weeks` });
  return out;
}
