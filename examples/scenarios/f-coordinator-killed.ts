import type { ChildProcess } from "node:child_process";
import { TaskState } from "@a2a-js/sdk";
import { AssembledPlanSchema, type AssembledPlan } from "../../protocol/clinical/coordinator.js";
import { CLINICIAN, carePlansOf, exitOf, regimenLine, spawnAgent, type Scenario, type ScenarioContext } from "./support.js";

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
  let second: ChildProcess | undefined;
  let crashed = false;
  const firstExit = exitOf(first).then((e) => {
    crashed = true;
    return e;
  });
  const takeOver = async () => {
    const e = await firstExit;
    if (!second) {
      ctx.story(`The coordinator process died (${e.signal ?? e.code}) in state "${crashAt}"; a new one takes the task over.`);
      second = await spawnAgent(ctx, "coordinator");
    }
  };
  ctx.story(`A coordinator process (pid ${first.pid}) plans for ${patientId}; it will die on entering "${crashAt}".`);
  try {
    const accepted = await client.callForTask("coordinator", "plan_treatment", { patientId, requester: CLINICIAN, goals: { excludedDrugs: [], excludedClasses: [], optimizer: { seed: ctx.seed } } }, { principal: CLINICIAN, returnImmediately: true });
    const planId = accepted.task.id;
    const sdk = await client.client("coordinator");
    const stateOf = async () => (await sdk.getTask({ tenant: "", id: planId })).status?.state;
    void takeOver().catch(() => undefined);
    for (let i = 0; i < 1200; i++) {
      const s = await stateOf();
      if (s === TaskState.TASK_STATE_INPUT_REQUIRED) break;
      if (s === TaskState.TASK_STATE_FAILED || s === TaskState.TASK_STATE_REJECTED) throw new Error(`plan ended in state ${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const proposed = AssembledPlanSchema.parse(await client.call("coordinator", "get_plan", { planId }, { principal: CLINICIAN }));
    ctx.story(`Plan ${planId} reached review: ${regimenLine(proposed)}. The clinician approves.`);
    const approved = AssembledPlanSchema.parse(await client.call("coordinator", "approve_plan", { planId, approve: true }, { principal: CLINICIAN, timeoutMs: 120_000 }));
    const carePlans = await carePlansOf(ctx, patientId);
    const planTaskState = await stateOf();
    ctx.story(`Approved and written once: ${carePlans.length} CarePlan(s) for ${patientId} (${approved.written?.carePlanRef}); the plan task is ${TaskState[planTaskState ?? 0]}.`);
    return { plan: approved, carePlans, crashed, planTaskState };
  } finally {
    for (const c of [first, second]) {
      if (c && c.exitCode === null && c.signalCode === null) {
        c.kill("SIGTERM");
        await exitOf(c);
      }
    }
  }
}

export const coordinatorKilled: Scenario<KilledResult> = {
  name: "coordinator-killed",
  title: "Coordinator killed mid-plan",
  agents: ["consent", "ehr", "optimizer", "verifier"],
  run: (ctx) => runKilled(ctx, DEFAULT_CRASH_STATE),
};
