import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { System } from "../../cli/system.js";
import { AssembledPlanSchema } from "../../protocol/clinical/coordinator.js";
import { CLINICIAN } from "../../examples/scenarios/support.js";
import { systemForSuite } from "../support/system.js";
import { readdirSync } from "node:fs";
import { REPO } from "../support/spawn.js";

let sys: System;
beforeAll(async () => {
  sys = await systemForSuite(["consent", "ehr", "optimizer", "verifier", "coordinator"]);
}, 120_000);
afterAll(async () => sys?.close());

describe("concurrent plans", () => {
  it("runs 20 plans for different patients at once without mixing their data", async () => {
    const patients = readdirSync(`${REPO}/examples/patients`)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.replace(/\.json$/, ""))
      .slice(0, 20);
    expect(patients).toHaveLength(20);
    const results = await Promise.all(
      patients.map(async (patientId) => {
        const r = await sys.host.client.callForTask(
          "coordinator",
          "plan_treatment",
          {
            patientId,
            requester: CLINICIAN,
            goals: { excludedDrugs: [], excludedClasses: [], optimizer: { seed: 7 } },
          },
          { principal: CLINICIAN, timeoutMs: 240_000 },
        );
        return { patientId, task: r.task, out: r.output };
      }),
    );
    for (const { patientId, task, out } of results) {
      const state = task.status.state;
      expect(["TASK_STATE_INPUT_REQUIRED", "TASK_STATE_FAILED"], `${patientId}: ${state}`).toContain(state);
      if (state !== "TASK_STATE_INPUT_REQUIRED") continue;
      const plan = AssembledPlanSchema.parse(out);
      expect(plan.patientId).toBe(patientId);
      expect(plan.plan?.patientId).toBe(patientId);
      // Every FHIR resource the plan was built from belongs to this patient.
      for (const ref of plan.provenance.fhirResources) expect(ref, `${patientId} read ${ref}`).toContain(patientId);
      // And no other plan's task shows up in its provenance.
      const others = results.filter((x) => x.patientId !== patientId).map((x) => x.task.id);
      for (const t of plan.provenance.referenceTaskIds) expect(others).not.toContain(t);
      // Every call in order: quick skills answered with a Message, the optimizer's run as a task.
      const calls = plan.provenance.calls;
      expect(calls.slice(0, 2).map((c) => `${c.agent}.${c.skill}`)).toEqual([
        "consent.check_access",
        "ehr.get_patient_summary",
      ]);
      for (const c of calls) {
        if (c.skill === "optimize_treatment") expect(plan.provenance.referenceTaskIds).toContain(c.taskId);
        else expect(c.messageId, `${c.agent}.${c.skill}`).toMatch(/^[0-9a-f-]{36}$/);
      }
      expect(calls.filter((c) => c.skill === "verify_plan")).toHaveLength(plan.provenance.optimizer!.rounds);
    }
    // No two plans share an answer.
    const answers = results.flatMap((r) =>
      r.task.status.state === "TASK_STATE_INPUT_REQUIRED"
        ? AssembledPlanSchema.parse(r.out).provenance.calls.map((c) => c.messageId ?? c.taskId)
        : [],
    );
    expect(new Set(answers).size).toBe(answers.length);
    expect(results.filter((r) => r.task.status.state === "TASK_STATE_INPUT_REQUIRED").length).toBeGreaterThanOrEqual(
      18,
    );
  }, 300_000);
});
