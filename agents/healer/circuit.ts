import type { CircuitState } from "../../protocol/index.js";

/**
 * A circuit breaker as pure functions over a small state: closed → open after `failureThreshold`
 * consecutive failures; open → half-open once `resetTimeoutMs` has passed; half-open → closed on
 * a success, back to open on a failure.
 */

export interface CircuitPolicy {
  /** @defaultValue 5 */
  failureThreshold: number;
  /** @defaultValue 30_000 */
  resetTimeoutMs: number;
}

export const DEFAULT_CIRCUIT_POLICY: CircuitPolicy = { failureThreshold: 5, resetTimeoutMs: 30_000 };

export interface Circuit {
  state: CircuitState;
  consecutiveFailures: number;
  openedAt: number | null;
}

export const CLOSED: Circuit = { state: "closed", consecutiveFailures: 0, openedAt: null };

/** The circuit as seen at `now` (an open circuit past its timeout reads as half-open). */
export function circuitAt(c: Circuit, now: number, policy: CircuitPolicy): Circuit {
  if (c.state === "open" && c.openedAt !== null && now - c.openedAt >= policy.resetTimeoutMs)
    return { ...c, state: "half-open" };
  return c;
}

/** Whether a call may go through at `now` (half-open lets a trial call through). */
export function circuitAllows(c: Circuit, now: number, policy: CircuitPolicy): boolean {
  return circuitAt(c, now, policy).state !== "open";
}

export function circuitAfterCall(c: Circuit, ok: boolean, now: number, policy: CircuitPolicy): Circuit {
  const cur = circuitAt(c, now, policy);
  if (ok) return cur.state === "open" ? cur : CLOSED;
  if (cur.state === "half-open")
    return { state: "open", consecutiveFailures: cur.consecutiveFailures + 1, openedAt: now };
  if (cur.state === "open") return { ...cur, consecutiveFailures: cur.consecutiveFailures + 1 };
  const failures = cur.consecutiveFailures + 1;
  return failures >= policy.failureThreshold
    ? { state: "open", consecutiveFailures: failures, openedAt: now }
    : { ...cur, consecutiveFailures: failures };
}

export function openCircuit(c: Circuit, now: number): Circuit {
  return { ...c, state: "open", openedAt: now };
}
