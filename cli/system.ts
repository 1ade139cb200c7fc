import type { Logger } from "pino";
import { HmsError } from "../protocol/index.js";
import { startHost, type AgentDef, type Host } from "../runtime/index.js";
import { AGENT_FACTORIES, AGENT_IDS, withDependencies, type AgentEnv } from "./agents.js";
import type { Config } from "./config.js";
import { startEmbeddedFhir } from "./fhir.js";

export interface System {
  host: Host;
  fhirBaseUrl: string;
  embeddedFhir: boolean;
  defs: AgentDef[];
  close(): Promise<void>;
}

const unknownAgent = (id: string) =>
  new HmsError("INVALID_INPUT", `unknown agent ${id}; known agents: ${AGENT_IDS.join(", ")}`);

/** Builds the definition of one agent. An unknown id is INVALID_INPUT. */
export async function agentDef(id: string, env: AgentEnv): Promise<AgentDef> {
  const make = AGENT_FACTORIES.get(id);
  if (!make) throw unknownAgent(id);
  return make(env);
}

/** Builds the agent definitions for the given ids (all when empty). Unknown ids are INVALID_INPUT. */
export async function agentDefs(ids: readonly string[], env: AgentEnv): Promise<AgentDef[]> {
  for (const id of ids) if (!AGENT_FACTORIES.has(id)) throw unknownAgent(id); // before building any
  return Promise.all((ids.length ? ids : AGENT_IDS).map((id) => agentDef(id, env)));
}

/**
 * Starts what a command needs on the embedded defaults: nats-server when NATS_URL is unset, the FHIR
 * server when FHIR_BASE_URL is unset, and the agents (with the agents they depend on) in-process.
 */
export async function startSystem(cfg: Config, logger: Logger, ids: readonly string[] = []): Promise<System> {
  const fhir = cfg.FHIR_BASE_URL ? undefined : await startEmbeddedFhir(logger);
  const fhirBaseUrl = cfg.FHIR_BASE_URL ?? fhir!.baseUrl;
  const env: AgentEnv = {
    fhirBaseUrl,
    fhirToken: cfg.FHIR_TOKEN,
    referenceDir: cfg.HMS_REFERENCE_DIR,
    optimizerImpl: cfg.OPTIMIZER_IMPL,
    logger,
    crashAt: cfg.HMS_FAULT_CRASH_AT,
  };
  try {
    const defs = await agentDefs(ids.length ? withDependencies(ids) : [], env);
    const host = await startHost({
      agents: defs,
      natsUrl: cfg.NATS_URL,
      natsServerBinary: cfg.NATS_SERVER,
      natsAuth: { user: cfg.NATS_USER, pass: cfg.NATS_PASS, token: cfg.NATS_TOKEN },
      tenant: cfg.HMS_TENANT,
      logger,
      agentOptions: { ackWaitMs: cfg.HMS_ACK_WAIT_MS },
    });
    let closing: Promise<void> | undefined;
    return {
      host,
      fhirBaseUrl,
      embeddedFhir: !!fhir,
      defs,
      close: () =>
        (closing ??= (async () => {
          await host.close();
          await fhir?.close();
        })()),
    };
  } catch (err) {
    await fhir?.close();
    throw err;
  }
}
