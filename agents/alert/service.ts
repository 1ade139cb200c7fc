import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { createActor, type Actor, type Snapshot } from "xstate";
import {
  AlertEventSchema,
  HmsError,
  invalidInput,
  type AlarmPriority,
  type Alert,
  type AlertState,
  type CdsCard,
} from "../../protocol/index.js";
import type { Clock } from "../../runtime/index.js";
import { alertToCard } from "./cards.js";
import {
  createAlertMachine,
  DEFAULT_ESCALATION,
  PRIORITY_RANK,
  restoreAlertActor,
  type AlertMachine,
  type EscalationPolicy,
} from "./machine.js";
import { toCandidate } from "./normalize.js";
import type { RouteOutcome, Router } from "./router.js";

/**
 * The alert agent's core: takes events, folds duplicates (same patient + condition within the
 * window) into one alert, runs one lifecycle machine per alert, routes new and escalated alerts,
 * and can persist and restore everything (records + machine snapshots) as JSON.
 */

export interface AlertServiceOptions {
  clock: Clock;
  route: Router;
  /** Same patient + condition within this long of the last occurrence is one alert. @defaultValue DEFAULT_DEDUP_WINDOW_MS */
  dedupWindowMs?: number;
  escalation?: Partial<EscalationPolicy>;
  newId?: () => string;
  logger?: Logger;
  /** Called after every state change (persist the snapshot here, before side effects complete). */
  onChange?: (persisted: PersistedAlerts) => void;
  /** Called after every state change without building the snapshot (the caller calls persist() when it writes). */
  onDirty?: () => void;
}

export const DEFAULT_DEDUP_WINDOW_MS = 10 * 60_000;

export interface AlertFilter {
  patientId?: string;
  priority?: AlarmPriority;
  state?: AlertState;
}

/** Alert fields the machine does not own. */
type AlertRecord = Omit<Alert, "state" | "tier" | "escalateAt" | "acknowledgedBy" | "acknowledgedAt" | "priority">;

export interface PersistedAlerts {
  version: 1;
  alerts: { record: AlertRecord; snapshot: Snapshot<unknown> }[];
}

export class AlertService {
  private readonly machine: AlertMachine;
  private readonly records = new Map<string, AlertRecord>();
  private readonly actors = new Map<string, Actor<AlertMachine>>();
  private readonly policy: EscalationPolicy;
  private readonly windowMs: number;
  private readonly newId: () => string;
  /** Routing still running (tests and close() await it). */
  private inflight = new Set<Promise<RouteOutcome[]>>();

  constructor(
    private readonly opts: AlertServiceOptions,
    restoreFrom?: PersistedAlerts,
  ) {
    this.machine = createAlertMachine(opts.clock);
    this.policy = { ...DEFAULT_ESCALATION, ...opts.escalation };
    this.windowMs = opts.dedupWindowMs ?? DEFAULT_DEDUP_WINDOW_MS;
    this.newId = opts.newId ?? randomUUID;
    for (const { record, snapshot } of restoreFrom?.alerts ?? []) {
      this.records.set(record.alertId, record);
      this.startActor(record.alertId, restoreAlertActor(this.machine, snapshot));
    }
  }

  /** Takes one event (alarm, EHR change, critical finding, plan ready). */
  ingest(raw: unknown): { alert: Alert; deduplicated: boolean } {
    const parsed = AlertEventSchema.safeParse(raw);
    if (!parsed.success) throw invalidInput(parsed.error, "alert event");
    const c = toCandidate(parsed.data);
    const now = this.opts.clock.now();
    const existing = this.findOpenDuplicate(c.patientId, c.condition, now);
    if (existing) {
      existing.occurrences += 1;
      existing.lastSeenAt = new Date(now).toISOString();
      if (!existing.sourceRefs.includes(c.sourceRef)) existing.sourceRefs.push(c.sourceRef);
      this.actors.get(existing.alertId)!.send({ type: "REPEAT", priority: c.priority, at: now });
      this.changed();
      return { alert: this.view(existing.alertId), deduplicated: true };
    }
    const alertId = this.newId();
    const iso = new Date(now).toISOString();
    const record: AlertRecord = {
      alertId,
      category: c.category,
      patientId: c.patientId,
      condition: c.condition,
      summary: c.summary,
      ...(c.detail ? { detail: c.detail } : {}),
      occurrences: 1,
      createdAt: iso,
      lastSeenAt: iso,
      sourceRefs: [c.sourceRef],
      suggestions: c.suggestions,
    };
    this.records.set(alertId, record);
    this.startActor(
      alertId,
      createActor(this.machine, { input: { alertId, priority: c.priority, createdAt: now, policy: this.policy } }),
    );
    this.changed();
    const alert = this.view(alertId);
    this.dispatch(alert, "new");
    return { alert, deduplicated: false };
  }

  acknowledge(alertId: string, by: string): Alert {
    const actor = this.requireActor(alertId);
    if (actor.getSnapshot().value === "resolved")
      throw new HmsError("CONFLICT", `alert ${alertId} is already resolved`, { data: { alertId } });
    actor.send({ type: "ACK", by, at: this.opts.clock.now() });
    this.changed();
    return this.view(alertId);
  }

  resolve(alertId: string): Alert {
    this.requireActor(alertId).send({ type: "RESOLVE", at: this.opts.clock.now() });
    this.changed();
    return this.view(alertId);
  }

  get(alertId: string): Alert {
    this.requireActor(alertId);
    return this.view(alertId);
  }

  /** Alerts matching the filter, most urgent first, then newest first. */
  list(filter: AlertFilter = {}): Alert[] {
    return [...this.records.keys()]
      .map((id) => this.view(id))
      .filter(
        (a) =>
          (filter.patientId === undefined || a.patientId === filter.patientId) &&
          (filter.priority === undefined || a.priority === filter.priority) &&
          (filter.state === undefined || a.state === filter.state),
      )
      .sort(
        (a, b) =>
          PRIORITY_RANK[b.priority] - PRIORITY_RANK[a.priority] ||
          b.lastSeenAt.localeCompare(a.lastSeenAt) ||
          a.alertId.localeCompare(b.alertId),
      );
  }

  /** CDS Hooks cards for the patient's open alerts. */
  cards(patientId?: string): CdsCard[] {
    return this.list({ ...(patientId ? { patientId } : {}), state: "open" }).map(alertToCard);
  }

  persist(): PersistedAlerts {
    return {
      version: 1,
      alerts: [...this.records.values()].map((record) => ({
        record: structuredClone(record),
        snapshot: this.actors.get(record.alertId)!.getPersistedSnapshot(),
      })),
    };
  }

  /** Waits for every routing started so far. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  async close(): Promise<void> {
    for (const a of this.actors.values()) a.stop();
    await this.settled();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private startActor(alertId: string, actor: Actor<AlertMachine>): void {
    actor.on("escalated", (e) => {
      this.opts.logger?.warn({ alertId, tier: e.tier }, "alert escalated");
      this.changed();
      this.dispatch(this.view(alertId), "escalated");
    });
    this.actors.set(alertId, actor);
    actor.start();
  }

  private dispatch(alert: Alert, reason: "new" | "escalated"): void {
    const p = this.opts.route(alert, reason);
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private findOpenDuplicate(patientId: string | null, condition: string, now: number): AlertRecord | undefined {
    for (const r of this.records.values()) {
      if (r.patientId !== patientId || r.condition !== condition) continue;
      if (this.actors.get(r.alertId)!.getSnapshot().value === "resolved") continue;
      if (now - Date.parse(r.lastSeenAt) <= this.windowMs) return r;
    }
    return undefined;
  }

  private requireActor(alertId: string): Actor<AlertMachine> {
    const a = this.actors.get(alertId);
    if (!a) throw new HmsError("NOT_FOUND", `unknown alert ${alertId}`, { data: { alertId } });
    return a;
  }

  private view(alertId: string): Alert {
    const r = this.records.get(alertId)!;
    const snap = this.actors.get(alertId)!.getSnapshot();
    const ctx = snap.context;
    const state: AlertState =
      snap.value === "resolved" ? "resolved" : snap.value === "acknowledged" ? "acknowledged" : "open";
    return {
      ...structuredClone(r),
      priority: ctx.priority,
      state,
      tier: ctx.tier,
      escalateAt: ctx.escalateAt === null ? null : new Date(ctx.escalateAt).toISOString(),
      acknowledgedBy: ctx.acknowledgedBy,
      acknowledgedAt: ctx.acknowledgedAt === null ? null : new Date(ctx.acknowledgedAt).toISOString(),
    };
  }

  private changed(): void {
    this.opts.onDirty?.();
    if (this.opts.onChange) this.opts.onChange(this.persist());
  }
}
