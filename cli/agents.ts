import type { Logger } from "pino";
import type { AgentDef } from "../runtime/index.js";
import { consentAgent } from "../agents/consent/index.js";
import { coordinatorAgent } from "../agents/coordinator/index.js";
import { ehrAgent } from "../agents/ehr/index.js";
import { optimizerAgent } from "../agents/optimizer/index.js";
import { verifierAgent } from "../agents/verifier/index.js";
import { deviceAgent } from "../agents/device/index.js";
import { alertAgent } from "../agents/alert/index.js";
import { healerAgent } from "../agents/healer/index.js";

/** What agent factories get from the composition root. */
export interface AgentEnv {
  fhirBaseUrl: string;
  fhirToken?: string;
  referenceDir: string;
  optimizerImpl?: "native" | "ts";
  logger: Logger;
  /** MLLP port of the device agent (0 = a free port, saved in the agent's state for the simulator). */
  mllpPort?: number;
  /** Fault injection for kill-and-resume tests (HMS_FAULT_CRASH_AT): the coordinator kills itself on entering this state. */
  crashAt?: string;
}

export type AgentFactory = (env: AgentEnv) => AgentDef;

/** Every agent the runtime knows, in start order (dependencies first). */
export const AGENT_FACTORIES: ReadonlyMap<string, AgentFactory> = new Map<string, AgentFactory>([
  ["consent", (env) => consentAgent({ fhirBaseUrl: env.fhirBaseUrl, fhirBearerToken: env.fhirToken, referenceDir: env.referenceDir, logger: env.logger })],
  ["ehr", (env) => ehrAgent({ fhirBaseUrl: env.fhirBaseUrl, fhirBearerToken: env.fhirToken, referenceDir: env.referenceDir, logger: env.logger })],
  ["optimizer", (env) => optimizerAgent({ impl: env.optimizerImpl, referenceDir: env.referenceDir, logger: env.logger })],
  ["verifier", (env) => verifierAgent({ impl: env.optimizerImpl, referenceDir: env.referenceDir, logger: env.logger })],
  ["alert", (env) => alertAgent({ logger: env.logger })],
  ["coordinator", (env) => coordinatorAgent({ crashAt: env.crashAt })],
  ["device", (env) => deviceAgent({ fhirBaseUrl: env.fhirBaseUrl, fhirToken: env.fhirToken, referenceDir: env.referenceDir, logger: env.logger, mllp: { port: env.mllpPort ?? 0 } })],
  ["healer", (env) => healerAgent({ logger: env.logger, fhirProbe: { baseUrl: env.fhirBaseUrl, token: env.fhirToken } })],
]);

export const AGENT_IDS = [...AGENT_FACTORIES.keys()];

/** Agents that must run for `ids` to work (consent before EHR, and so on). */
export const AGENT_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  ehr: ["consent"],
  coordinator: ["consent", "ehr", "optimizer", "verifier", "alert"],
  device: ["alert"],
};

export function withDependencies(ids: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (id: string) => {
    if (out.includes(id)) return;
    for (const dep of AGENT_DEPENDENCIES[id] ?? []) if (AGENT_FACTORIES.has(dep)) visit(dep);
    out.push(id);
  };
  ids.forEach(visit);
  return AGENT_IDS.filter((id) => out.includes(id));
}
