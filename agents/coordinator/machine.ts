import { assign, fromPromise, setup } from "xstate";
import type {
  ConsentDecision,
  Finding,
  OptimizerResult,
  PatientSummary,
  PlanRequest,
  RankedPlan,
  VerificationReport,
} from "../../protocol/index.js";

/**
 * One plan request as a state machine (design.md §5, "Plan assembly"):
 * consent → summary → optimize → verify (→ optimize again without what was flagged, bounded) →
 * awaiting approval → written + alert | rejected. Every step is an invoked promise actor whose
 * implementation is provided at run time (`planMachine.provide({ actors })`), so the machine is
 * bus-agnostic and its snapshot can be persisted and restored by the coordinator. On restore an
 * in-flight step runs again, which is why every step is idempotent (calls carry stable message ids).
 */

export interface WriteResult {
  carePlanRef: string;
  medicationRequestRefs: string[];
  provenanceRef: string;
}

/** What the plan keeps of an optimizer run: how it ran (the candidates go to `chosen`, the rest is dropped). */
export type OptimizerRun = Omit<OptimizerResult, "plans" | "convergence" | "biomarkerInfluences">;

/** The run without its candidates and curves: the snapshot is persisted before every step. */
const runOf = ({ plans: _p, convergence: _c, biomarkerInfluences: _b, ...run }: OptimizerResult): OptimizerRun => run;

export interface PlanContext {
  planId: string;
  request: PlanRequest;
  round: number;
  excludedDrugs: string[];
  excludedClasses: string[];
  consent?: ConsentDecision;
  summary?: PatientSummary;
  optimizer?: OptimizerRun;
  chosen?: RankedPlan;
  verification?: VerificationReport;
  findings: Array<Finding & { round: number }>;
  written?: WriteResult;
  decision?: { by: string; approved: boolean; reason?: string; at: string };
  reason?: string;
  /** Stable error code of the step that failed the plan (e.g. NOT_FOUND for an unknown patient). */
  errorCode?: string;
}

/**
 * What each step reads. A step gets only these (not the whole context): an invoked actor's input
 * is part of the snapshot persisted before every step, so it is kept small.
 */
export interface StepInputs {
  checkConsent: { patientId: string; round: number };
  fetchSummary: { patientId: string; round: number };
  optimize: {
    summary: PatientSummary;
    excludedDrugs: string[];
    excludedClasses: string[];
    config: PlanRequest["goals"]["optimizer"];
    round: number;
  };
  verify: { summary: PatientSummary; plan: RankedPlan["plan"]; round: number };
  writePlan: { patientId: string; plan: RankedPlan["plan"]; findings: Finding[]; sources: string[]; approver: string };
  notify: { patientId: string; carePlanRef: string };
}

export type PlanEvent =
  { type: "APPROVE"; by: string; at: string } | { type: "REJECT"; by: string; reason: string; at: string };

/** Drug ids behind a plan's blocking findings ("items[i]" → that item's drug). */
export function blockedDrugs(plan: RankedPlan, findings: Finding[]): string[] {
  const out = new Set<string>();
  for (const f of findings) {
    if (f.severity !== "error") continue;
    const m = /^items\[(\d+)\]/.exec(f.item ?? "");
    const item = m ? plan.plan.items[Number(m[1])] : undefined;
    if (item) out.add(item.drug);
  }
  return [...out];
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const errorCode = (e: unknown): string | undefined =>
  e && typeof e === "object" && "code" in e ? String(e.code) : undefined;

export const planMachine = setup({
  types: {
    context: {} as PlanContext,
    events: {} as PlanEvent,
    input: {} as { planId: string; request: PlanRequest },
  },
  actors: {
    checkConsent: fromPromise<ConsentDecision, StepInputs["checkConsent"]>(async () => {
      throw new Error("checkConsent not provided");
    }),
    fetchSummary: fromPromise<PatientSummary, StepInputs["fetchSummary"]>(async () => {
      throw new Error("fetchSummary not provided");
    }),
    optimize: fromPromise<OptimizerResult, StepInputs["optimize"]>(async () => {
      throw new Error("optimize not provided");
    }),
    verify: fromPromise<VerificationReport, StepInputs["verify"]>(async () => {
      throw new Error("verify not provided");
    }),
    writePlan: fromPromise<WriteResult, StepInputs["writePlan"]>(async () => {
      throw new Error("writePlan not provided");
    }),
    notify: fromPromise<void, StepInputs["notify"]>(async () => {
      throw new Error("notify not provided");
    }),
  },
  actions: {
    /** Keeps the verifier's report and adds its findings, tagged with the round, to the plan's. */
    recordVerification: assign(({ context, event }) => {
      const report = (event as unknown as { output: VerificationReport }).output;
      return {
        verification: report,
        findings: [...context.findings, ...report.findings.map((f) => ({ ...f, round: context.round }))],
      };
    }),
  },
  guards: {
    permitted: ({ event }) => (event as unknown as { output: ConsentDecision }).output.permit,
    blocking: ({ event }) => !(event as unknown as { output: VerificationReport }).output.isValid,
    roundsLeft: ({ context }) => context.round < context.request.maxRounds,
    consentError: ({ event }) => errorCode((event as unknown as { error: unknown }).error) === "CONSENT_DENIED",
  },
}).createMachine({
  id: "plan",
  context: ({ input }) => ({
    planId: input.planId,
    request: input.request,
    round: 1,
    excludedDrugs: [...input.request.goals.excludedDrugs],
    excludedClasses: [...input.request.goals.excludedClasses],
    findings: [],
  }),
  initial: "consent",
  states: {
    consent: {
      invoke: {
        id: "checkConsent",
        src: "checkConsent",
        input: ({ context }) => ({ patientId: context.request.patientId, round: context.round }),
        onDone: [
          { guard: "permitted", target: "summary", actions: assign({ consent: ({ event }) => event.output }) },
          {
            target: "consentDenied",
            actions: assign({ consent: ({ event }) => event.output, reason: ({ event }) => event.output.reason }),
          },
        ],
        onError: {
          target: "failed",
          actions: assign({ reason: ({ event }) => `consent check failed: ${errorText(event.error)}` }),
        },
      },
    },
    summary: {
      invoke: {
        id: "fetchSummary",
        src: "fetchSummary",
        input: ({ context }) => ({ patientId: context.request.patientId, round: context.round }),
        onDone: { target: "optimize", actions: assign({ summary: ({ event }) => event.output }) },
        onError: [
          {
            guard: "consentError",
            target: "consentDenied",
            actions: assign({ reason: ({ event }) => errorText(event.error) }),
          },
          {
            target: "failed",
            actions: assign({
              reason: ({ event }) => `patient summary failed: ${errorText(event.error)}`,
              errorCode: ({ event }) => errorCode(event.error),
            }),
          },
        ],
      },
    },
    optimize: {
      invoke: {
        id: "optimize",
        src: "optimize",
        input: ({ context }) => ({
          summary: context.summary!,
          excludedDrugs: context.excludedDrugs,
          excludedClasses: context.excludedClasses,
          config: context.request.goals.optimizer,
          round: context.round,
        }),
        onDone: [
          {
            guard: ({ event }) => event.output.plans.some((p) => p.feasible),
            target: "verify",
            actions: assign({
              optimizer: ({ event }) => runOf(event.output),
              chosen: ({ event }) => event.output.plans.find((p) => p.feasible),
            }),
          },
          {
            target: "failed",
            actions: assign({
              optimizer: ({ event }) => runOf(event.output),
              reason: () => "the optimizer found no feasible plan for this patient",
            }),
          },
        ],
        onError: {
          target: "failed",
          actions: assign({ reason: ({ event }) => `optimizer failed: ${errorText(event.error)}` }),
        },
      },
    },
    verify: {
      invoke: {
        id: "verify",
        src: "verify",
        input: ({ context }) => ({ summary: context.summary!, plan: context.chosen!.plan, round: context.round }),
        onDone: [
          {
            guard: "blocking",
            target: "reoptimize",
            actions: "recordVerification",
          },
          {
            target: "awaitingApproval",
            actions: "recordVerification",
          },
        ],
        onError: {
          target: "failed",
          actions: assign({ reason: ({ event }) => `verifier failed: ${errorText(event.error)}` }),
        },
      },
    },
    reoptimize: {
      always: [
        {
          guard: "roundsLeft",
          target: "optimize",
          actions: assign({
            round: ({ context }) => context.round + 1,
            excludedDrugs: ({ context }) => [
              ...new Set([...context.excludedDrugs, ...blockedDrugs(context.chosen!, context.verification!.findings)]),
            ],
          }),
        },
        {
          target: "failed",
          actions: assign({
            reason: ({ context }) =>
              `no plan passed verification in ${context.request.maxRounds} rounds: ${context
                .verification!.findings.filter((f) => f.severity === "error")
                .map((f) => `${f.ruleId}: ${f.message}`)
                .join("; ")}`,
          }),
        },
      ],
    },
    awaitingApproval: {
      on: {
        APPROVE: {
          target: "writing",
          actions: assign({ decision: ({ event }) => ({ by: event.by, approved: true, at: event.at }) }),
        },
        REJECT: {
          target: "rejectedByClinician",
          actions: assign({
            decision: ({ event }) => ({ by: event.by, approved: false, reason: event.reason, at: event.at }),
            reason: ({ event }) => event.reason,
          }),
        },
      },
    },
    writing: {
      invoke: {
        id: "writePlan",
        src: "writePlan",
        input: ({ context }) => ({
          patientId: context.request.patientId,
          plan: context.chosen!.plan,
          findings: context.verification?.findings ?? [],
          sources: context.summary?.sources ?? [],
          approver: context.decision?.by ?? "unknown",
        }),
        onDone: { target: "notifying", actions: assign({ written: ({ event }) => event.output }) },
        onError: [
          {
            guard: "consentError",
            target: "consentDenied",
            actions: assign({ reason: ({ event }) => errorText(event.error) }),
          },
          {
            target: "failed",
            actions: assign({ reason: ({ event }) => `writing the care plan failed: ${errorText(event.error)}` }),
          },
        ],
      },
    },
    notifying: {
      invoke: {
        id: "notify",
        src: "notify",
        input: ({ context }) => ({ patientId: context.request.patientId, carePlanRef: context.written!.carePlanRef }),
        onDone: "approved",
        // The plan is written; a lost notification does not undo it.
        onError: "approved",
      },
    },
    approved: { type: "final" },
    rejectedByClinician: { type: "final" },
    consentDenied: { type: "final" },
    failed: { type: "final" },
  },
});

/** Human names of the steps a run reports as progress (the state a run ends in is told by the task's own status). */
export const STEP_LABELS: Record<string, string> = {
  consent: "checking consent",
  summary: "reading the patient summary from the EHR",
  optimize: "searching treatment plans (genetic algorithm)",
  verify: "verifying the plan (safety, dosing, pharmacogenomics)",
  reoptimize: "re-optimizing without what the verifier flagged",
  writing: "writing the approved plan to the EHR",
  notifying: "raising the plan-ready alert",
};
