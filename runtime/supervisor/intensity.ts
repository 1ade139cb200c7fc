/**
 * OTP-style restart intensity (Erlang `supervisor`: at most `intensity` restarts within `period`
 * seconds, else the supervisor gives up) with exponential back-off between restarts. Pure: the
 * caller passes the restart history and the time.
 */

export interface RestartPolicy {
  /** Max restarts within the period (OTP `intensity`). @defaultValue DEFAULT_RESTART_POLICY.maxRestarts */
  maxRestarts: number;
  /** Sliding window in ms (OTP `period`, in seconds there). */
  periodMs: number;
  /** Delay before the first restart in a window. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Growth per restart already in the window. @defaultValue 2 */
  factor: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxRestarts: 3,
  periodMs: 5_000,
  initialBackoffMs: 100,
  maxBackoffMs: 10_000,
  factor: 2,
};

export type RestartDecision =
  { action: "restart"; delayMs: number; attempt: number } | { action: "give-up"; restartsInPeriod: number };

/** Restart times still inside the window ending at `now`. */
export function recentRestarts(
  history: readonly number[],
  now: number,
  policy: Pick<RestartPolicy, "periodMs">,
): number[] {
  return history.filter((t) => now - t < policy.periodMs);
}

/**
 * Decides what to do after a failure at `now`, given earlier restart times. Gives up when one
 * more restart would exceed `maxRestarts` within `periodMs`.
 */
export function decideRestart(history: readonly number[], now: number, policy: RestartPolicy): RestartDecision {
  const recent = recentRestarts(history, now, policy);
  if (recent.length >= policy.maxRestarts) return { action: "give-up", restartsInPeriod: recent.length };
  const attempt = recent.length + 1;
  const delayMs = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.factor ** recent.length);
  return { action: "restart", delayMs, attempt };
}
