import type { Logger } from "pino";
import type { AgentDef } from "../runtime/index.js";

/** What agent factories get from the composition root. */
export interface AgentEnv {
  fhirBaseUrl: string;
  fhirToken?: string;
  referenceDir: string;
  optimizerImpl?: "native" | "ts";
  logger: Logger;
}

export type AgentFactory = (env: AgentEnv) => AgentDef;

/** Every agent the runtime knows, in start order (dependencies first). */
export const AGENT_FACTORIES: ReadonlyMap<string, AgentFactory> = new Map<string, AgentFactory>([]);

export const AGENT_IDS = [...AGENT_FACTORIES.keys()];

/** Agents that must run for `ids` to work (consent before EHR, and so on). */
export const AGENT_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  ehr: ["consent"],
  coordinator: ["consent", "ehr", "optimizer", "verifier", "alert"],
  device: ["ehr"],
  alert: [],
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
