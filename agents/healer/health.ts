import type { HealthStatus } from "../../protocol/index.js";
import {
  CLOSED,
  circuitAfterCall,
  circuitAt,
  DEFAULT_CIRCUIT_POLICY,
  type Circuit,
  type CircuitPolicy,
} from "./circuit.js";

/**
 * Health of every component from heartbeats and call outcomes, as a pure reducer plus an
 * evaluation at a given time: healthy, degraded, unhealthy or unknown, with the reason.
 */

export interface HealthPolicy {
  /** Expected heartbeat interval. @defaultValue 10_000 */
  heartbeatIntervalMs: number;
  /** Heartbeat later than this many intervals: degraded. @defaultValue 1.5 */
  lateAfterIntervals: number;
  /** Heartbeat missing for this many intervals: unhealthy. @defaultValue 3 */
  deadAfterIntervals: number;
  /** Calls remembered for rates and latency. @defaultValue 20 */
  window: number;
  /** @defaultValue 0.2 */
  degradedErrorRate: number;
  /** Mean latency above this is degraded. @defaultValue 2_000 */
  slowMs: number;
  /** This many failures in a row: unhealthy. @defaultValue 3 */
  unhealthyAfterFailures: number;
  circuit: CircuitPolicy;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = {
  heartbeatIntervalMs: 10_000,
  lateAfterIntervals: 1.5,
  deadAfterIntervals: 3,
  window: 20,
  degradedErrorRate: 0.2,
  slowMs: 2_000,
  unhealthyAfterFailures: 3,
  circuit: DEFAULT_CIRCUIT_POLICY,
};

export interface ComponentHealth {
  component: string;
  lastHeartbeat: number | null;
  lastCheck: number | null;
  calls: { at: number; ok: boolean; ms: number }[];
  consecutiveFailures: number;
  circuit: Circuit;
}

export type HealthBook = Readonly<Record<string, ComponentHealth>>;

export type HealthEvent =
  | { type: "heartbeat"; component: string; at: number }
  | { type: "call"; component: string; at: number; ok: boolean; ms: number }
  /** Forces the circuit (healer strategies circuit-open / circuit-close). */
  | { type: "circuit"; component: string; at: number; circuit: Circuit };

function empty(component: string): ComponentHealth {
  return { component, lastHeartbeat: null, lastCheck: null, calls: [], consecutiveFailures: 0, circuit: CLOSED };
}

export function reduceHealth(
  book: HealthBook,
  ev: HealthEvent,
  policy: HealthPolicy = DEFAULT_HEALTH_POLICY,
): HealthBook {
  const prev = book[ev.component] ?? empty(ev.component);
  let next: ComponentHealth;
  switch (ev.type) {
    case "heartbeat":
      next = {
        ...prev,
        lastHeartbeat: Math.max(prev.lastHeartbeat ?? ev.at, ev.at),
        lastCheck: Math.max(prev.lastCheck ?? ev.at, ev.at),
      };
      break;
    case "call":
      next = {
        ...prev,
        lastCheck: Math.max(prev.lastCheck ?? ev.at, ev.at),
        calls: [...prev.calls, { at: ev.at, ok: ev.ok, ms: ev.ms }].slice(-policy.window),
        consecutiveFailures: ev.ok ? 0 : prev.consecutiveFailures + 1,
        circuit: circuitAfterCall(prev.circuit, ev.ok, ev.at, policy.circuit),
      };
      break;
    case "circuit":
      next = { ...prev, circuit: ev.circuit };
      break;
  }
  return { ...book, [ev.component]: next };
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

export function evaluateHealth(
  c: ComponentHealth | undefined,
  component: string,
  now: number,
  policy: HealthPolicy = DEFAULT_HEALTH_POLICY,
): HealthStatus {
  const h = c ?? empty(component);
  const circuit = circuitAt(h.circuit, now, policy.circuit);
  const n = h.calls.length;
  const errorRate = n ? h.calls.filter((x) => !x.ok).length / n : null;
  const responseTimeMs = n ? Math.round(h.calls.reduce((s, x) => s + x.ms, 0) / n) : null;
  const base = {
    component,
    lastCheck: iso(h.lastCheck),
    lastHeartbeat: iso(h.lastHeartbeat),
    responseTimeMs,
    errorRate,
    consecutiveFailures: h.consecutiveFailures,
    circuit: circuit.state,
  };
  if (h.lastHeartbeat === null && n === 0) return { ...base, status: "unknown", reason: "never heard from" };
  const silentMs = h.lastHeartbeat === null ? null : now - h.lastHeartbeat;
  const interval = policy.heartbeatIntervalMs;
  if (silentMs !== null && silentMs > interval * policy.deadAfterIntervals)
    return { ...base, status: "unhealthy", reason: `no heartbeat for ${Math.round(silentMs / 1000)} s` };
  if (h.consecutiveFailures >= policy.unhealthyAfterFailures)
    return { ...base, status: "unhealthy", reason: `${h.consecutiveFailures} failed calls in a row` };
  if (circuit.state === "open") return { ...base, status: "unhealthy", reason: "circuit open" };
  if (silentMs !== null && silentMs > interval * policy.lateAfterIntervals)
    return { ...base, status: "degraded", reason: `heartbeat late by ${Math.round((silentMs - interval) / 1000)} s` };
  if (errorRate !== null && errorRate > policy.degradedErrorRate)
    return { ...base, status: "degraded", reason: `error rate ${Math.round(errorRate * 100)}%` };
  if (responseTimeMs !== null && responseTimeMs > policy.slowMs)
    return { ...base, status: "degraded", reason: `mean response ${responseTimeMs} ms` };
  if (circuit.state === "half-open") return { ...base, status: "degraded", reason: "circuit half-open (trial calls)" };
  return { ...base, status: "healthy", reason: "ok" };
}
