import { spawn } from "node:child_process";
import { resolve } from "node:path";
import type { Logger } from "pino";
import { healerAgent, type HealerAgentOptions } from "../agents/healer/index.js";
import {
  createSupervisor,
  startAgent,
  startEmbeddedNats,
  type EmbeddedNats,
  type RestartPolicy,
  type RunningAgent,
  type SpawnFn,
  type Supervisor,
} from "../runtime/index.js";
import { REPO_ROOT } from "./config.js";
import { startEmbeddedFhir } from "./fhir.js";

/**
 * `hms up` (without `--in-process`): every agent runs as its own child process (`node bin/hms.mjs agent <id>`
 * with NATS_URL and FHIR_BASE_URL) under an OTP-style supervisor, and the healer agent runs in this
 * process beside the supervisor: it journals each restart (from detection to the new process's first
 * heartbeat), restarts hung agents, and raises an alert when the supervisor gives up on one.
 */

export interface SupervisedOptions {
  /** Agents to run as child processes (the healer is not one of them: it runs here). */
  agents: readonly string[];
  /** A running NATS; when absent an embedded nats-server is started (and stopped on close). */
  natsUrl?: string;
  /** FHIR base URL passed to the children; when absent the embedded FHIR server is started. */
  fhirBaseUrl?: string;
  fhirToken?: string;
  tenant?: string;
  /** nats-server binary for the embedded server (NATS_SERVER). @defaultValue PATH, then /usr/sbin */
  natsServerBinary?: string;
  /** Credentials of the NATS at `natsUrl`, for the in-process healer (the children read NATS_USER/NATS_PASS/NATS_TOKEN from the environment). */
  natsAuth?: { user?: string; pass?: string; token?: string };
  logger: Logger;
  /** How to run one agent. @defaultValue `node bin/hms.mjs agent <id>` */
  command?: (id: string) => { command: string; args: string[] };
  /** Extra environment for the children (merged over process.env). */
  env?: NodeJS.ProcessEnv;
  /** Children's stderr (their logs): inherited or dropped. @defaultValue "inherit" */
  childStderr?: "inherit" | "ignore";
  /** @defaultValue DEFAULT_RESTART_POLICY of runtime/supervisor */
  policy?: Partial<RestartPolicy>;
  /** Options of the in-process healer (health policy, auto-heal period, probes). */
  healer?: Omit<HealerAgentOptions, "supervisor" | "logger">;
  /** Heartbeat period of the in-process healer. */
  heartbeatMs?: number;
}

export interface Supervised {
  natsUrl: string;
  fhirBaseUrl: string;
  supervisor: Supervisor;
  healer: RunningAgent;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function defaultAgentCommand(id: string): { command: string; args: string[] } {
  return { command: process.execPath, args: [resolve(REPO_ROOT, "bin", "hms.mjs"), "agent", id] };
}

export async function startSupervised(opts: SupervisedOptions): Promise<Supervised> {
  const log = opts.logger.child({ component: "supervise" });
  let nats: EmbeddedNats | undefined;
  let fhir: { baseUrl: string; close(): Promise<void> } | undefined;
  let supervisor: Supervisor | undefined;
  let healer: RunningAgent | undefined;
  const close = async () => {
    await supervisor?.close().catch((err: unknown) => log.warn({ err }, "supervisor did not close cleanly"));
    await healer?.close().catch((err: unknown) => log.warn({ err }, "healer did not close cleanly"));
    await fhir?.close().catch(() => undefined);
    await nats?.close().catch(() => undefined);
  };
  try {
    nats = opts.natsUrl
      ? undefined
      : await startEmbeddedNats({
          logger: opts.logger,
          ...(opts.natsServerBinary ? { binary: opts.natsServerBinary } : {}),
        });
    const natsUrl = opts.natsUrl ?? nats!.url;
    if (!opts.fhirBaseUrl) fhir = await startEmbeddedFhir(opts.logger);
    const fhirBaseUrl = opts.fhirBaseUrl ?? fhir!.baseUrl;
    const stderr = opts.childStderr ?? "inherit";
    // An IPC channel: a child whose parent dies (even by SIGKILL) sees it close and exits.
    const spawnFn: SpawnFn = (command, args, o) =>
      spawn(command, args, { ...o, stdio: ["ignore", "ignore", stderr, "ipc"] });
    supervisor = createSupervisor({
      spawn: spawnFn,
      policy: opts.policy,
      logger: opts.logger.child({ component: "supervisor" }),
    });
    const def = healerAgent({
      ...opts.healer,
      fhirProbe: opts.healer?.fhirProbe ?? {
        baseUrl: fhirBaseUrl,
        ...(opts.fhirToken ? { token: opts.fhirToken } : {}),
      },
      supervisor,
      logger: opts.logger.child({ agentId: "healer" }),
    });
    // The healer first, so it hears the children's first heartbeats and every supervisor event.
    healer = await startAgent(def, {
      natsUrl,
      ...(opts.natsAuth ? { natsAuth: opts.natsAuth } : {}),
      tenant: opts.tenant,
      logger: opts.logger,
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
    });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NATS_URL: natsUrl,
      FHIR_BASE_URL: fhirBaseUrl,
      ...(opts.fhirToken ? { FHIR_TOKEN: opts.fhirToken } : {}),
      ...(opts.tenant ? { HMS_TENANT: opts.tenant } : {}),
      LOG_FORMAT: process.env.LOG_FORMAT ?? "json",
      ...opts.env,
    };
    const cmd = opts.command ?? defaultAgentCommand;
    for (const id of opts.agents) {
      if (id === "healer") continue;
      const { command, args } = cmd(id);
      supervisor.start({ id, command, args, cwd: REPO_ROOT, env });
    }
    log.info({ agents: opts.agents, natsUrl, fhirBaseUrl }, "agents started under supervision");
    let closing: Promise<void> | undefined;
    const once = () => (closing ??= close());
    return { natsUrl, fhirBaseUrl, supervisor, healer, close: once, [Symbol.asyncDispose]: once };
  } catch (err) {
    await close();
    throw err;
  }
}
