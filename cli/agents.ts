import type { Logger } from "pino";
import type { AgentDef } from "../runtime/index.js";

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

/** Builds an agent; each factory imports its agent's module only when called, so a process that runs one agent loads only that one. */
export type AgentFactory = (env: AgentEnv) => Promise<AgentDef>;

/** Every agent the runtime knows, in start order (dependencies first). */
export const AGENT_FACTORIES: ReadonlyMap<string, AgentFactory> = new Map<string, AgentFactory>([
  [
    "consent",
    async (env) =>
      (await import("../agents/consent/index.js")).consentAgent({
        fhirBaseUrl: env.fhirBaseUrl,
        fhirBearerToken: env.fhirToken,
        referenceDir: env.referenceDir,
        logger: env.logger,
      }),
  ],
  [
    "ehr",
    async (env) =>
      (await import("../agents/ehr/index.js")).ehrAgent({
        fhirBaseUrl: env.fhirBaseUrl,
        fhirBearerToken: env.fhirToken,
        referenceDir: env.referenceDir,
        logger: env.logger,
      }),
  ],
  [
    "optimizer",
    async (env) =>
      (await import("../agents/optimizer/index.js")).optimizerAgent({
        impl: env.optimizerImpl,
        referenceDir: env.referenceDir,
        logger: env.logger,
      }),
  ],
  [
    "verifier",
    async (env) =>
      (await import("../agents/verifier/index.js")).verifierAgent({
        impl: env.optimizerImpl,
        referenceDir: env.referenceDir,
        logger: env.logger,
      }),
  ],
  ["alert", async (env) => (await import("../agents/alert/index.js")).alertAgent({ logger: env.logger })],
  [
    "coordinator",
    async (env) => (await import("../agents/coordinator/index.js")).coordinatorAgent({ crashAt: env.crashAt }),
  ],
  [
    "device",
    async (env) =>
      (await import("../agents/device/index.js")).deviceAgent({
        fhirBaseUrl: env.fhirBaseUrl,
        fhirToken: env.fhirToken,
        referenceDir: env.referenceDir,
        logger: env.logger,
        mllp: { port: env.mllpPort ?? 0 },
      }),
  ],
  [
    "healer",
    async (env) =>
      (await import("../agents/healer/index.js")).healerAgent({
        logger: env.logger,
        fhirProbe: { baseUrl: env.fhirBaseUrl, token: env.fhirToken },
      }),
  ],
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
