import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import {
  HmsError,
  type AlertEvent,
  type HealingAction,
  type HealingStrategy,
  type HealthStatus,
} from "../../protocol/index.js";
import {
  decideRestart,
  DEFAULT_RESTART_POLICY,
  type Clock,
  type RestartPolicy,
  type SupervisorEvent,
} from "../../runtime/index.js";
import { CLOSED, circuitAllows, circuitAt, openCircuit } from "./circuit.js";
import { DEFAULT_HEALTH_POLICY, evaluateHealth, reduceHealth, type HealthBook, type HealthPolicy } from "./health.js";

/**
 * The healer's core: tracks health, heals components (restart, failover, open or close a circuit),
 * applies OTP-style restart intensity with exponential back-off to its own restarts, journals every
 * action, and raises a system alert when it has to give up.
 */

export interface HealerOptions {
  clock: Clock;
  /** Restarts a component's process, e.g. `(id) => supervisor.forceRestart(id)`; absent: restart is unavailable. */
  restart?: (component: string) => Promise<unknown>;
  /** Components the restart function knows. @defaultValue every component when `restart` is given */
  restartable?: (component: string) => boolean;
  /** Moves traffic of a component to a standby; absent: failover is unavailable. */
  failover?: (component: string) => Promise<unknown>;
  hasFailover?: (component: string) => boolean;
  /** Sends an alert event (publish to the alert agent's topic). */
  raiseAlert: (event: AlertEvent) => Promise<void>;
  health?: Partial<HealthPolicy>;
  restartPolicy?: Partial<RestartPolicy>;
  /** Journal entries kept. @defaultValue 1_000 */
  journalSize?: number;
  newId?: () => string;
  logger?: Logger;
}

export interface ActionFilter {
  component?: string;
  strategy?: HealingStrategy;
  limit?: number;
}

export class Healer {
  private book: HealthBook = {};
  private readonly journal: HealingAction[] = [];
  private readonly restartHistory = new Map<string, number[]>();
  private readonly health: HealthPolicy;
  private readonly restartPolicy: RestartPolicy;
  private readonly newId: () => string;
  /** Supervisor restarts not yet confirmed by a heartbeat of the new process, by component. */
  private readonly pendingRestarts = new Map<string, { action: HealingAction; pid: number | null }>();

  constructor(private readonly opts: HealerOptions) {
    this.health = { ...DEFAULT_HEALTH_POLICY, ...opts.health };
    this.restartPolicy = { ...DEFAULT_RESTART_POLICY, ...opts.restartPolicy };
    this.newId = opts.newId ?? randomUUID;
  }

  /**
   * Records a heartbeat. A heartbeat of the process a supervisor restart launched (same pid, when
   * known) completes that restart's journal entry: the agent serves again.
   */
  recordHeartbeat(component: string, at: number = this.opts.clock.now(), pid?: number): void {
    this.book = reduceHealth(this.book, { type: "heartbeat", component, at }, this.health);
    const pending = this.pendingRestarts.get(component);
    if (
      pending &&
      pending.action.status === "running" &&
      (pending.pid === null || pid === undefined || pid === pending.pid)
    ) {
      pending.action.status = "succeeded";
      pending.action.finished = new Date(at).toISOString();
      this.pendingRestarts.delete(component);
      this.opts.logger?.info(
        { component, pid, ms: at - Date.parse(pending.action.started) },
        "restarted agent serves again",
      );
    }
  }

  /** Records a call outcome; journals the circuit opening or closing that it causes. */
  recordCall(component: string, ok: boolean, ms: number, at: number = this.opts.clock.now()): void {
    const before = circuitAt(this.book[component]?.circuit ?? CLOSED, at, this.health.circuit).state;
    this.book = reduceHealth(this.book, { type: "call", component, at, ok, ms }, this.health);
    const after = this.book[component]?.circuit.state;
    if (before !== "open" && after === "open") this.log(component, "circuit-open", "succeeded", at, at, null);
    if (before !== "closed" && after === "closed") this.log(component, "circuit-close", "succeeded", at, at, null);
  }

  /** Whether a call to the dependency may go through now (its circuit is not open). */
  allows(component: string): boolean {
    return circuitAllows(this.book[component]?.circuit ?? CLOSED, this.opts.clock.now(), this.health.circuit);
  }

  status(component?: string): HealthStatus[] {
    const now = this.opts.clock.now();
    const names = component ? [component] : Object.keys(this.book).sort();
    return names.map((c) => evaluateHealth(this.book[c], c, now, this.health));
  }

  actions(filter: ActionFilter = {}): HealingAction[] {
    const list = this.journal.filter(
      (a) =>
        (!filter.component || a.component === filter.component) && (!filter.strategy || a.strategy === filter.strategy),
    );
    return structuredClone(list.slice(-(filter.limit ?? list.length)).reverse());
  }

  /** The strategy `heal` uses when none is given. */
  chooseStrategy(component: string): HealingStrategy {
    if (this.opts.restart && (this.opts.restartable?.(component) ?? true)) return "restart";
    if (this.opts.failover && (this.opts.hasFailover?.(component) ?? true)) return "failover";
    return this.book[component]?.circuit.state === "open" ? "circuit-close" : "circuit-open";
  }

  /** Heals a component; resolves with the journal entry once the action has finished. */
  async heal(component: string, strategy: HealingStrategy = this.chooseStrategy(component)): Promise<HealingAction> {
    const now = this.opts.clock.now();
    switch (strategy) {
      case "restart": {
        const restart = this.opts.restart;
        if (!restart)
          throw new HmsError("UNSUPPORTED_OPERATION", "no restart function is configured", { data: { component } });
        const history = this.restartHistory.get(component) ?? [];
        const decision = decideRestart(history, now, this.restartPolicy);
        if (decision.action === "give-up") {
          const msg = `${component}: ${decision.restartsInPeriod} restarts within ${this.restartPolicy.periodMs / 1000} s; giving up`;
          const action = this.log(component, "restart", "gave-up", now, now, msg);
          await this.alert(component, msg);
          return structuredClone(action);
        }
        history.push(now);
        this.restartHistory.set(component, history);
        const action = this.log(component, "restart", "running", now, null, null, decision.delayMs);
        await new Promise<void>((r) => this.opts.clock.setTimeout(r, decision.delayMs));
        return this.finish(action, () => restart(component));
      }
      case "failover": {
        const failover = this.opts.failover;
        if (!failover)
          throw new HmsError("UNSUPPORTED_OPERATION", "no failover function is configured", { data: { component } });
        const action = this.log(component, "failover", "running", now, null, null);
        const done = await this.finish(action, () => failover(component));
        if (done.status === "failed") await this.alert(component, `${component}: failover failed: ${done.error}`);
        return done;
      }
      case "circuit-open":
        this.setCircuit(component, openCircuit(this.book[component]?.circuit ?? CLOSED, now));
        return structuredClone(this.log(component, "circuit-open", "succeeded", now, now, null));
      case "circuit-close":
        this.setCircuit(component, CLOSED);
        return structuredClone(this.log(component, "circuit-close", "succeeded", now, now, null));
    }
  }

  /**
   * Heals every unhealthy component that can be restarted (and is not being restarted already) once;
   * returns the actions taken. Circuits are left to call outcomes: they close on recovery.
   */
  async healUnhealthy(): Promise<HealingAction[]> {
    const sick = this.status()
      .filter((s) => s.status === "unhealthy" && s.circuit !== "open")
      .map((s) => s.component)
      .filter(
        (c) => !this.pendingRestarts.has(c) && this.opts.restart !== undefined && (this.opts.restartable?.(c) ?? true),
      );
    const out: HealingAction[] = [];
    for (const c of sick) out.push(await this.heal(c));
    return out;
  }

  /**
   * Journals what a supervisor does: a child that died is a restart action from the moment of
   * detection (its back-off as delay), finished when the new process heartbeats; a child given up
   * on (restart intensity reached) is journaled as gave-up and raises an alert.
   */
  async onSupervisorEvent(e: SupervisorEvent): Promise<void> {
    switch (e.type) {
      case "restart-scheduled": {
        this.failPendingRestart(e.id, e.at);
        const action = this.log(e.id, "restart", "running", e.at, null, null, e.delayMs);
        this.pendingRestarts.set(e.id, { action, pid: null });
        return;
      }
      case "started": {
        const pending = this.pendingRestarts.get(e.id);
        if (pending) pending.pid = e.pid;
        return;
      }
      case "gave-up": {
        this.failPendingRestart(e.id, e.at);
        this.pendingRestarts.delete(e.id);
        const msg = `${e.id}: crashed ${e.restartsInPeriod + 1} times within the restart period; supervisor gave up`;
        this.log(e.id, "restart", "gave-up", e.at, e.at, msg);
        await this.alert(e.id, msg);
        return;
      }
      default:
        return;
    }
  }

  /** Marks a restart still running for `component` as failed: its process exited before it served. */
  private failPendingRestart(component: string, at: number): void {
    const prev = this.pendingRestarts.get(component);
    if (prev && prev.action.status === "running") {
      prev.action.status = "failed";
      prev.action.finished = new Date(at).toISOString();
      prev.action.error = "the restarted process exited before it served";
    }
  }

  private setCircuit(component: string, circuit: typeof CLOSED): void {
    this.book = reduceHealth(
      this.book,
      { type: "circuit", component, at: this.opts.clock.now(), circuit },
      this.health,
    );
  }

  private async finish(action: HealingAction, run: () => Promise<unknown>): Promise<HealingAction> {
    try {
      await run();
      action.status = "succeeded";
    } catch (err) {
      action.status = "failed";
      action.error = err instanceof Error ? err.message : String(err);
      this.opts.logger?.warn({ err, component: action.component, strategy: action.strategy }, "healing action failed");
    }
    action.finished = new Date(this.opts.clock.now()).toISOString();
    return structuredClone(action);
  }

  private async alert(component: string, message: string): Promise<void> {
    this.opts.logger?.error({ component }, "healing gave up, alert raised");
    try {
      await this.opts.raiseAlert({
        type: "system",
        component,
        message,
        priority: "high",
        at: new Date(this.opts.clock.now()).toISOString(),
      });
    } catch (err) {
      this.opts.logger?.error({ err, component }, "could not raise healer alert");
    }
  }

  private log(
    component: string,
    strategy: HealingStrategy,
    status: HealingAction["status"],
    started: number,
    finished: number | null,
    error: string | null,
    delayMs = 0,
  ): HealingAction {
    const action: HealingAction = {
      actionId: this.newId(),
      component,
      strategy,
      status,
      started: new Date(started).toISOString(),
      finished: finished === null ? null : new Date(finished).toISOString(),
      error,
      delayMs,
    };
    this.journal.push(action);
    const max = this.opts.journalSize ?? 1_000;
    if (this.journal.length > max) this.journal.splice(0, this.journal.length - max);
    return action;
  }
}
