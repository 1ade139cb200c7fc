import { z } from "zod";
import { ApprovalSchema, AssembledPlanSchema, HmsError, PlanRequestSchema } from "../../protocol/index.js";
import { defineSkill, type SkillContext } from "../../runtime/index.js";
import { planKey, runPlan, viewOf, type PlanRecord, type RunnerOptions } from "./runner.js";

const HUMAN = (ctx: SkillContext) => !!ctx.principal && !ctx.principal.roles.includes("agent");

export function coordinatorSkills(opts: RunnerOptions) {
  const planTreatment = defineSkill({
    verb: "plan_treatment",
    title: "Plan treatment",
    description:
      "Assembles a Crohn's treatment plan for clinician review: consent check, EHR patient summary, genetic-algorithm optimization, verification (re-optimizing without flagged drugs, bounded rounds). The task then waits for approval (input-required) with the plan; coordinator_approve_plan finishes it. Consent denied ends it rejected.",
    input: PlanRequestSchema,
    output: AssembledPlanSchema,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    roles: ["clinician", "admin", "agent"],
    handler: async (input, ctx) => {
      if (input.requester && HUMAN(ctx) && input.requester.subject !== ctx.principal!.subject) {
        throw new HmsError(
          "FORBIDDEN",
          `${ctx.principal!.subject} may not request a plan on behalf of ${input.requester.subject}`,
        );
      }
      const requester = input.requester ?? ctx.principal;
      if (!requester)
        throw new HmsError("INVALID_INPUT", "requester: required when the call carries no principal", {
          data: { issues: [{ path: "requester", message: "required" }] },
        });
      const planId = ctx.taskId;
      // A redelivered task (its first coordinator died) continues from the persisted snapshot; a
      // first run has none yet (the record is first saved after the task was marked working).
      const saved = ctx.redelivered ? await ctx.state.load<PlanRecord>(planKey(planId)) : undefined;
      const record: PlanRecord = saved ?? {
        planId,
        request: { ...input, requester },
        snapshot: undefined,
        calls: [],
        agents: {},
        updatedAt: new Date().toISOString(),
      };
      if (ctx.redelivered && record.snapshot) ctx.logger.warn({ planId }, "resuming plan from its persisted snapshot");
      const after = await runPlan(ctx, record, opts);
      const view = viewOf(after);
      if (view.status === "awaiting-approval")
        return ctx.inputRequired(
          `Plan ${planId} for patient ${view.patientId} awaits clinician approval (coordinator_approve_plan).`,
          view,
        );
      if (view.status === "consent-denied")
        throw new HmsError("CONSENT_DENIED", view.reason ?? "consent denied", { data: { planId } });
      if (view.status === "failed") {
        // A step's own typed error (an unknown patient is NOT_FOUND) reaches the caller as that error.
        const code = view.errorCode === "NOT_FOUND" || view.errorCode === "INVALID_INPUT" ? view.errorCode : "INTERNAL";
        throw new HmsError(code, view.reason ?? "planning failed", { data: { planId } });
      }
      return view;
    },
  });

  const approvePlan = defineSkill({
    verb: "approve_plan",
    title: "Approve or reject a plan",
    description:
      "A clinician approves (the plan is written to the EHR as a draft CarePlan with proposed MedicationRequests, and a plan-ready alert is raised) or rejects with a reason (recorded, nothing written). Finishes the plan_treatment task.",
    input: ApprovalSchema,
    output: AssembledPlanSchema,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    roles: ["clinician"],
    handler: async (input, ctx) => {
      const clinician = input.clinician ?? ctx.principal;
      if (!clinician || !clinician.roles.includes("clinician"))
        throw new HmsError("FORBIDDEN", "only a clinician may approve or reject a plan");
      if (input.clinician && HUMAN(ctx) && input.clinician.subject !== ctx.principal!.subject)
        throw new HmsError("FORBIDDEN", "a clinician approves in their own name");
      const record = await ctx.state.load<PlanRecord>(planKey(input.planId));
      if (!record) throw new HmsError("NOT_FOUND", `no plan ${input.planId}`);
      const before = viewOf(record);
      if (before.status !== "in-progress" && before.status !== "awaiting-approval") {
        // Already decided. The same decision again (an approval redelivered after its first instance
        // died, or a client retrying) makes sure the plan task is finished and answers with the plan as
        // it stands; any other decision on a plan that has ended is refused.
        const same =
          (before.status === "approved" && input.approve) ||
          (before.status === "rejected-by-clinician" && !input.approve);
        if (!same)
          throw new HmsError(
            "CONFLICT",
            `plan ${input.planId} has already ended (${before.status}${before.decision ? ` by ${before.decision.by}` : ""}); it cannot be ${input.approve ? "approved" : "rejected"} now`,
            { data: { planId: input.planId, status: before.status } },
          );
        await finishPlanTask(ctx, input.planId, before);
        return before;
      }
      if (before.status === "in-progress" && before.step !== "writing" && before.step !== "notifying") {
        throw new HmsError(
          "CONFLICT",
          `plan ${input.planId} is still being assembled (${before.step}), not awaiting approval`,
        );
      }
      const at = new Date().toISOString();
      const event =
        before.status === "awaiting-approval"
          ? input.approve
            ? { type: "APPROVE" as const, by: clinician.subject, at }
            : { type: "REJECT" as const, by: clinician.subject, reason: input.reason!, at }
          : undefined;
      const after = viewOf(await runPlan(ctx, record, opts, event));
      await finishPlanTask(ctx, input.planId, after);
      return after;
    },
  });

  const getPlan = defineSkill({
    verb: "get_plan",
    title: "Get a plan",
    description:
      "The current state of a plan: step, status, the proposed regimen, findings, provenance and, once approved, where it was written.",
    input: z.object({ planId: z.string().min(1) }),
    output: AssembledPlanSchema,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    roles: ["clinician", "nurse", "admin", "agent"],
    stateless: true,
    handler: async (input, ctx) => {
      const record = await ctx.state.load<PlanRecord>(planKey(input.planId));
      if (!record) throw new HmsError("NOT_FOUND", `no plan ${input.planId}`);
      // A plan is PHI: a person reads it only with the consent agent's permit (which audits it).
      const p = ctx.principal;
      if (p && !p.roles.includes("agent")) {
        const decision = await ctx.call<{ permit: boolean; reason: string }>(
          "consent",
          "check_access",
          {
            requester: p.subject,
            roles: p.roles,
            patientId: record.request.patientId,
            categories: ["care-plans"],
            action: "read",
            purposeOfUse: p.purposeOfUse ?? "TREAT",
            ...(p.reason ? { reason: p.reason } : {}),
            what: `plan ${input.planId}`,
          },
          { principal: { subject: "agent:coordinator", roles: ["agent"], purposeOfUse: "TREAT" } },
        );
        if (!decision.permit) throw new HmsError("CONSENT_DENIED", decision.reason, { data: { planId: input.planId } });
      }
      return viewOf(record);
    },
  });

  return [planTreatment, approvePlan, getPlan];
}

async function finishPlanTask(ctx: SkillContext, planId: string, view: ReturnType<typeof viewOf>): Promise<void> {
  const result =
    view.status === "approved"
      ? { output: view as unknown as Record<string, unknown> }
      : view.status === "rejected-by-clinician"
        ? {
            error: {
              code: "PLAN_REJECTED",
              message: `rejected by ${view.decision?.by}: ${view.reason}`,
              data: { planId },
            },
            state: "rejected" as const,
          }
        : view.status === "consent-denied"
          ? {
              error: { code: "CONSENT_DENIED", message: view.reason ?? "consent denied", data: { planId } },
              state: "rejected" as const,
            }
          : {
              error: { code: "INTERNAL", message: view.reason ?? "plan failed", data: { planId } },
              state: "failed" as const,
            };
  try {
    await ctx.finishTask(planId, result);
  } catch (err) {
    // A redelivered approval may find the plan task already finished by the first attempt.
    if (!HmsError.is(err, "CONFLICT")) throw err;
  }
}
