import type { Logger } from "pino";
import { startEmbeddedNats, type EmbeddedNats } from "../embedded/nats-server.js";
import { connectBus, type Bus } from "../bus/connect.js";
import { BusClient } from "../client/bus-client.js";
import type { AgentDef } from "./define.js";
import { DEFAULT_TENANT, startAgent, type RunningAgent, type StartAgentOptions } from "./agent-host.js";

export interface HostOptions {
  agents: readonly AgentDef[];
  /** A running NATS; when absent an embedded nats-server is started (and stopped on close). */
  natsUrl?: string;
  natsServerBinary?: string;
  natsAuth?: { user?: string; pass?: string; token?: string };
  tenant?: string;
  logger: Logger;
  agentOptions?: Partial<Pick<StartAgentOptions, "ackWaitMs" | "heartbeatMs" | "concurrency">>;
}

export interface Host {
  natsUrl: string;
  tenant: string;
  embedded?: EmbeddedNats;
  agents: RunningAgent[];
  /** A connection of the host's own, for callers (CLI, MCP, gateway). */
  bus: Bus;
  client: BusClient;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Runs agents in this process, each with its own NATS connection, on the given NATS or on an
 * embedded one. close() tears down in reverse: agents, the host's connection, the embedded server.
 */
export async function startHost(opts: HostOptions): Promise<Host> {
  const tenant = opts.tenant ?? DEFAULT_TENANT;
  const embedded = opts.natsUrl
    ? undefined
    : await startEmbeddedNats({ binary: opts.natsServerBinary, logger: opts.logger });
  const natsUrl = opts.natsUrl ?? embedded!.url;
  const agents: RunningAgent[] = [];
  let bus: Bus | undefined;
  const close = async () => {
    for (const a of agents.reverse())
      await a.close().catch((err: unknown) => opts.logger.warn({ err, agentId: a.id }, "agent close failed"));
    await bus?.close().catch(() => undefined);
    await embedded?.close();
  };
  try {
    bus = await connectBus({ url: natsUrl, name: "hms-host", logger: opts.logger, ...opts.natsAuth });
    for (const def of opts.agents)
      agents.push(
        await startAgent(def, { natsUrl, natsAuth: opts.natsAuth, tenant, logger: opts.logger, ...opts.agentOptions }),
      );
  } catch (err) {
    await close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const once = () => (closing ??= close());
  return {
    natsUrl,
    tenant,
    embedded,
    agents,
    bus,
    client: new BusClient(bus.nc, bus.kv.cards, tenant),
    close: once,
    [Symbol.asyncDispose]: once,
  };
}
