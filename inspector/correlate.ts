import { isTerminal, parseSubject, traceIdOf, HEADERS, type TaskStateName } from "../protocol/index.js";
import type { InspectorRecord } from "./record.js";
import { findPatient, keysOf, redact, type RedactionPolicy } from "./redact.js";

/** One message as read from the bus, before it becomes a record. */
export interface RawMessage {
  src: "events" | "journal" | "topics" | "xstate";
  subject: string;
  /** Stream sequence (absent for core-NATS XState messages). */
  seq?: number;
  at: Date;
  headers?: { get(k: string): string } | undefined;
  data: Uint8Array;
}

interface TaskInfo {
  agentId: string;
  skill?: string;
  traceId?: string;
  patient?: string;
  createdAt: number;
  state: string;
  caller: string;
  terminal: boolean;
}

export const DEFAULT_MAX_TASKS = 10_000;
/** The caller shown for a task started from outside the bus (CLI, MCP, gateway). */
export const EXTERNAL_CALLER = "client";
/** Whether a state name without its `TASK_STATE_` prefix (as records show it) is terminal (A2A §4.1.3). */
export const isTerminalName = (state: string): boolean => isTerminal(`TASK_STATE_${state}` as TaskStateName);
const SRC_LETTER = { events: "e", journal: "j", topics: "t", xstate: "x" } as const;
const dec = new TextDecoder();
const stateName = (s: unknown) => (typeof s === "string" ? s.replace(/^TASK_STATE_/, "") : "?");

/**
 * Turns bus messages into inspector records. It remembers each task's agent, skill, trace, patient
 * pseudonym and caller (bounded, oldest forgotten first), because only a task's first event names
 * them. The caller is not on the wire: it is the agent of the newest unfinished task of the same
 * trace (calls keep the trace id), corrected when the caller's result lists `calledTaskIds`.
 */
export class Correlator {
  private readonly tasks = new Map<string, TaskInfo>();
  private readonly traces = new Map<string, string[]>();
  private xseq = 0;

  constructor(
    private readonly policy: RedactionPolicy,
    private readonly maxTasks = DEFAULT_MAX_TASKS,
  ) {}

  task(taskId: string): Readonly<TaskInfo> | undefined {
    return this.tasks.get(taskId);
  }

  /** Tasks of a trace this correlator has seen, oldest first. */
  traceTasks(traceId: string): string[] {
    return [...(this.traces.get(traceId) ?? [])];
  }

  ingest(m: RawMessage): InspectorRecord | undefined {
    let body: unknown;
    try {
      body = JSON.parse(dec.decode(m.data));
    } catch {
      return undefined;
    }
    const base = {
      id: m.src === "xstate" ? `x:${++this.xseq}` : `${SRC_LETTER[m.src]}:${m.seq}`,
      src: m.src,
      streamSeq: m.seq,
      at: m.at.toISOString(),
      revealable: m.src !== "xstate",
    };
    const p = parseSubject(m.subject);
    if (m.src === "events" && p.kind === "task-events")
      return this.taskEvent(base, p.taskId, body as Record<string, unknown>, m);
    if (m.src === "journal" && p.kind === "journal")
      return this.journal(base, p.agentId, body as Record<string, unknown>);
    if (m.src === "topics" && p.kind === "topic") return this.topic(base, p.type, p.source, body, m);
    if (m.src === "xstate" && p.kind === "xstate") return this.xstate(base, p.agentId, body as Record<string, unknown>);
    return undefined;
  }

  private remember(taskId: string, info: TaskInfo): void {
    this.tasks.set(taskId, info);
    if (info.traceId) {
      const list = this.traces.get(info.traceId) ?? [];
      list.push(taskId);
      this.traces.set(info.traceId, list);
    }
    while (this.tasks.size > this.maxTasks) {
      const [oldest, old] = this.tasks.entries().next().value as [string, TaskInfo];
      this.tasks.delete(oldest);
      if (old.traceId) {
        const rest = (this.traces.get(old.traceId) ?? []).filter((t) => t !== oldest);
        if (rest.length) this.traces.set(old.traceId, rest);
        else this.traces.delete(old.traceId);
      }
    }
  }

  private inferCaller(traceId: string | undefined, agentId: string, at: number): string {
    if (!traceId) return EXTERNAL_CALLER;
    let best: TaskInfo | undefined;
    for (const id of this.traces.get(traceId) ?? []) {
      const t = this.tasks.get(id);
      if (t && !t.terminal && t.createdAt <= at && t.agentId !== agentId && (!best || t.createdAt >= best.createdAt))
        best = t;
    }
    return best?.agentId ?? EXTERNAL_CALLER;
  }

  private taskEvent(
    base: Base,
    taskId: string,
    ev: Record<string, unknown>,
    m: RawMessage,
  ): InspectorRecord | undefined {
    const taskSeq = Number(m.headers?.get(HEADERS.seq)) || undefined;
    const traceId = traceIdOf(m.headers?.get(HEADERS.traceparent));
    const at = m.at.getTime();
    if (ev.task && typeof ev.task === "object") {
      const t = ev.task as {
        metadata?: Record<string, unknown>;
        history?: Array<{ parts?: Array<Record<string, unknown>> }>;
        status?: { state?: string };
      };
      const agentId = text(t.metadata?.agentId ?? "?");
      const call = (t.history?.[0]?.parts ?? []).find((x) => "data" in x)?.data as
        { skill?: string; input?: unknown } | undefined;
      const skill = call?.skill ?? (t.metadata?.skill as string | undefined);
      const known = traceId
        ? this.traceTasks(traceId)
            .map((id) => this.tasks.get(id)?.patient)
            .find(Boolean)
        : undefined;
      const patient = findPatient(call?.input, this.policy) ?? known;
      const caller =
        typeof t.metadata?.callerAgentId === "string"
          ? t.metadata.callerAgentId
          : this.inferCaller(traceId, agentId, at);
      const info: TaskInfo = {
        agentId,
        skill,
        traceId,
        patient,
        createdAt: at,
        state: stateName(t.status?.state),
        caller,
        terminal: false,
      };
      this.remember(taskId, info);
      const r = redact({ skill, input: call?.input }, this.policy);
      return {
        ...base,
        kind: "task",
        event: "task.created",
        from: caller,
        to: agentId,
        method: skill,
        taskId,
        traceId,
        agentId,
        state: info.state,
        taskSeq,
        patient,
        summary: `${skill ?? "?"} ${keysOf(call?.input)}`.trim(),
        payload: r.value,
        redacted: r.count,
      };
    }
    const info = this.tasks.get(taskId);
    const common = {
      taskId,
      traceId: traceId ?? info?.traceId,
      agentId: info?.agentId,
      method: info?.skill,
      patient: info?.patient,
      taskSeq,
      ms: info ? at - info.createdAt : undefined,
    };
    const from = info?.agentId ?? "?";
    const to = info?.caller ?? EXTERNAL_CALLER;
    if (ev.statusUpdate && typeof ev.statusUpdate === "object") {
      const s = (
        ev.statusUpdate as { status?: { state?: string; message?: { parts?: Array<Record<string, unknown>> } } }
      ).status;
      const state = stateName(s?.state);
      if (info) {
        info.state = state;
        info.terminal = isTerminalName(state);
      }
      const parts = s?.message?.parts ?? [];
      const text = parts.find((x) => "text" in x)?.text;
      const data = parts.find((x) => "data" in x)?.data as { error?: { code?: string } } | undefined;
      const r = redact({ state, text, data }, this.policy);
      const shown = (r.value as { text?: string }).text;
      const detail = data?.error?.code ? ` ${data.error.code}` : shown && shown !== "[redacted]" ? ` "${shown}"` : "";
      return {
        ...base,
        ...common,
        kind: "task",
        event: "task.status",
        from,
        to,
        state,
        summary: `${state}${detail}`,
        payload: r.value,
        redacted: r.count,
      };
    }
    if (ev.artifactUpdate && typeof ev.artifactUpdate === "object") {
      const a = (
        ev.artifactUpdate as {
          artifact?: { name?: string; parts?: Array<Record<string, unknown>>; metadata?: { calledTaskIds?: unknown } };
        }
      ).artifact;
      const called = Array.isArray(a?.metadata?.calledTaskIds) ? (a.metadata.calledTaskIds as string[]) : [];
      for (const c of called) {
        const child = this.tasks.get(c);
        if (child && info) child.caller = info.agentId;
      }
      const data = a?.parts?.find((x) => "data" in x)?.data;
      // Artifact names are chosen by the runtime ("result"), not by users: shown as they are.
      const r = redact(data, this.policy);
      return {
        ...base,
        ...common,
        kind: "task",
        event: "task.artifact",
        from,
        to,
        summary: `artifact ${a?.name ?? "?"} ${keysOf(data)}`.trim(),
        payload: { name: a?.name, data: r.value },
        redacted: r.count,
      };
    }
    return undefined;
  }

  private journal(base: Base, agentId: string, e: Record<string, unknown>): InspectorRecord {
    const taskId = typeof e.taskId === "string" ? e.taskId : undefined;
    const info = taskId ? this.tasks.get(taskId) : undefined;
    const method = text(e.method ?? "?");
    const ok = e.ok === true;
    const ms = typeof e.ms === "number" ? e.ms : undefined;
    const r = redact({ method, ok, ms, code: e.code, instanceId: e.instanceId }, this.policy);
    return {
      ...base,
      kind: "rpc",
      event: "rpc.reply",
      from: info?.caller ?? EXTERNAL_CALLER,
      to: agentId,
      method,
      taskId,
      agentId,
      traceId: typeof e.traceId === "string" ? e.traceId : info?.traceId,
      patient: info?.patient,
      ok,
      ms,
      summary: `${method} ${ok ? "ok" : `error ${text(e.code ?? "")}`.trim()}${ms === undefined ? "" : ` ${ms}ms`}`,
      payload: r.value,
      redacted: r.count,
    };
  }

  private topic(base: Base, type: string, source: string, data: unknown, m: RawMessage): InspectorRecord {
    const r = redact(data, this.policy);
    const hb = data as { inflight?: number; instanceId?: string };
    // A topic's source token may be a patient id (device topics): show agents as they are, others pseudonymized.
    const from =
      type === "heartbeat" || (data as { agentId?: string })?.agentId === source
        ? source
        : this.policy.pseudonym(source);
    const summary =
      type === "heartbeat"
        ? `heartbeat ${hb.instanceId ?? ""} inflight=${hb.inflight ?? "?"}`
        : `${type} ${keysOf(data)}`;
    return {
      ...base,
      kind: "topic",
      event: `topic.${type}`,
      from,
      to: `topic:${type}`,
      agentId: type === "heartbeat" ? source : undefined,
      traceId: traceIdOf(m.headers?.get(HEADERS.traceparent)),
      patient: findPatient(data, this.policy),
      summary: summary.trim(),
      payload: r.value,
      redacted: r.count,
    };
  }

  private xstate(base: Base, agentId: string, e: Record<string, unknown>): InspectorRecord {
    const taskId = typeof e.taskId === "string" ? e.taskId : undefined;
    const info = taskId ? this.tasks.get(taskId) : undefined;
    const state = e.state === undefined ? undefined : typeof e.state === "string" ? e.state : JSON.stringify(e.state);
    const type = text(e.type ?? "").replace(/^@xstate\./, "");
    const at = typeof e.at === "number" ? new Date(e.at).toISOString() : base.at;
    return {
      ...base,
      at,
      kind: "xstate",
      event: `xstate.${type || "event"}`,
      from: agentId,
      to: agentId,
      taskId,
      agentId,
      traceId: info?.traceId,
      patient: info?.patient,
      method: info?.skill,
      state,
      summary: `${state ?? ""}${e.event ? ` ← ${text(e.event)}` : ""}`.trim() || type,
      payload: { type: e.type, state, event: e.event },
      redacted: 0,
    };
  }
}

/** A journal or task field as text: a string as it is, anything else as JSON (never "[object Object]"). */
function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return JSON.stringify(v) ?? "";
}

type Base = Pick<InspectorRecord, "id" | "src" | "streamSeq" | "at" | "revealable">;
