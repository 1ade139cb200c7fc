import { z } from "zod";
import {
  AlertEventSchema,
  PatientSummarySchema,
  RankedPlanSchema,
  SimulatedOutcomeSchema,
  TreatmentPlanSchema,
  VerificationReportSchema,
} from "../../protocol/index.js";
import { simulateOutcome, suggestAlternatives, verifyPlan, type OptimizerImpl } from "../../clinical/index.js";
import { defineSkill } from "../../runtime/index.js";

/** What the verifier's skills need from the agent. */
export interface VerifierSkillDeps {
  impl: () => OptimizerImpl;
  referenceDir?: string;
}

const CLINICAL = ["clinician", "researcher", "admin", "agent"] as const;
const PlanInput = z.object({ patient: PatientSummarySchema, plan: TreatmentPlanSchema });

/** The verifier agent's skills; thin wrappers over clinical/treatment (the shared rule table). */
export function verifierSkills(deps: VerifierSkillDeps) {
  const verify = defineSkill({
    verb: "verify_plan",
    title: "Verify a treatment plan",
    description:
      "Checks a plan against the one rule table the optimizer also obeys: each drug's label facts for this patient (latent TB, hepatitis B, serious infection, pregnancy and lactation, documented reactions and their cross-reactivity, co-medication interactions, disease location, age), route, frequency, dose and unit against the label regimens (mg/kg through the weight; induction length; escalated doses only after a lost response), CPIC TPMT/NUDT15 dosing, what happens to the drugs the patient takes now, decision points (coherent actions, real escalation steps, switch targets checked like a first-line drug), an objective measure before each decision, label monitoring and screening, steroid tapers. A plan that cannot be verified (no drug, another patient, an item ending before it starts, an unknown drug or switch target) is INVALID_INPUT naming the field. Returns is-valid, safety and efficacy scores, one finding per rule and plan part citing the reference entry, and recommendations.",
    input: PlanInput,
    output: VerificationReportSchema,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    roles: [...CLINICAL],
    stateless: true,
    // The runtime has already checked the input against PlanInput: handlers get it parsed.
    handler: async ({ patient, plan }, ctx) => {
      const report = verifyPlan(patient, plan, { referenceDir: deps.referenceDir });
      ctx.logger.info({ valid: report.isValid, findings: report.findings.length }, "plan verified");
      // Blocking findings are critical: the alert agent hears them (and deduplicates repeats).
      const at = new Date().toISOString();
      for (const f of report.findings.filter((x) => x.severity === "error")) {
        const { type: _type, ...event } = AlertEventSchema.parse({
          type: "critical-finding",
          patientId: patient.patientId,
          ruleId: f.ruleId,
          message: f.message,
          at,
        });
        await ctx.publish("critical-finding", event);
      }
      return report;
    },
  });

  const simulate = defineSkill({
    verb: "simulate_outcome",
    title: "Simulate a plan's outcome",
    description:
      "P(remission) at weeks 12 and 52 with an uncertainty interval, expected weeks in remission, adverse events and surgery, from the optimizer's weekly state model.",
    input: PlanInput,
    output: SimulatedOutcomeSchema,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    roles: [...CLINICAL],
    stateless: true,
    handler: async ({ patient, plan }) => {
      return simulateOutcome(patient, plan, { referenceDir: deps.referenceDir });
    },
  });

  const alternatives = defineSkill({
    verb: "suggest_alternatives",
    title: "Suggest alternative plans",
    description:
      "Verifies the plan, excludes every drug behind a blocking finding (plus any given), and re-optimizes: feasible alternatives ranked by the model.",
    input: PlanInput.extend({
      topK: z.number().int().min(1).max(10).default(3),
      seed: z.number().int().min(0).max(0xffffffff).default(42),
      excludedDrugs: z.array(z.string()).default([]),
    }),
    output: z.object({
      report: VerificationReportSchema,
      excluded: z.array(z.string()),
      alternatives: z.array(RankedPlanSchema),
    }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    roles: [...CLINICAL],
    handler: async ({ patient, plan, ...input }) => {
      return suggestAlternatives(patient, plan, {
        impl: deps.impl(),
        referenceDir: deps.referenceDir,
        topK: input.topK,
        seed: input.seed,
        excludedDrugs: input.excludedDrugs,
      });
    },
  });

  return [verify, simulate, alternatives] as const;
}
