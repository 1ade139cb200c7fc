import type { Logger } from "pino";
import {
  defineAgent,
  DEFAULT_HEARTBEAT_MS,
  realClock,
  type AgentContext,
  type Clock,
  type RestartPolicy,
  type Supervisor,
} from "../../runtime/index.js";
import type { HealthPolicy } from "./health.js";
import { Healer } from "./service.js";
import { healerSkills } from "./skills.js";

/**
 * Healer agent: listens to heartbeats (topic `heartbeat`) and call outcomes (topic `call-outcome`),
 * heals unhealthy components on a timer, and raises alerts on topic `system-alert` when it gives up.
 */

export interface HealerAgentOptions {
  /** Restarts agents through this supervisor (`forceRestart`); its gave-up events are journaled and alerted. */
  supervisor?: Supervisor;
  failover?: (component: string) => Promise<unknown>;
  /** How often unhealthy components are healed automatically; 0 disables. @defaultValue DEFAULT_AUTO_HEAL_MS */
  autoHealMs?: number;
  health?: Partial<HealthPolicy>;
  restartPolicy?: Partial<RestartPolicy>;
  /** Probes a FHIR server (GET <base>/metadata) and records the outcome as component "fhir". */
  fhirProbe?: { baseUrl: string; token?: string; intervalMs?: number; timeoutMs?: number };
  clock?: Clock;
  logger?: Logger;
}

export const DEFAULT_AUTO_HEAL_MS = 10_000;
export const DEFAULT_FHIR_PROBE_MS = 5_000;
/** The component name under which the healer records the bus itself (any heartbeat delivered proves it). */
export const NATS_COMPONENT = "nats";

export function healerAgent(opts: HealerAgentOptions = {}) {
  let publish: (topicType: string, data: unknown) => Promise<void> = async () => {};
  const sup = opts.supervisor;
  const healer = new Healer({
    clock: opts.clock ?? realClock,
    ...(sup
      ? {
          restart: (c: string) => sup.forceRestart(c),
          restartable: (c: string) => {
            const st = sup.status(c)?.state;
            return st === "running" || st === "exited" || st === "stopped";
          },
        }
      : {}),
    ...(opts.failover ? { failover: opts.failover } : {}),
    raiseAlert: (e) => publish("system-alert", e),
    health: { heartbeatIntervalMs: DEFAULT_HEARTBEAT_MS, ...opts.health },
    restartPolicy: opts.restartPolicy,
    logger: opts.logger,
  });

  return defineAgent({
    id: "healer",
    name: "Healer agent",
    description:
      "Health of every agent from heartbeats and calls; self-healing by restart (OTP-style limits and back-off), failover and circuit breaking; a journal of healing actions.",
    version: "0.1.0",
    skills: healerSkills(() => healer),
    start: async (ctx: AgentContext) => {
      publish = ctx.publish;
      const unsubs = [
        ctx.subscribe("heartbeat", "*", (data, meta) => {
          const pid = (data as { pid?: unknown } | null)?.pid;
          const now = (opts.clock ?? realClock).now();
          healer.recordHeartbeat(meta.source, now, typeof pid === "number" ? pid : undefined);
          healer.recordHeartbeat(NATS_COMPONENT, now);
        }),
        ctx.subscribe("call-outcome", "*", (data) => {
          const d = data as { component?: unknown; ok?: unknown; ms?: unknown };
          if (typeof d.component === "string" && typeof d.ok === "boolean")
            healer.recordCall(d.component, d.ok, typeof d.ms === "number" ? d.ms : 0);
        }),
      ];
      const offSup = sup?.on((e) => void healer.onSupervisorEvent(e));
      const period = opts.autoHealMs ?? DEFAULT_AUTO_HEAL_MS;
      const timer =
        period > 0
          ? setInterval(() => {
              healer.healUnhealthy().catch((err: unknown) => ctx.logger.error({ err }, "auto-heal failed"));
            }, period)
          : undefined;
      timer?.unref();
      const probe = opts.fhirProbe;
      const probeTimer = probe
        ? setInterval(
            () => void probeFhir(probe, ctx.signal).then((o) => healer.recordCall("fhir", o.ok, o.ms)),
            probe.intervalMs ?? DEFAULT_FHIR_PROBE_MS,
          )
        : undefined;
      probeTimer?.unref();
      return {
        close: async () => {
          if (timer) clearInterval(timer);
          if (probeTimer) clearInterval(probeTimer);
          offSup?.();
          for (const u of unsubs) u();
        },
      };
    },
  });
}

/** One GET <base>/metadata; ok when the server answers 2xx in time. */
export async function probeFhir(
  p: { baseUrl: string; token?: string; timeoutMs?: number },
  signal?: AbortSignal,
): Promise<{ ok: boolean; ms: number }> {
  const t0 = performance.now();
  try {
    const timeout = AbortSignal.timeout(p.timeoutMs ?? 2_000);
    const res = await fetch(`${p.baseUrl.replace(/\/$/, "")}/metadata`, {
      headers: { accept: "application/fhir+json", ...(p.token ? { authorization: `Bearer ${p.token}` } : {}) },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    await res.arrayBuffer();
    return { ok: res.ok, ms: Math.round(performance.now() - t0) };
  } catch {
    return { ok: false, ms: Math.round(performance.now() - t0) };
  }
}

export { Healer } from "./service.js";
export { evaluateHealth, reduceHealth } from "./health.js";
