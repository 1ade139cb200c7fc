import { readConfig } from "../../cli/config.js";
import { startSystem, type System } from "../../cli/system.js";
import type { ScenarioContext } from "../../examples/scenarios/index.js";
import { quietLogger } from "./nats.js";

/** The whole system on the embedded defaults (own nats-server and FHIR server), as `hms up` runs it. */
export async function systemForSuite(agents: string[] = []): Promise<System> {
  return startSystem(readConfig({ LOG_LEVEL: "silent", HMS_ACK_WAIT_MS: "1500" }), quietLogger, agents);
}

export function scenarioContext(sys: System, lines: string[] = []): ScenarioContext {
  return { sys, seed: 42, story: (l) => void lines.push(l) };
}
