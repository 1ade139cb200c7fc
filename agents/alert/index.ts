import type { Logger } from "pino";
import { defineAgent, realClock, type AgentContext, type Clock } from "../../runtime/index.js";
import type { EscalationPolicy } from "./machine.js";
import { createRouter, natsHandler, webhookHandler, type AlertHandler, type RouteRule } from "./router.js";
import { AlertService, type PersistedAlerts } from "./service.js";
import { alertSkills } from "./skills.js";

/**
 * Alert agent: consumes alarms (topic `alarm`), EHR changes (`ehr-change`), verifier critical
 * findings (`critical-finding`), plan-ready events (`plan-ready`) and healer events (`system-alert`);
 * deduplicates, routes (webhooks, NATS topic `alert`), escalates unacknowledged high-priority alerts.
 */

export interface AlertAgentOptions {
  /** Webhook URLs by handler name, used in `routes`. */
  webhooks?: Record<string, string>;
  /** @defaultValue every alert to the NATS handler "bus"; webhooks at tier 0 for all, tier ≥ 1 nothing extra */
  routes?: RouteRule[];
  escalation?: Partial<EscalationPolicy>;
  dedupWindowMs?: number;
  /** Restores alerts persisted earlier instead of the agent's durable state (tests). */
  restore?: PersistedAlerts;
  /** Receives the persisted state after each change, besides the agent's durable state. */
  persist?: (state: PersistedAlerts) => void;
  clock?: Clock;
  logger?: Logger;
}

/** Topic types the alert agent listens to, each mapped to an AlertEvent `type`. */
export const ALERT_INPUT_TOPICS = {
  alarm: "alarm",
  "ehr-change": "ehr-change",
  "critical-finding": "critical-finding",
  "plan-ready": "plan-ready",
  "system-alert": "system",
  "security-incident": "security-incident",
} as const;

/** Key of the alerts (records + machine snapshots) in the agent's durable state. */
export const ALERTS_STATE_KEY = "alerts";

/**
 * Writes the latest snapshot to durable state, one write at a time: changes that arrive while a
 * write runs are folded into the next one, so a burst of duplicates costs two writes, not hundreds.
 */
function coalescingWriter(
  snapshot: () => PersistedAlerts | undefined,
  write: (v: PersistedAlerts) => Promise<void>,
  logger?: Logger,
) {
  let dirty = false;
  let running: Promise<void> | undefined;
  const loop = async () => {
    while (dirty) {
      dirty = false;
      const v = snapshot();
      if (v) await write(v).catch((err: unknown) => logger?.error({ err }, "alerts not persisted"));
    }
    running = undefined;
  };
  return {
    mark() {
      dirty = true;
      // Let the burst that marked it finish first (one macrotask), then snapshot once.
      running ??= new Promise<void>((r) => setImmediate(r)).then(loop);
    },
    async flush() {
      while (running) await running;
    },
  };
}

export function alertAgent(opts: AlertAgentOptions = {}) {
  let publish: (topicType: string, data: unknown) => Promise<void> = async () => {};
  const handlers: Record<string, AlertHandler> = { bus: natsHandler((t, d) => publish(t, d)) };
  for (const [name, url] of Object.entries(opts.webhooks ?? {})) handlers[name] = webhookHandler(url);
  const routes = opts.routes ?? [
    { handler: "bus" },
    ...Object.keys(opts.webhooks ?? {}).map((handler) => ({ handler })),
  ];
  let writer: ReturnType<typeof coalescingWriter> | undefined;
  const make = (restore: PersistedAlerts | undefined) =>
    new AlertService(
      {
        clock: opts.clock ?? realClock,
        route: createRouter(routes, handlers, opts.logger),
        escalation: opts.escalation,
        dedupWindowMs: opts.dedupWindowMs,
        logger: opts.logger,
        ...(opts.persist ? { onChange: opts.persist } : {}),
        onDirty: () => writer?.mark(),
      },
      restore,
    );
  // Skills may be called before start() has restored the state (the worker starts first): they wait for it.
  let resolveReady!: (s: AlertService) => void;
  let ready = new Promise<AlertService>((r) => (resolveReady = r));
  let service: AlertService | undefined;
  const get = (): Promise<AlertService> => (service ? Promise.resolve(service) : ready);

  return defineAgent({
    id: "alert",
    name: "Alert agent",
    description:
      "Clinical alerts from device alarms, EHR changes, verifier findings and plan events: deduplication, routing, CDS Hooks cards, acknowledgement and escalation.",
    version: "0.1.0",
    skills: alertSkills(get),
    start: async (ctx: AgentContext) => {
      publish = ctx.publish;
      const restored =
        opts.restore ??
        (await ctx.state.load<PersistedAlerts>(ALERTS_STATE_KEY).catch((err: unknown) => {
          ctx.logger.error({ err }, "persisted alerts not loaded; starting empty");
          return undefined;
        }));
      writer = coalescingWriter(
        () => service?.persist(),
        (v) => ctx.state.save(ALERTS_STATE_KEY, v),
        ctx.logger,
      );
      const svc = make(restored?.version === 1 ? restored : undefined);
      service = svc;
      resolveReady(svc);
      if (restored) ctx.logger.info({ alerts: restored.alerts.length }, "alerts restored; escalation deadlines resume");
      const unsubs = Object.entries(ALERT_INPUT_TOPICS).map(([topic, type]) =>
        ctx.subscribe(topic, "*", (data) => {
          try {
            svc.ingest(
              type === "alarm"
                ? { type, alarm: data }
                : type === "security-incident"
                  ? { type, incident: data }
                  : { type, ...(data as object) },
            );
          } catch (err) {
            ctx.logger.warn({ err, topic }, "alert event ignored");
          }
        }),
      );
      return {
        close: async () => {
          for (const u of unsubs) u();
          // Persist while the machines still run (a stopped actor's snapshot would restore stopped).
          await writer?.flush();
          await svc.close();
          service = undefined;
          ready = new Promise<AlertService>((r) => (resolveReady = r));
        },
      };
    },
  });
}

export { AlertService } from "./service.js";
export { createAlertMachine } from "./machine.js";
export { alertToCard } from "./cards.js";
