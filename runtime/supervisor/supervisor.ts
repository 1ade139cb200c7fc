import { spawn as nodeSpawn } from "node:child_process";
import type { Logger } from "pino";
import { realClock, type Clock } from "../clock.js";
import { decideRestart, DEFAULT_RESTART_POLICY, recentRestarts, type RestartPolicy } from "./intensity.js";

/**
 * A process supervisor in the OTP manner: it starts child processes, restarts one that exits
 * (per its restart type) after an exponential back-off, and gives up on a child that needs more
 * than `maxRestarts` restarts within `periodMs`, emitting a "gave-up" event for the healer to turn
 * into an alert. Spawn and clock are injectable, so tests can drive it without real processes or time.
 */

/** The part of a ChildProcess the supervisor uses. */
export interface ChildLike {
  readonly pid?: number;
  kill(signal?: NodeJS.Signals | number): boolean;
  once(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: "error", listener: (err: Error) => void): unknown;
}

export type SpawnFn = (
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
) => ChildLike;

/** The supervisor's clock: runtime's {@link Clock}. */
export type SupervisorClock = Clock;

export interface ChildSpec {
  id: string;
  command: string;
  args?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * permanent: always restarted; transient: restarted only after an abnormal exit (non-zero code or
   * a signal); temporary: never restarted. @defaultValue "permanent"
   */
  restart?: "permanent" | "transient" | "temporary";
}

export type ChildState = "running" | "backoff" | "stopped" | "exited" | "failed";

export interface ChildStatus {
  id: string;
  state: ChildState;
  pid: number | null;
  /** Restarts within the current period. */
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: number } | null;
}

export type SupervisorEvent =
  | { type: "started"; id: string; pid: number | null; at: number }
  | { type: "exited"; id: string; code: number | null; signal: string | null; at: number }
  | { type: "restart-scheduled"; id: string; delayMs: number; attempt: number; at: number }
  | { type: "gave-up"; id: string; restartsInPeriod: number; at: number }
  | { type: "stopped"; id: string; at: number };

export interface SupervisorOptions {
  spawn?: SpawnFn;
  clock?: SupervisorClock;
  policy?: Partial<RestartPolicy>;
  /** Wait for a child to exit after SIGTERM before SIGKILL. @defaultValue 5_000 */
  killTimeoutMs?: number;
  logger?: Logger;
}

const defaultSpawn: SpawnFn = (command, args, options) => nodeSpawn(command, args, { ...options, stdio: "ignore" });

interface Entry {
  spec: ChildSpec;
  child: ChildLike | null;
  state: ChildState;
  history: number[];
  timer: unknown;
  lastExit: ChildStatus["lastExit"];
  /** Resolves when the running child exits. */
  exited: Promise<void> | null;
  /** Set while we are stopping the child on purpose, so its exit is not a failure. */
  stopping: boolean;
}

export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(e: SupervisorEvent) => void>();
  private readonly spawnFn: SpawnFn;
  private readonly clock: SupervisorClock;
  private readonly policy: RestartPolicy;
  private readonly killTimeoutMs: number;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: SupervisorOptions = {}) {
    this.spawnFn = opts.spawn ?? defaultSpawn;
    this.clock = opts.clock ?? realClock;
    this.policy = { ...DEFAULT_RESTART_POLICY, ...opts.policy };
    this.killTimeoutMs = opts.killTimeoutMs ?? 5_000;
  }

  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: (e: SupervisorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts (or, for a known id, replaces the spec of and restarts) a child. */
  start(spec: ChildSpec): ChildStatus {
    if (this.closing) throw new RangeError("supervisor is closed");
    const prev = this.entries.get(spec.id);
    if (prev && (prev.state === "running" || prev.state === "backoff"))
      throw new RangeError(`child ${spec.id} is already supervised`);
    const entry: Entry = {
      spec,
      child: null,
      state: "stopped",
      history: prev?.history ?? [],
      timer: undefined,
      lastExit: prev?.lastExit ?? null,
      exited: null,
      stopping: false,
    };
    this.entries.set(spec.id, entry);
    this.launch(entry);
    return this.status(spec.id)!;
  }

  status(id: string): ChildStatus | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    return {
      id,
      state: e.state,
      pid: e.child?.pid ?? null,
      restarts: recentRestarts(e.history, this.clock.now(), this.policy).length,
      lastExit: e.lastExit,
    };
  }

  list(): ChildStatus[] {
    return [...this.entries.keys()].map((id) => this.status(id)!);
  }

  /** Stops a child for good (no restart): SIGTERM, then SIGKILL after killTimeoutMs. */
  async stop(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    if (e.timer !== undefined) this.clock.clearTimeout(e.timer);
    e.timer = undefined;
    e.stopping = true;
    if (e.child && e.state === "running") {
      const exited = e.exited;
      e.child.kill("SIGTERM");
      const killer = this.clock.setTimeout(() => e.child?.kill("SIGKILL"), this.killTimeoutMs);
      await exited;
      this.clock.clearTimeout(killer);
    }
    e.state = "stopped";
    e.child = null;
    this.emit({ type: "stopped", id, at: this.clock.now() });
  }

  /**
   * Restarts a child on request (the healer's "restart" strategy). Counts against the restart
   * intensity like a crash; resolves with the decision taken.
   */
  async restart(id: string): Promise<{ action: "restart"; delayMs: number } | { action: "give-up" }> {
    const e = this.entries.get(id);
    if (!e) throw new RangeError(`unknown child ${id}`);
    await this.stop(id);
    const now = this.clock.now();
    const d = decideRestart(e.history, now, this.policy);
    if (d.action === "give-up") {
      e.state = "failed";
      this.emit({ type: "gave-up", id, restartsInPeriod: d.restartsInPeriod, at: now });
      return { action: "give-up" };
    }
    e.stopping = false;
    this.schedule(e, d.delayMs, d.attempt);
    return { action: "restart", delayMs: d.delayMs };
  }

  /**
   * Stops and relaunches a child at once, with no intensity check: for a caller (the healer) that
   * has applied its own restart policy and back-off. Still recorded in the child's restart history.
   */
  async forceRestart(id: string): Promise<ChildStatus> {
    const e = this.entries.get(id);
    if (!e) throw new RangeError(`unknown child ${id}`);
    await this.stop(id);
    e.history.push(this.clock.now());
    this.launch(e);
    return this.status(id)!;
  }

  async close(): Promise<void> {
    this.closing ??= Promise.all([...this.entries.keys()].map((id) => this.stop(id))).then(() => undefined);
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private launch(e: Entry): void {
    e.stopping = false;
    e.state = "running";
    let child: ChildLike;
    let resolveExit!: () => void;
    e.exited = new Promise<void>((r) => (resolveExit = r));
    let done = false;
    const onEnd = (code: number | null, signal: string | null) => {
      if (done) return;
      done = true;
      resolveExit();
      if (e.child === child) this.onExit(e, code, signal);
    };
    try {
      child = this.spawnFn(e.spec.command, e.spec.args ?? [], { cwd: e.spec.cwd, env: e.spec.env ?? process.env });
    } catch (err) {
      this.opts.logger?.error({ err, id: e.spec.id }, "spawn failed");
      child = { kill: () => false, once: () => undefined };
      e.child = child;
      this.emit({ type: "started", id: e.spec.id, pid: null, at: this.clock.now() });
      onEnd(null, null);
      return;
    }
    e.child = child;
    child.once("exit", (code, signal) => onEnd(code, signal));
    // A spawn error (ENOENT, EACCES) may come without an exit event.
    child.once("error", (err) => {
      this.opts.logger?.error({ err, id: e.spec.id }, "child process error");
      onEnd(null, null);
    });
    this.opts.logger?.info({ id: e.spec.id, pid: child.pid }, "child started");
    this.emit({ type: "started", id: e.spec.id, pid: child.pid ?? null, at: this.clock.now() });
  }

  private onExit(e: Entry, code: number | null, signal: string | null): void {
    const now = this.clock.now();
    const id = e.spec.id;
    e.lastExit = { code, signal, at: now };
    this.emit({ type: "exited", id, code, signal, at: now });
    if (e.stopping || this.closing) return;
    const abnormal = code !== 0 || signal !== null;
    const type = e.spec.restart ?? "permanent";
    if (type === "temporary" || (type === "transient" && !abnormal)) {
      e.state = "exited";
      e.child = null;
      return;
    }
    const d = decideRestart(e.history, now, this.policy);
    if (d.action === "give-up") {
      e.state = "failed";
      e.child = null;
      this.opts.logger?.error(
        { id, restartsInPeriod: d.restartsInPeriod, periodMs: this.policy.periodMs },
        "restart intensity reached, giving up",
      );
      this.emit({ type: "gave-up", id, restartsInPeriod: d.restartsInPeriod, at: now });
      return;
    }
    this.schedule(e, d.delayMs, d.attempt);
  }

  private schedule(e: Entry, delayMs: number, attempt: number): void {
    const id = e.spec.id;
    e.state = "backoff";
    e.child = null;
    this.opts.logger?.warn({ id, delayMs, attempt }, "child restart scheduled");
    this.emit({ type: "restart-scheduled", id, delayMs, attempt, at: this.clock.now() });
    e.timer = this.clock.setTimeout(() => {
      e.timer = undefined;
      if (this.closing || e.state !== "backoff") return;
      e.history.push(this.clock.now());
      this.launch(e);
    }, delayMs);
  }

  private emit(ev: SupervisorEvent): void {
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch (err) {
        this.opts.logger?.error({ err }, "supervisor listener failed");
      }
    }
  }
}

/** Creates a supervisor. @example `await using sup = createSupervisor({ policy: { maxRestarts: 5, periodMs: 60_000 } });` */
export function createSupervisor(opts: SupervisorOptions = {}): Supervisor {
  return new Supervisor(opts);
}
