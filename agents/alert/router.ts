import type { Logger } from "pino";
import type { AlarmPriority, Alert, AlertCategory } from "../../protocol/index.js";
import { postWebhook, type WebhookOptions } from "./webhook.js";

/**
 * Routing of alerts to handlers: each rule matches on priority, category and escalation tier and
 * names a handler. Handlers are functions; this file makes the two built-in kinds (HTTP webhook
 * with retries, NATS topic through an injected publish). CDS Hooks cards are pulled, not pushed
 * (alert_get_cards). A failing handler is logged and reported; it never blocks the others.
 */

export type RouteReason = "new" | "escalated";
export type AlertHandler = (alert: Alert, reason: RouteReason) => Promise<void>;

export interface RouteRule {
  handler: string;
  priorities?: AlarmPriority[];
  categories?: AlertCategory[];
  /** Only at this escalation tier (0 = first notification). Omitted: every tier. */
  tier?: number;
}

export interface RouteOutcome {
  handler: string;
  ok: boolean;
  error?: string;
}

export type Router = (alert: Alert, reason: RouteReason) => Promise<RouteOutcome[]>;

export function createRouter(
  rules: readonly RouteRule[],
  handlers: Record<string, AlertHandler>,
  logger?: Logger,
): Router {
  const routes = rules.map((r) => {
    const run = handlers[r.handler];
    if (!run) throw new RangeError(`route names unknown handler "${r.handler}"`);
    return { ...r, run };
  });
  return async (alert, reason) => {
    const matching = routes.filter(
      (r) =>
        (!r.priorities || r.priorities.includes(alert.priority)) &&
        (!r.categories || r.categories.includes(alert.category)) &&
        (r.tier === undefined || r.tier === alert.tier),
    );
    const chosen = new Map(matching.map((r) => [r.handler, r.run])); // each handler once, first match's order
    return Promise.all(
      [...chosen].map(async ([handler, run]): Promise<RouteOutcome> => {
        try {
          await run(alert, reason);
          return { handler, ok: true };
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          logger?.warn({ err, handler, alertId: alert.alertId }, "alert handler failed");
          return { handler, ok: false, error };
        }
      }),
    );
  };
}

export function webhookHandler(url: string, opts: WebhookOptions = {}): AlertHandler {
  return async (alert, reason) => {
    await postWebhook(url, { reason, alert }, opts);
  };
}

/** Publishes `{ reason, alert }` on a topic type (one [a-z0-9-] token; default "alert", patient in the payload). */
export function natsHandler(
  publish: (topicType: string, data: unknown) => Promise<void>,
  topic: (alert: Alert) => string = () => "alert",
): AlertHandler {
  return async (alert, reason) => {
    await publish(topic(alert), { reason, alert });
  };
}
