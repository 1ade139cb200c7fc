import { createHash } from "node:crypto";
import {
  invalidInput,
  type OptimizerConfig,
  OptimizerConfigSchema,
  type OptimizerConstraints,
  OptimizerConstraintsSchema,
  type OptimizerResult,
  type PatientSummary,
  PatientSummarySchema,
  type RankedPlan,
  type SimulatedOutcome,
  type TreatmentPlan,
} from "../../protocol/index.js";
import { at } from "./at.js";
import { decodePlan } from "./decode.js";
import { evaluate } from "./fitness.js";
import type { GaProgress } from "./ga.js";
import type { OptimizerImpl } from "./loader.js";
import { cachedProblem } from "./model.js";
import { drugEfficacy, G, loadPlanSpace, spaceSize, type PlanSpace } from "./space.js";
import { encodePlan } from "./encode.js";

/** Options shared by the optimizer's and the verifier's entry points. */
export interface TreatmentOptions {
  referenceDir?: string;
}

const CONF_WEIGHT: Record<string, number> = { verified: 1, "verified-secondary": 0.7, unverified: 0.4 };

/**
 * Mean evidence weight (CONF_WEIGHT) of the efficacy numbers a plan's drugs rest on: naive
 * induction remission and response, maintenance remission; the placebo number's when there are none.
 */
function evidenceConfidence(space: PlanSpace, plan: TreatmentPlan): number {
  const vals: number[] = [];
  for (const it of plan.items) {
    if (!space.efficacy.drugs[it.drug]) continue;
    const e = drugEfficacy(space.efficacy, it.drug);
    for (const n of [e.remissionInduction?.naive, e.responseInduction?.naive, ...(e.maintenanceRemission ?? [])])
      if (n) vals.push(CONF_WEIGHT[n.confidence] ?? 0.4);
  }
  if (vals.length === 0) vals.push(CONF_WEIGHT[space.efficacy.placebo.remissionInduction.confidence] ?? 0.4);
  return vals.reduce((a, b) => a + b, 0) / vals.length;
}

/**
 * P(remission) at weeks 12 and 52 for a plan, with an interval from re-running the model with
 * every drug effect scaled down and up by the evidence's uncertainty (±15% verified, ±25%
 * secondary, ±40% unverified, averaged over the plan's numbers).
 */
export function simulateOutcome(
  patient: PatientSummary,
  plan: TreatmentPlan,
  opts: TreatmentOptions = {},
): SimulatedOutcome {
  const space = loadPlanSpace(opts.referenceDir);
  // Pure in (patient, plan, reference data): remembered per plan space, returned as a copy.
  let memo = outcomeMemo.get(space);
  if (!memo) outcomeMemo.set(space, (memo = new Map<string, SimulatedOutcome>()));
  const key = createHash("sha1")
    .update(JSON.stringify([patient, plan]))
    .digest("base64");
  const hit = memo.get(key);
  if (hit) return structuredClone(hit);
  const out = simulateOutcomeUncached(patient, plan, space);
  memo.set(key, out);
  if (memo.size > OUTCOME_MEMO_SIZE) memo.delete(memo.keys().next().value!);
  return structuredClone(out);
}

/** Outcomes remembered by simulateOutcome per plan space (oldest dropped first). */
export const OUTCOME_MEMO_SIZE = 512;
const outcomeMemo = new WeakMap<PlanSpace, Map<string, SimulatedOutcome>>();

function simulateOutcomeUncached(patient: PatientSummary, plan: TreatmentPlan, space: PlanSpace): SimulatedOutcome {
  const g = encodePlan(plan, space);
  const mode = plan.decisionPoints.length > 0 ? "full" : "reduced";
  const genome = mode === "reduced" ? g.slice(0, 6) : g;
  const weights = OptimizerConfigSchema.parse({}).weights;
  const at = (scale: number) => {
    const { problem } = cachedProblem(patient, space, {
      mode,
      weights,
      constraints: { excludedDrugs: [], excludedClasses: [] },
      scale,
    });
    return evaluate({ ...problem, forbiddenValues: problem.forbiddenValues.map(() => []), forbiddenPairs: [] }, genome);
  };
  const conf = evidenceConfidence(space, plan);
  const spread = 0.15 + (1 - conf) * 0.42;
  const mid = at(1),
    lo = at(1 - spread),
    hi = at(1 + spread);
  const iv = (k: "pRemission12" | "pRemission52") => ({
    estimate: mid[k],
    low: Math.min(lo[k], hi[k], mid[k]),
    high: Math.max(lo[k], hi[k], mid[k]),
  });
  return {
    pRemissionWeek12: iv("pRemission12"),
    pRemissionWeek52: iv("pRemission52"),
    expectedRemissionWeeks: mid.remissionWeeks,
    expectedAdverseEvents: mid.adverseEvents,
    pSurgery: mid.pSurgery,
    method: `weekly state model (agents/optimizer/MODEL.md); interval: drug effects scaled by ±${Math.round(spread * 100)}% for evidence confidence ${conf.toFixed(2)}`,
  };
}

export interface OptimizeTreatmentInput {
  patient: unknown;
  constraints?: unknown;
  config?: unknown;
}

/** Runs the optimizer for a patient; top-k distinct plans with outcome, confidence and explanations. */
export async function optimizeTreatment(
  input: OptimizeTreatmentInput,
  opts: TreatmentOptions & {
    impl: OptimizerImpl;
    onProgress?: (p: GaProgress) => void;
    signal?: AbortSignal;
    now?: () => number;
  },
): Promise<OptimizerResult> {
  const pr = PatientSummarySchema.safeParse(input.patient);
  if (!pr.success) throw invalidInput(pr.error, "patient");
  const cr = OptimizerConfigSchema.safeParse(input.config ?? {});
  if (!cr.success) throw invalidInput(cr.error, "config");
  const kr = OptimizerConstraintsSchema.safeParse(input.constraints ?? {});
  if (!kr.success) throw invalidInput(kr.error, "constraints");
  const patient = pr.data,
    config: OptimizerConfig = cr.data,
    constraints: OptimizerConstraints = kr.data;
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const space = loadPlanSpace(opts.referenceDir);
  const { problem, factors, blocked } = cachedProblem(patient, space, {
    mode: config.mode,
    weights: config.weights,
    constraints,
  });
  const run = await opts.impl.run(
    problem,
    {
      populationSize: config.populationSize,
      generations: config.generations,
      mutationRate: config.mutationRate,
      crossoverRate: config.crossoverRate,
      elitismCount: config.elitismCount,
      tournamentSize: config.tournamentSize,
      seed: config.seed,
      topK: Math.min(config.populationSize, config.topK * 5),
      progressEvery: Math.max(1, Math.ceil(config.generations / 10)),
    },
    opts.onProgress,
    opts.signal,
  );
  const plans: RankedPlan[] = [];
  const seen = new Set<string>();
  for (const t of run.top) {
    if (plans.length >= config.topK) break;
    // Distinct regimens, not distinct genomes: genes that do not change the decoded plan (a dose
    // level the CPIC range clamps, a switch target no branch uses) must not fill the top k with copies.
    const plan = decodePlan(t.genome, patient, space);
    const { genome: _genome, ...content } = plan;
    const key = JSON.stringify(content);
    if (seen.has(key)) continue;
    seen.add(key);
    const b = evaluate(problem, t.genome);
    const explanations = [
      `expected ${b.remissionWeeks.toFixed(1)} of 52 weeks in remission; P(remission) week 12 ${(b.pRemission12 * 100).toFixed(0)}%, week 52 ${(b.pRemission52 * 100).toFixed(0)}%`,
      `expected adverse events leading to a stop ${b.adverseEvents.toFixed(2)}; P(surgery) ${(b.pSurgery * 100).toFixed(1)}%; steroid weeks ${b.steroidWeeks}`,
      ...factors.notes,
      ...[...blocked].map(([d, r]) => `${d} excluded: ${[...new Set(r)].join(", ")}`),
    ];
    if (at(t.genome, G.imm, "genome") > 0 && patient.pharmacogenomics.tpmtPhenotype !== "unknown")
      explanations.push(
        `immunomodulator dose fraction limited by CPIC for TPMT ${patient.pharmacogenomics.tpmtPhenotype} / NUDT15 ${patient.pharmacogenomics.nudt15Phenotype}`,
      );
    plans.push({
      rank: plans.length + 1,
      plan,
      fitness: t.fitness,
      feasible: b.feasible,
      confidence: b.feasible ? Math.round(evidenceConfidence(space, plan) * 100) / 100 : 0,
      outcome: {
        pRemissionWeek12: b.pRemission12,
        pRemissionWeek52: b.pRemission52,
        expectedRemissionWeeks: b.remissionWeeks,
        expectedAdverseEvents: b.adverseEvents,
        pSurgery: b.pSurgery,
        steroidWeeks: b.steroidWeeks,
        burden: b.burden,
      },
      explanations,
    });
  }
  return {
    patientId: patient.patientId,
    impl: opts.impl.name,
    config,
    plans,
    biomarkerInfluences: factors.influences,
    convergence: run.history,
    evaluations: run.evaluations,
    searchSpaceSize: spaceSize(space, config.mode),
    elapsedMs: now() - t0,
  };
}
