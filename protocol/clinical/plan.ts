import { z } from "zod";
import { PatientSummarySchema } from "./patient.js";
import { DoseUnitSchema, RouteSchema, ScheduleSchema } from "./regimen.js";

export { ScheduleSchema };
export type { Schedule } from "./regimen.js";

/**
 * Treatment plans, the optimizer's configuration and result, and the verifier's report.
 * One schema per wire type; types come from z.infer. Drug ids are drugs.json `id`s.
 */

export const RegimenRoleSchema = z.enum(["advanced", "immunomodulator", "steroid", "other"]);
export type RegimenRole = z.infer<typeof RegimenRoleSchema>;

/** One drug in a plan, with its dose, schedule and the weeks it covers. */
export const RegimenItemSchema = z.object({
  role: RegimenRoleSchema,
  /** drugs.json id, e.g. "infliximab". */
  drug: z.string().min(1),
  drugClass: z.string(),
  route: RouteSchema,
  phase: z.enum(["induction", "maintenance", "taper"]),
  /** Dose per administration (per day for daily items) in `unit`. */
  dose: z.number().nonnegative(),
  unit: DoseUnitSchema,
  schedule: ScheduleSchema,
  startWeek: z.number().int().min(0),
  /** Last week (exclusive) the item covers; null = to the end of the horizon. */
  endWeek: z.number().int().min(0).nullable(),
  /** Immunomodulators: dose as a fraction of the standard dose (pharmacogenomics narrows it). */
  doseFraction: z.number().min(0).max(1).optional(),
  /** Reference entry the dose comes from, e.g. "drugs.json#infliximab.maintenance". */
  reference: z.string(),
  /** The drugs.json label regimen this item follows (`regimens[].id`, e.g. "escalation-10mgkg-q8w"), when known. */
  regimenId: z.string().optional(),
});
export type RegimenItem = z.infer<typeof RegimenItemSchema>;

export const DecisionActionSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("continue") }),
  /** Move the advanced therapy to its next, more intensive label regimen (dose or interval). */
  z.object({ kind: z.literal("escalate") }),
  /** Stop the advanced therapy and start `drug`. */
  z.object({ kind: z.literal("switch"), drug: z.string().min(1) }),
]);
export type DecisionAction = z.infer<typeof DecisionActionSchema>;

/** What to do at a week, by the response then (judged on symptoms plus calprotectin/CRP). */
export const DecisionPointSchema = z.object({
  week: z.number().int().positive(),
  onRemission: DecisionActionSchema,
  onPartialResponse: DecisionActionSchema,
  onNoResponse: DecisionActionSchema,
});
export type DecisionPoint = z.infer<typeof DecisionPointSchema>;

export const MonitoringTestSchema = z.enum([
  "tb-screening",
  "hbv-dna",
  "renal-function",
  "hepatitis-b-serology",
  "tpmt-nudt15",
  "pregnancy-test",
  "calprotectin",
  "crp",
  "drug-level",
  "cbc",
  "lft",
  "lipids",
]);
export type MonitoringTest = z.infer<typeof MonitoringTestSchema>;

/** A test and the weeks it is done; week 0 means before the first dose. */
export const MonitoringItemSchema = z.object({
  test: MonitoringTestSchema,
  weeks: z.array(z.number().int().min(0)),
  reason: z.string(),
  reference: z.string(),
});
export type MonitoringItem = z.infer<typeof MonitoringItemSchema>;

/**
 * What the plan does with a drug the patient takes now (summary `currentMedications`): every
 * current Crohn's drug gets one entry, so no one starts a second biologic on top of an active one.
 */
export const CurrentDrugActionSchema = z.object({
  drug: z.string().min(1),
  action: z.enum(["continue", "stop", "switch", "taper"]),
  /** With "switch": the drug of the plan item that replaces it. */
  replacedBy: z.string().optional(),
  /** Week the current drug ends (0 = at plan start); absent with "continue". */
  stopWeek: z.number().int().min(0).optional(),
  /** Weeks between its last dose and the replacement's first, where the label asks for a gap. */
  washoutWeeks: z.number().int().min(0).optional(),
  reason: z.string(),
  reference: z.string(),
});
export type CurrentDrugAction = z.infer<typeof CurrentDrugActionSchema>;

export const TreatmentPlanSchema = z.object({
  patientId: z.string().min(1),
  horizonWeeks: z.number().int().positive(),
  items: z.array(RegimenItemSchema),
  decisionPoints: z.array(DecisionPointSchema),
  monitoring: z.array(MonitoringItemSchema),
  /** What happens to each drug the patient takes now. */
  currentTherapy: z.array(CurrentDrugActionSchema).default([]),
  /** The optimizer's encoding of this plan (provenance; absent for hand-written plans). */
  genome: z.array(z.number().int().min(0)).optional(),
});
export type TreatmentPlan = z.infer<typeof TreatmentPlanSchema>;

/** Weights of the decision-analytic fitness (agents/optimizer/MODEL.md). */
export const FitnessWeightsSchema = z.object({
  /** Reward per expected week in remission. */
  remission: z.number().min(0).default(1),
  /** Penalty per expected adverse event leading to discontinuation. */
  adverseEvent: z.number().min(0).default(10),
  /** Penalty per week of steroid exposure (prednisone-equivalent weighting). */
  steroid: z.number().min(0).default(0.5),
  /** Penalty per unit of treatment burden (visits, injections, tests). */
  burden: z.number().min(0).default(0.05),
  /** Penalty per expected surgery. */
  surgery: z.number().min(0).default(15),
});
export type FitnessWeights = z.infer<typeof FitnessWeightsSchema>;

export const OptimizerModeSchema = z.enum(["full", "reduced"]);
export type OptimizerMode = z.infer<typeof OptimizerModeSchema>;

export const OptimizerConfigSchema = z
  .object({
    populationSize: z.number().int().min(4).max(5000).default(80),
    generations: z.number().int().min(1).max(10000).default(60),
    mutationRate: z.number().min(0).max(1).default(0.08),
    crossoverRate: z.number().min(0).max(1).default(0.9),
    elitismCount: z.number().int().min(0).default(2),
    tournamentSize: z.number().int().min(1).default(3),
    /** Seed of the one PRNG (xoshiro128**, seeded by SplitMix32); same seed, same plan. */
    seed: z.number().int().min(0).max(0xffffffff).default(42),
    mode: OptimizerModeSchema.default("full"),
    topK: z.number().int().min(1).max(50).default(3),
    weights: FitnessWeightsSchema.default(FitnessWeightsSchema.parse({})),
  })
  .refine((c) => c.elitismCount < c.populationSize, {
    message: "elitismCount must be below populationSize",
    path: ["elitismCount"],
  })
  .refine((c) => c.tournamentSize <= c.populationSize, {
    message: "tournamentSize must not exceed populationSize",
    path: ["tournamentSize"],
  });
export type OptimizerConfig = z.infer<typeof OptimizerConfigSchema>;

/** Things the caller rules out. */
export const OptimizerConstraintsSchema = z.object({
  /** drugs.json ids never to use. */
  excludedDrugs: z.array(z.string()).default([]),
  /** drugs.json classes never to use, e.g. "anti-TNF". */
  excludedClasses: z.array(z.string()).default([]),
});
export type OptimizerConstraints = z.infer<typeof OptimizerConstraintsSchema>;

/** How one biomarker moved the model. */
export const BiomarkerInfluenceSchema = z.object({
  key: z.string(),
  value: z.number().nullable(),
  unit: z.string().nullable(),
  status: z.enum(["elevated", "normal", "low", "missing"]),
  threshold: z.number().nullable(),
  effect: z.string(),
  /** Multiplier applied to the named model quantity (1 = none). */
  multiplier: z.number(),
  reference: z.string(),
});
export type BiomarkerInfluence = z.infer<typeof BiomarkerInfluenceSchema>;

export const OutcomeSchema = z.object({
  pRemissionWeek12: z.number(),
  pRemissionWeek52: z.number(),
  expectedRemissionWeeks: z.number(),
  expectedAdverseEvents: z.number(),
  pSurgery: z.number(),
  steroidWeeks: z.number(),
  burden: z.number(),
});
export type Outcome = z.infer<typeof OutcomeSchema>;

export const RankedPlanSchema = z.object({
  rank: z.number().int().min(1),
  plan: TreatmentPlanSchema,
  fitness: z.number(),
  feasible: z.boolean(),
  /**
   * 0..1: mean evidence weight of the efficacy numbers behind the plan's drugs (verified 1,
   * verified-secondary 0.7, unverified 0.4; the placebo number's when the plan has none), to two
   * decimals; 0 for an infeasible plan.
   */
  confidence: z.number().min(0).max(1),
  outcome: OutcomeSchema,
  explanations: z.array(z.string()),
});
export type RankedPlan = z.infer<typeof RankedPlanSchema>;

export const ConvergencePointSchema = z.object({
  generation: z.number().int().min(0),
  best: z.number(),
  /** Mean fitness of the feasible members (null when none is feasible). */
  meanFeasible: z.number().nullable(),
  feasibleFraction: z.number(),
});
export type ConvergencePoint = z.infer<typeof ConvergencePointSchema>;

export const OptimizerResultSchema = z.object({
  patientId: z.string(),
  impl: z.enum(["native", "ts"]),
  config: OptimizerConfigSchema,
  plans: z.array(RankedPlanSchema),
  biomarkerInfluences: z.array(BiomarkerInfluenceSchema),
  convergence: z.array(ConvergencePointSchema),
  evaluations: z.number().int(),
  searchSpaceSize: z.number(),
  elapsedMs: z.number(),
});
export type OptimizerResult = z.infer<typeof OptimizerResultSchema>;

export const FindingSeveritySchema = z.enum(["error", "warning", "info"]);
export type FindingSeverity = z.infer<typeof FindingSeveritySchema>;

export const FindingSchema = z.object({
  ruleId: z.string(),
  /** "error" blocks the plan; warnings and info do not. */
  severity: FindingSeveritySchema,
  message: z.string(),
  /** Reference entry the rule rests on, e.g. "drugs.json#methotrexate.contraindications[0]". */
  reference: z.string(),
  /** The plan part concerned, e.g. "items[1]" or "monitoring"; null for the plan as a whole. */
  item: z.string().nullable(),
});
export type Finding = z.infer<typeof FindingSchema>;

export const VerificationReportSchema = z.object({
  isValid: z.boolean(),
  /** 0..1, 1 = no safety finding. */
  safetyScore: z.number().min(0).max(1),
  /** 0..1, the model's expected share of weeks in remission. */
  efficacyScore: z.number().min(0).max(1),
  findings: z.array(FindingSchema),
  recommendations: z.array(z.string()),
});
export type VerificationReport = z.infer<typeof VerificationReportSchema>;

export const OutcomeIntervalSchema = z.object({
  estimate: z.number(),
  low: z.number(),
  high: z.number(),
});
export type OutcomeInterval = z.infer<typeof OutcomeIntervalSchema>;

export const SimulatedOutcomeSchema = z.object({
  pRemissionWeek12: OutcomeIntervalSchema,
  pRemissionWeek52: OutcomeIntervalSchema,
  expectedRemissionWeeks: z.number(),
  expectedAdverseEvents: z.number(),
  pSurgery: z.number(),
  /** How the interval was made. */
  method: z.string(),
});
export type SimulatedOutcome = z.infer<typeof SimulatedOutcomeSchema>;

/** A plan together with the patient it is for: the verifier's input. */
export const PlanForPatientSchema = z.object({
  patient: PatientSummarySchema,
  plan: TreatmentPlanSchema,
});
export type PlanForPatient = z.infer<typeof PlanForPatientSchema>;

// ---- The numeric problem handed to the GA (TypeScript or Rust through Neon) ----

/** Gene domains, hard constraints from the rule table, and the fitness model's numbers. */
export const GaProblemSchema = z.object({
  domains: z.array(z.number().int().min(1)),
  /** Per gene, values that make a plan infeasible. */
  forbiddenValues: z.array(z.array(z.number().int().min(0))),
  /** [geneA, valueA, geneB, valueB]: this pair of values makes a plan infeasible. */
  forbiddenPairs: z.array(z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()])),
  model: z.object({
    horizon: z.number().int().positive(),
    inductionWeeks: z.number().int().positive(),
    decisionWeeks: z.array(z.number().int().positive()),
    /** Gene index of each plan part; -1 when absent (reduced mode). */
    layout: z.object({
      adv: z.number().int(),
      reg: z.number().int(),
      imm: z.number().int(),
      frac: z.number().int(),
      steroid: z.number().int(),
      course: z.number().int(),
      /** Per decision point: genes for [on remission, on partial response, on no response]. */
      dp: z.array(z.tuple([z.number().int(), z.number().int(), z.number().int()])),
      switchTarget: z.number().int(),
      calpro: z.number().int(),
      tdm: z.number().int(),
    }),
    nAdv: z.number().int().positive(),
    nReg: z.number().int().positive(),
    nImm: z.number().int().positive(),
    nFrac: z.number().int().positive(),
    nTdm: z.number().int().positive(),
    /** Per advanced option (0 = none): how many label regimens it has. */
    regCount: z.array(z.number().int().min(1)),
    /** Per advanced option: class id (options of one class share it; none = 0). */
    advClass: z.array(z.number().int().min(0)),
    /** Arm parameters for the first advanced therapy; ARM_LEN numbers per (adv, reg, imm, frac, tdm). */
    armsFirst: z.array(z.number()),
    /** Same for a therapy started by a switch (after one more advanced-therapy failure). */
    armsAfter: z.array(z.number()),
    /** Arm parameters off all therapy (after an adverse event). */
    off: z.array(z.number()),
    /** Weekly rate of leaving the adverse-event state (to active disease, off therapy). */
    eExit: z.number(),
    /** Efficacy multiplier on a switch within the same class. */
    sameClassFactor: z.number(),
    /** Per steroid option: [extra remission hazard, extra response hazard, extra AE hazard, penalty per week]. */
    steroid: z.array(z.tuple([z.number(), z.number(), z.number(), z.number()])),
    /** Course length in weeks per course option. */
    courseWeeks: z.array(z.number().int().min(0)),
    /** Per calprotectin-monitoring option: [share of decisions applied, burden per week]. */
    calpro: z.array(z.tuple([z.number(), z.number()])),
    calproDefault: z.number().int().min(0),
    /** Burden per week of proactive drug-level monitoring. */
    tdmBurden: z.number(),
    /** Initial mass in [remission, response, active]. */
    init: z.tuple([z.number(), z.number(), z.number()]),
    weights: z.tuple([z.number(), z.number(), z.number(), z.number(), z.number()]),
  }),
});
export type GaProblem = z.infer<typeof GaProblemSchema>;

/** The GA's configuration as both implementations take it. */
export const GaConfigSchema = z.object({
  populationSize: z.number().int(),
  generations: z.number().int(),
  mutationRate: z.number(),
  crossoverRate: z.number(),
  elitismCount: z.number().int(),
  tournamentSize: z.number().int(),
  seed: z.number().int(),
  topK: z.number().int(),
  /** Report progress every this many generations (TS: live; native: its history replayed at this cadence once the run is done). */
  progressEvery: z.number().int().min(1),
});
export type GaConfig = z.infer<typeof GaConfigSchema>;

export const GaRunResultSchema = z.object({
  best: z.object({ genome: z.array(z.number().int()), fitness: z.number() }),
  top: z.array(z.object({ genome: z.array(z.number().int()), fitness: z.number() })),
  history: z.array(ConvergencePointSchema),
  evaluations: z.number().int(),
});
export type GaRunResult = z.infer<typeof GaRunResultSchema>;
