import { z } from "zod";
import { HmsError, invalidInput } from "../protocol/index.js";
import type { InspectorRecord } from "./record.js";
import type { RedactionPolicy } from "./redact.js";

/** Filters of the terminal tail and the live feed; every given field must match. */
export const FeedFilterSchema = z.object({
  /** Matches `from`, `to` or the task's agent. */
  agent: z.string().min(1).optional(),
  task: z.string().min(1).optional(),
  trace: z.string().min(1).optional(),
  /** A patient pseudonym (`p-…`) as shown, or a patient id (turned into its pseudonym on the server). */
  patient: z.string().min(1).optional(),
  /** RPC method or skill verb. */
  method: z.string().min(1).optional(),
  /** Event type or its prefix: `task`, `task.status`, `rpc`, `topic.alarm`, `xstate`. */
  event: z.string().min(1).optional(),
  /** Include heartbeats (every agent publishes one every few seconds). @defaultValue false */
  heartbeats: z.boolean().default(false),
  /** Include XState inspection events. @defaultValue false */
  xstate: z.boolean().default(false),
});
export type FeedFilter = z.infer<typeof FeedFilterSchema>;

/** Parses filter fields from strings (query parameters, CLI flags). */
export function parseFilter(raw: Record<string, unknown>): FeedFilter {
  const bool = (v: unknown) => (v === undefined ? undefined : v === true || v === "true" || v === "1" || v === "");
  const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
  const r = FeedFilterSchema.safeParse({
    agent: str(raw.agent),
    task: str(raw.task),
    trace: str(raw.trace),
    patient: str(raw.patient),
    method: str(raw.method),
    event: str(raw.event),
    heartbeats: bool(raw.heartbeats),
    xstate: bool(raw.xstate),
  });
  if (!r.success) throw invalidInput(r.error, "filter");
  return r.data;
}

/** A predicate for records; the patient filter is compared as a pseudonym. */
export function matcher(f: FeedFilter, policy: RedactionPolicy): (r: InspectorRecord) => boolean {
  // A pseudonym stays as it is; a patient id goes through the HMAC.
  const patient = f.patient ? policy.pseudonym(f.patient) : undefined;
  const eventOk = (e: string) => !f.event || e === f.event || e.startsWith(`${f.event}.`);
  return (r) =>
    (f.heartbeats || r.event !== "topic.heartbeat" || f.event === "topic.heartbeat") &&
    (f.xstate || r.kind !== "xstate" || f.event?.startsWith("xstate") === true) &&
    (!f.agent || r.from === f.agent || r.to === f.agent || r.agentId === f.agent) &&
    (!f.task || r.taskId === f.task) &&
    (!f.trace || r.traceId === f.trace) &&
    (!patient || r.patient === patient) &&
    (!f.method || r.method === f.method) &&
    eventOk(r.event);
}

/** Where a replay starts: a time, a stream sequence of the task-event stream, or a record cursor. */
export type Since = { kind: "time"; at: Date } | { kind: "seq"; src: "events" | "journal" | "topics"; seq: number };

const SRC = { e: "events", j: "journal", t: "topics" } as const;

/**
 * Parses `--since`: `120` (task-event stream sequence), `e:120` / `j:7` / `t:9` (a record's cursor),
 * `30s` / `5m` / `2h` (that long ago), or an ISO time.
 */
export function parseSince(value: string, now: () => number = Date.now): Since {
  const v = value.trim();
  if (/^\d+$/.test(v)) return { kind: "seq", src: "events", seq: Number(v) };
  const cur = /^([ejt]):(\d+)$/.exec(v);
  if (cur) return { kind: "seq", src: SRC[cur[1] as keyof typeof SRC], seq: Number(cur[2]) };
  const dur = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v);
  if (dur) {
    const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[dur[2] as "ms"];
    return { kind: "time", at: new Date(now() - Number(dur[1]) * unit) };
  }
  const t = Date.parse(v);
  if (Number.isFinite(t)) return { kind: "time", at: new Date(t) };
  throw new HmsError(
    "INVALID_INPUT",
    `invalid since: expected a sequence (120, e:120), a duration (5m) or an ISO time, got ${JSON.stringify(value)}`,
  );
}
