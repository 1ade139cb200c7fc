/**
 * Process supervision with OTP-style restart intensity and exponential back-off.
 * @example
 * ```ts
 * await using sup = createSupervisor({ policy: { maxRestarts: 3, periodMs: 5_000 } });
 * sup.on((e) => e.type === "gave-up" && raiseAlert(e.id));
 * sup.start({ id: "ehr", command: process.execPath, args: ["bin/hms.mjs", "agent", "ehr"] });
 * ```
 */
export { decideRestart, recentRestarts, DEFAULT_RESTART_POLICY } from "./intensity.js";
export type { RestartDecision, RestartPolicy } from "./intensity.js";
export { createSupervisor, Supervisor } from "./supervisor.js";
export type {
  ChildLike,
  ChildSpec,
  ChildState,
  ChildStatus,
  SpawnFn,
  SupervisorClock,
  SupervisorEvent,
  SupervisorOptions,
} from "./supervisor.js";
