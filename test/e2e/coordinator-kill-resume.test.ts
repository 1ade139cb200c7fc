import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskState } from "@a2a-js/sdk";
import { getShortestPaths } from "xstate/graph";
import type { System } from "../../cli/system.js";
import { planMachine } from "../../agents/coordinator/index.js";
import { runKilled } from "../../examples/scenarios/f-coordinator-killed.js";
import { scenarioContext, systemForSuite } from "../support/system.js";

/** The states a plan passes through on its way to approval, generated from the machine's graph. */
function statesOnTheWayToApproval(): string[] {
  const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output });
  const events = [
    done("checkConsent", { permit: true, reason: "ok" }),
    done("fetchSummary", { sources: [] }),
    done("optimize", { plans: [{ feasible: true, plan: { items: [] } }] }),
    done("verify", { isValid: true, findings: [] }),
    { type: "APPROVE", by: "dr", at: "t" },
    done("writePlan", { carePlanRef: "CarePlan/1", medicationRequestRefs: [], provenanceRef: "Provenance/1" }),
    done("notify", undefined),
  ];
  const paths = getShortestPaths(planMachine, {
    events: events as never,
    input: {
      planId: "p",
      request: { patientId: "x", goals: { excludedDrugs: [], excludedClasses: [] }, maxRounds: 3 },
    },
  });
  const toApproved = paths.find((p) => p.state.value === "approved")!;
  return [...new Set([...toApproved.steps.map((s) => String(s.state.value)), "approved"])];
}

const STATES = statesOnTheWayToApproval();
// Patients with a clean path to approval, one per state so plans never share a patient.
const PATIENTS = [
  "pt-moderate-hla-dqa1-05",
  "pt-moderate-nudt15-im",
  "pt-antitnf-loss-of-response",
  "pt-hepatitis-b",
  "pt-severe-ileocolonic-perianal",
  "pt-ileal-upper-gi-stricturing",
  "pt-childhood-onset-a1",
  "pt-moderate-tpmt-poor",
  "pt-mild-colonic",
  "pt-upper-gi-l4",
];

let sys: System;
beforeAll(async () => {
  sys = await systemForSuite(["consent", "ehr", "optimizer", "verifier"]);
}, 120_000);
afterAll(async () => sys?.close());

describe("coordinator killed at every state of the plan machine", () => {
  it("covers the machine's states (generated, not listed by hand)", () => {
    expect(STATES).toEqual(
      expect.arrayContaining([
        "consent",
        "summary",
        "optimize",
        "verify",
        "awaitingApproval",
        "writing",
        "notifying",
        "approved",
      ]),
    );
  });

  it.each(STATES.map((s, i) => [s, PATIENTS[i]] as const))(
    "resumes after a SIGKILL in %s and completes once (%s)",
    async (state, patient) => {
      const r = await runKilled(scenarioContext(sys), state, patient);
      expect(r.crashed).toBe(true);
      expect(r.plan.status).toBe("approved");
      expect(r.carePlans).toHaveLength(1);
      expect(r.planTaskState).toBe(TaskState.TASK_STATE_COMPLETED);
    },
    90_000,
  );
});
