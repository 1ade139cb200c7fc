import { defineAgent } from "../../runtime/index.js";
import { coordinatorSkills } from "./skills.js";
import type { RunnerOptions } from "./runner.js";

export { planMachine, STEP_LABELS, blockedDrugs } from "./machine.js";
export { viewOf } from "./runner.js";

/**
 * Coordinator agent: assembles a treatment plan from the other agents' outputs as a durable
 * XState machine per request (design.md §5), and finishes it on the clinician's decision.
 */
export function coordinatorAgent(opts: RunnerOptions = {}) {
  return defineAgent({
    id: "coordinator",
    name: "Coordinator agent",
    description:
      "Assembles consent-checked, verified Crohn's treatment plans for clinician review, and writes approved plans to the EHR.",
    version: "0.1.0",
    skills: coordinatorSkills(opts),
  });
}
