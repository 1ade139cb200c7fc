import type { ChildProcess } from "node:child_process";
import { TaskState } from "@a2a-js/sdk";
import { AssembledPlanSchema, type AssembledPlan } from "../../protocol/clinical/coordinator.js";
import {
  CLINICIAN,
  carePlansOf,
  exitOf,
  regimenLine,
  spawnAgent,
  type Scenario,
  type ScenarioContext,
} from "./support.js";

const PATIENT = "pt-moderate-hla-dqa1-05";
export const DEFAULT_CRASH_STATE = "optimize";

export interface KilledResult {
  plan: AssembledPlan;
  carePlans: Array<Record<string, unknown>>;
  crashed: boolean;
  planTaskState: number | undefined;
}

/**
 * (f) The coordinator process is killed mid-plan → the plan still completes, once. The coordinator
 * runs as its own process with a fault injected (it SIGKILLs itself on entering `crashAt`, right
 * after persisting its snapshot); a second coordinator process takes the redelivered task over and
 * resumes from the snapshot. Works for a crash in any state of the plan machine, before or after
 * the clinician's approval.
 */
export async function runKilled(ctx: ScenarioContext, crashAt: string, patientId = PATIENT): Promise<KilledResult> {
  const client = ctx.sys.host.client;
  const first = await spawnAgent(ctx, "coordinator", { HMS_FAULT_CRASH_AT: crashAt });
  let finished = false;
  let crashed = false;
  const firstExit = exitOf(first);
  // When the first coordinator dies, start a second one (unless the run is already over).
  const takeover: Promise<ChildProcess | undefined> = firstExit.then(async (e) => {
    if (finished) return undefined;
    crashed = true;
    ctx.story(
      `The coordinator process died (${e.signal ?? e.code}) in state "${crashAt}"; a new one takes the task over.`,
    );
    return spawnAgent(ctx, "coordinator");
  });
  ctx.story(`A coordinator process (pid ${first.pid}) plans for ${patientId}; it will die on entering "${crashAt}".`);
  try {
    // The first coordinator may die before it answers: the retry (same messageId) reaches the
    // second one, which answers with the task the first accepted.
    const accepted = await client.callForTask(
      "coordinator",
      "plan_treatment",
      {
        patientId,
        requester: CLINICIAN,
        goals: { excludedDrugs: [], excludedClasses: [], optimizer: { seed: ctx.seed } },
      },
      { principal: CLINICIAN, returnImmediately: true, retries: 8 },
    );
    const planId = accepted.task.id;
    const sdk = await client.client("coordinator");
    // Polls survive the gap between the two coordinators: a lost or unanswered poll is just retried.
    const stateOf = async () => {
      try {
        return (await sdk.getTask({ tenant: "", id: planId }, { serviceParameters: { "HMS-Timeout-Ms": "2000" } }))
          .status?.state;
      } catch {
        return undefined;
      }
    };
    for (let i = 0; i < 1200; i++) {
      const s = await stateOf();
      if (s === TaskState.TASK_STATE_INPUT_REQUIRED) break;
      if (s === TaskState.TASK_STATE_FAILED || s === TaskState.TASK_STATE_REJECTED)
        throw new Error(`plan ended in state ${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const proposed = AssembledPlanSchema.parse(
      await client.call("coordinator", "get_plan", { planId }, { principal: CLINICIAN, retries: 8 }),
    );
    ctx.story(`Plan ${planId} reached review: ${regimenLine(proposed)}. The clinician approves.`);
    // If the coordinator dies while it holds this request, no reply ever comes: a short deadline per
    // attempt and a retry with the same messageId reach the new coordinator, which answers with the
    // same approval task once it has finished it.
    const approved = AssembledPlanSchema.parse(
      await client.call(
        "coordinator",
        "approve_plan",
        { planId, approve: true },
        { principal: CLINICIAN, timeoutMs: 8_000, retries: 8, retryDelayMs: 200 },
      ),
    );
    const carePlans = await carePlansOf(ctx, patientId);
    const planTaskState = await stateOf();
    ctx.story(
      `Approved and written once: ${carePlans.length} CarePlan(s) for ${patientId} (${approved.written?.carePlanRef}); the plan task is ${TaskState[planTaskState ?? 0]}.`,
    );
    return { plan: approved, carePlans, crashed, planTaskState };
  } finally {
    finished = true;
    if (first.exitCode === null && first.signalCode === null) first.kill("SIGTERM");
    await firstExit;
    const second = await takeover.catch(() => undefined);
    if (second && second.exitCode === null && second.signalCode === null) {
      second.kill("SIGTERM");
      await exitOf(second);
    }
  }
}

export const coordinatorKilled: Scenario<KilledResult> = {
  name: "coordinator-killed",
  title: "Coordinator killed mid-plan",
  agents: ["consent", "ehr", "optimizer", "verifier"],
  run: (ctx) => runKilled(ctx, DEFAULT_CRASH_STATE),
};
