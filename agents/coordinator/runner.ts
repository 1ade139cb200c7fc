import { createActor, fromPromise, waitFor, type SnapshotFrom } from "xstate";
import {
  AlertEventSchema,
  HmsError,
  agentPrincipal,
  type AssembledPlan,
  type ConsentDecision,
  type OptimizerResult,
  type PatientSummary,
  type PlanRequest,
  type PlanStatus,
  type Principal,
  type VerificationReport,
} from "../../protocol/index.js";
import type { CallRecord, SkillContext } from "../../runtime/index.js";
import {
  STEP_LABELS,
  planMachine,
  type PlanContext,
  type PlanEvent,
  type StepInputs,
  type WriteResult,
} from "./machine.js";

/** What the coordinator keeps per plan in its durable state (`plans.<planId>`). */
export interface PlanRecord {
  planId: string;
  request: PlanRequest & { requester: Principal };
  snapshot: unknown;
  /** Every call the plan made, in order (a task id, or a stateless answer's message id). */
  calls: CallRecord[];
  /** Agents consulted and their card versions. */
  agents: Record<string, string>;
  updatedAt: string;
}

export interface RunnerOptions {
  /** Fault injection for kill-and-resume tests: SIGKILL this process on entering this state, after persisting. */
  crashAt?: string;
}

const FINAL_STATUS: Record<string, PlanStatus> = {
  approved: "approved",
  rejectedByClinician: "rejected-by-clinician",
  consentDenied: "consent-denied",
  failed: "failed",
  awaitingApproval: "awaiting-approval",
};

export const planKey = (planId: string): string => `plans.${planId}`;

/**
 * Runs (or resumes) a plan's machine inside a skill: restores the persisted snapshot when there is
 * one, persists before every step's side effect, streams each step as progress, and returns when
 * the machine waits for the clinician or has ended.
 */
export async function runPlan(
  ctx: SkillContext,
  record: PlanRecord,
  opts: RunnerOptions,
  event?: PlanEvent,
): Promise<PlanRecord> {
  const { planId } = record;
  const requester = record.request.requester;
  const stepId = (step: string, round: number) => `${planId}:${step}:${round}`;
  const call = async <T>(
    agentId: string,
    verb: string,
    input: unknown,
    messageId: string,
    principal: Principal,
    onProgress?: (m: string) => void,
  ): Promise<T> => {
    const before = ctx.calls.length;
    const out = await ctx.call<T>(agentId, verb, input, { principal, messageId, onProgress, timeoutMs: 120_000 });
    record.calls.push(...ctx.calls.slice(before));
    if (!record.agents[agentId]) record.agents[agentId] = (await ctx.agentCard(agentId))?.version ?? "unknown";
    return out;
  };
  const persist = async () => {
    // Let the transition that started this step finish, so the snapshot shows the step.
    await new Promise((r) => setImmediate(r));
    // `actor` is created below; a step runs only once it has started.
    record.snapshot = actor.getPersistedSnapshot();
    record.updatedAt = new Date().toISOString();
    await ctx.state.save(planKey(planId), record);
    const state = String((record.snapshot as { value?: unknown }).value);
    if (opts.crashAt && state === opts.crashAt) {
      ctx.logger.warn({ state }, "fault injection: killing this process");
      process.kill(process.pid, "SIGKILL");
    }
  };
  const step = <I, O>(fn: (input: I) => Promise<O>) =>
    fromPromise<O, I>(async ({ input }) => {
      await persist();
      return fn(input);
    });
  // Reads and checks run as the requester; the care-plan write runs as the approving clinician.
  const machine = planMachine.provide({
    actors: {
      checkConsent: step(async ({ patientId, round }: StepInputs["checkConsent"]) =>
        call<ConsentDecision>(
          "consent",
          "check_access",
          {
            requester: requester.subject,
            roles: requester.roles,
            patientId,
            categories: ["demographics", "conditions", "observations", "medications", "genomics"],
            action: "read",
            purposeOfUse: requester.purposeOfUse ?? "TREAT",
            ...(requester.reason ? { reason: requester.reason } : {}),
            taskId: ctx.taskId,
            what: "treatment plan assembly",
          },
          stepId("consent", round),
          agentPrincipal("coordinator"),
        ),
      ),
      fetchSummary: step(
        async ({ patientId, round }: StepInputs["fetchSummary"]) =>
          (
            await call<{ summary: PatientSummary }>(
              "ehr",
              "get_patient_summary",
              { patientId },
              stepId("summary", round),
              requester,
            )
          ).summary,
      ),
      optimize: step(async ({ summary, excludedDrugs, excludedClasses, config, round }: StepInputs["optimize"]) =>
        call<OptimizerResult>(
          "optimizer",
          "optimize_treatment",
          { patient: summary, constraints: { excludedDrugs, excludedClasses }, config },
          stepId("optimize", round),
          requester,
          (m) => void ctx.progress(`optimizer: ${m}`, undefined, { transient: true }).catch(() => undefined),
        ),
      ),
      verify: step(async ({ summary, plan, round }: StepInputs["verify"]) =>
        call<VerificationReport>(
          "verifier",
          "verify_plan",
          { patient: summary, plan },
          stepId("verify", round),
          requester,
        ),
      ),
      writePlan: step(async ({ patientId, plan, findings, sources, approver }: StepInputs["writePlan"]) => {
        const r = await call<WriteResult & { created: boolean }>(
          "ehr",
          "write_care_plan",
          {
            patientId,
            title: "Crohn's disease treatment proposal (approved for review)",
            description: `Assembled by the HMS-A2A coordinator (plan ${planId}); approved by ${approver}.`,
            regimen: plan.items,
            findings: findings.map((f) => ({
              severity: f.severity === "error" ? "high" : f.severity === "warning" ? "moderate" : "low",
              code: f.ruleId,
              message: f.message,
              drugs: /^items\[(\d+)\]/.test(f.item ?? "")
                ? [plan.items[Number(/^items\[(\d+)\]/.exec(f.item!)![1])]?.drug].filter(Boolean)
                : [],
            })),
            basedOn: sources,
          },
          // One write per plan, whatever happens: the EHR keys its conditional creates on this task.
          `${planId}:write`,
          { subject: approver, roles: ["clinician"], purposeOfUse: "TREAT" },
        );
        return {
          carePlanRef: r.carePlanRef,
          medicationRequestRefs: r.medicationRequestRefs,
          provenanceRef: r.provenanceRef,
        };
      }),
      notify: step(async ({ patientId, carePlanRef }: StepInputs["notify"]) => {
        // The alert agent's plan-ready event (protocol/clinical/device.ts AlertEventSchema); the
        // topic names the type, the payload carries the rest.
        const { type: _type, ...event } = AlertEventSchema.parse({
          type: "plan-ready",
          patientId,
          planRef: carePlanRef,
          taskId: planId,
          at: new Date().toISOString(),
        });
        await ctx.publish("plan-ready", event);
      }),
    },
  });
  const snapshot = record.snapshot as SnapshotFrom<typeof machine> | undefined;
  const actor = createActor(
    machine,
    snapshot
      ? { snapshot, input: { planId, request: record.request } }
      : { input: { planId, request: record.request } },
  );
  // A resumed machine starts in the state it was saved in: that step was already reported.
  let last = snapshot ? String((snapshot as { value?: unknown }).value) : "";
  actor.subscribe({
    next: (s) => {
      const v = String(s.value);
      if (v !== last) {
        last = v;
        // A state the run ends in is announced by the task's own status (input-required,
        // completed, rejected or failed) right after: no progress update of its own.
        if (!(v in FINAL_STATUS)) void ctx.progress(STEP_LABELS[v] ?? v, { step: v, planId }).catch(() => undefined);
      }
    },
    error: () => undefined,
  });
  actor.start();
  if (event) actor.send(event);
  const done = await waitFor(actor, (s) => s.status === "done" || s.value === "awaitingApproval", { timeout: 600_000 });
  record.snapshot = actor.getPersistedSnapshot();
  record.updatedAt = new Date().toISOString();
  await ctx.state.save(planKey(planId), record);
  if (opts.crashAt && String(done.value) === opts.crashAt) {
    ctx.logger.warn({ state: opts.crashAt }, "fault injection: killing this process");
    process.kill(process.pid, "SIGKILL");
  }
  actor.stop();
  return record;
}

/** The plan as callers see it, from a record. */
export function viewOf(record: PlanRecord): AssembledPlan {
  const snap = record.snapshot as { value: unknown; context: PlanContext } | undefined;
  if (!snap) throw new HmsError("NOT_FOUND", `plan ${record.planId} has not started`);
  const c = snap.context;
  const state = String(snap.value);
  const status: PlanStatus = FINAL_STATUS[state] ?? "in-progress";
  return {
    planId: record.planId,
    patientId: record.request.patientId,
    status,
    step: state,
    ...(c.chosen ? { plan: c.chosen.plan, ranked: c.chosen } : {}),
    findings: c.verification?.findings ?? [],
    excluded: { drugs: c.excludedDrugs, classes: c.excludedClasses },
    provenance: {
      fhirResources: c.summary?.sources ?? [],
      agents: Object.entries(record.agents).map(([id, version]) => ({ id, version })),
      ...(c.optimizer
        ? {
            optimizer: {
              impl: c.optimizer.impl,
              seed: c.optimizer.config.seed,
              config: c.optimizer.config as unknown as Record<string, unknown>,
              rounds: c.round,
            },
          }
        : {}),
      findings: c.findings,
      referenceTaskIds: [...new Set(record.calls.flatMap((c) => (c.taskId ? [c.taskId] : [])))],
      calls: record.calls.map((c) => ({
        agent: c.agentId,
        skill: c.skill,
        ...(c.taskId ? { taskId: c.taskId } : {}),
        ...(c.messageId ? { messageId: c.messageId } : {}),
      })),
    },
    ...(c.written ? { written: c.written } : {}),
    ...(c.decision ? { decision: c.decision } : {}),
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.errorCode ? { errorCode: c.errorCode } : {}),
  };
}
