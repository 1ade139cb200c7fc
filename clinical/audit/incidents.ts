import type { AuditEntry, AuditIncident } from "../../protocol/index.js";

/** Denied attempts by one requester, within the window, that raise an incident. */
export const DEFAULT_DENIAL_THRESHOLD = 5;
/** Distinct patients one requester may read within the window; one more raises an incident. */
export const DEFAULT_PATIENT_READ_LIMIT = 50;
export const DEFAULT_INCIDENT_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface IncidentOptions {
  denialThreshold?: number;
  patientReadLimit?: number;
  windowMs?: number;
}

/**
 * Watches audit entries as they are appended and reports an incident the first time a requester
 * crosses a threshold within the sliding window (once per requester, kind and window). Time
 * comes from the entries, so replaying a log gives the same incidents.
 */
export class IncidentDetector {
  private readonly denials = new Map<string, number[]>();
  private readonly reads = new Map<string, Map<string, number>>();
  private readonly fired = new Map<string, number>();
  private readonly denialThreshold: number;
  private readonly patientReadLimit: number;
  private readonly windowMs: number;

  constructor({
    denialThreshold = DEFAULT_DENIAL_THRESHOLD,
    patientReadLimit = DEFAULT_PATIENT_READ_LIMIT,
    windowMs = DEFAULT_INCIDENT_WINDOW_MS,
  }: IncidentOptions = {}) {
    this.denialThreshold = denialThreshold;
    this.patientReadLimit = patientReadLimit;
    this.windowMs = windowMs;
  }

  observe(e: AuditEntry): AuditIncident | undefined {
    const t = Date.parse(e.time);
    const from = t - this.windowMs;
    if (e.outcome === "denied") {
      const list = (this.denials.get(e.requester) ?? []).filter((x) => x > from);
      list.push(t);
      this.denials.set(e.requester, list);
      if (list.length >= this.denialThreshold) {
        return this.fire(
          "repeated-denials",
          e.requester,
          list.length,
          list[0] ?? t,
          t,
          `${e.requester} was denied ${list.length} times within ${this.windowMs / 60_000} min`,
        );
      }
    }
    if (e.action === "read" && e.outcome === "success" && e.patientId) {
      const seen = this.reads.get(e.requester) ?? new Map<string, number>();
      seen.set(e.patientId, t);
      for (const [p, at] of seen) if (at <= from) seen.delete(p);
      this.reads.set(e.requester, seen);
      if (seen.size > this.patientReadLimit) {
        const first = Math.min(...seen.values());
        return this.fire(
          "bulk-patient-access",
          e.requester,
          seen.size,
          first,
          t,
          `${e.requester} read ${seen.size} patients within ${this.windowMs / 60_000} min`,
        );
      }
    }
    return undefined;
  }

  private fire(
    kind: AuditIncident["kind"],
    requester: string,
    count: number,
    from: number,
    to: number,
    message: string,
  ): AuditIncident | undefined {
    const key = `${kind}:${requester}`;
    const last = this.fired.get(key);
    if (last !== undefined && to - last < this.windowMs) return undefined;
    this.fired.set(key, to);
    return { kind, requester, count, from: new Date(from).toISOString(), to: new Date(to).toISOString(), message };
  }
}

/** All incidents in a sequence of entries (a replay through a fresh detector). */
export function detectIncidents(entries: readonly AuditEntry[], opts: IncidentOptions = {}): AuditIncident[] {
  const d = new IncidentDetector(opts);
  return entries.flatMap((e) => d.observe(e) ?? []);
}
