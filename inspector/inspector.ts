import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { HEADERS, HmsError, subjects, traceIdOf, type Principal } from "../protocol/index.js";
import { DEFAULT_TENANT } from "../runtime/index.js";
import { openAgentBoard, type AgentBoard } from "./agents.js";
import { Correlator, DEFAULT_MAX_TASKS, isTerminalName, type RawMessage } from "./correlate.js";
import { matcher, type FeedFilter, type Since } from "./filter.js";
import type { AgentView, Conversation, ConversationTask, InspectorRecord } from "./record.js";
import { redactionPolicy, type RedactionOptions, type RedactionPolicy } from "./redact.js";
import { DeliverPolicy } from "@nats-io/jetstream";
import {
  firstEvent,
  mergeBacklog,
  openCursor,
  rawOf,
  startsFor,
  storedMessage,
  STORED_SOURCES,
  subscribeXstate,
  type BusDeps,
  type Cursor,
} from "./source.js";

export const DEFAULT_REPLAY_LIMIT = 5_000;
/** How far before a task's creation its conversation is searched for the tasks that called it. */
export const DEFAULT_CONVERSATION_LOOKBACK_MS = 10 * 60_000;
/** The most stored messages one conversation lookup reads. */
export const DEFAULT_CONVERSATION_SCAN = 100_000;
export const DEFAULT_AUDIT_KEEP = 1_000;

export interface InspectorOptions {
  /** A connection whose streams exist (runtime `connectBus` makes sure of it). */
  nc: NatsConnection;
  /** @defaultValue "default" */
  tenant?: string;
  logger: Logger;
  redaction?: RedactionOptions;
  /** Tasks remembered per reader for correlation. @defaultValue DEFAULT_MAX_TASKS */
  maxTasks?: number;
  /** Receives every reveal; by default it is logged and published on `obs.v1.<tenant>.audit.inspector`. */
  audit?: (entry: RevealAudit) => void;
  /** Health of agents panel; heartbeat age after which an agent is stale. */
  staleMs?: number;
}

export interface RevealAudit {
  at: string;
  subject: string;
  roles: string[];
  recordId: string;
  reason: string;
  streamSubject: string;
  traceId?: string;
}

export interface Feed {
  /** Resolves with the number of replayed records once the replay is done and the feed is live. */
  live: Promise<number>;
  /** Resolves when the feed ended (closed, or the connection closed). */
  done: Promise<void>;
  close(): Promise<void>;
}

export interface FeedRequest {
  filter: FeedFilter;
  since?: Since;
  /** Awaited for each record: a slow reader slows the consumers instead of buffering without bound. */
  onRecord(r: InspectorRecord): void | Promise<void>;
  signal?: AbortSignal;
}

export interface Inspector {
  readonly tenant: string;
  readonly policy: RedactionPolicy;
  /** Live records (after replaying from `since`), filtered and redacted. */
  feed(req: FeedRequest): Promise<Feed>;
  /** Stored records of a past time window, filtered, in time order. */
  replay(req: { from: Date; to?: Date; filter: FeedFilter; limit?: number }): Promise<InspectorRecord[]>;
  /** Every task of the trace of `taskId`, with callers, statuses, artifacts and timings. */
  conversation(taskId: string): Promise<Conversation>;
  agents(): AgentView[];
  onAgentChange(fn: (v: AgentView) => void): () => void;
  /** The unredacted payload of a stored record, for a principal the caller already authorized; audited. */
  reveal(
    recordId: string,
    principal: Principal,
    reason: string,
  ): Promise<{ id: string; subject: string; at: string; payload: unknown }>;
  /** The latest reveals (newest last). */
  audits(): RevealAudit[];
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Opens the operator's view of the bus: task events, the rpc journal and topic facts from
 * JetStream, XState inspection from core NATS, agent cards from KV. Everything it hands out is
 * redacted by the allowlist; only `reveal` returns a stored payload as it is.
 *
 * @example
 * await using insp = await openInspector({ nc: bus.nc, tenant: "default", logger });
 * const feed = await insp.feed({ filter: parseFilter({ agent: "ehr" }), onRecord: (r) => print(r) });
 */
export async function openInspector(opts: InspectorOptions): Promise<Inspector> {
  const tenant = opts.tenant ?? DEFAULT_TENANT;
  const d: BusDeps = { nc: opts.nc, js: jetstream(opts.nc), jsm: await jetstreamManager(opts.nc), tenant };
  const policy = redactionPolicy(opts.redaction);
  const maxTasks = opts.maxTasks ?? DEFAULT_MAX_TASKS;
  const board: AgentBoard = await openAgentBoard(d, { logger: opts.logger, staleMs: opts.staleMs });
  const feeds = new Set<Feed>();
  const audits: RevealAudit[] = [];
  const enc = new TextEncoder();
  const audit =
    opts.audit ??
    ((e: RevealAudit) => {
      opts.logger.info({ audit: e }, "inspector payload revealed");
      d.nc.publish(subjects.inspectorAudit(tenant), enc.encode(JSON.stringify(e)));
    });

  async function feed(req: FeedRequest): Promise<Feed> {
    const corr = new Correlator(policy, maxTasks);
    const match = matcher(req.filter, policy);
    const starts = await startsFor(d, req.since);
    const cursors: Cursor[] = await Promise.all(STORED_SOURCES.map((s) => openCursor(d, s, starts[s])));
    let closed = false;
    let xsub: Subscription | undefined;
    const emit = async (raw: RawMessage) => {
      const r = corr.ingest(raw);
      if (r && !closed && match(r)) await req.onRecord(r);
    };
    let markLive: (n: number) => void = () => undefined;
    const live = new Promise<number>((r) => (markLive = r));
    const done = (async () => {
      let n = 0;
      for await (const raw of mergeBacklog(cursors)) {
        if (closed) break;
        await emit(raw);
        n++;
      }
      markLive(n);
      if (closed) return;
      if (req.filter.xstate) xsub = subscribeXstate(d, (raw) => void emit(raw).catch(() => undefined));
      await Promise.all(
        cursors.map(async (c) => {
          if (c.head) await emit(rawOf(c.src, c.head));
          c.head = undefined;
          for (;;) {
            const m = await c.next();
            if (!m || closed) return;
            await emit(rawOf(c.src, m));
          }
        }),
      );
    })().catch((err: unknown) => {
      if (!closed) opts.logger.warn({ err }, "inspector feed ended");
    });
    const close = async () => {
      if (closed) return;
      closed = true;
      markLive(0);
      xsub?.unsubscribe();
      await Promise.all(cursors.map((c) => c.close()));
      await done;
      feeds.delete(f);
    };
    const f: Feed = { live, done, close };
    feeds.add(f);
    req.signal?.addEventListener("abort", () => void close(), { once: true });
    return f;
  }

  async function replay(req: {
    from: Date;
    to?: Date;
    filter: FeedFilter;
    limit?: number;
  }): Promise<InspectorRecord[]> {
    const limit = req.limit ?? DEFAULT_REPLAY_LIMIT;
    const corr = new Correlator(policy, maxTasks);
    const match = matcher(req.filter, policy);
    const starts = await startsFor(d, { kind: "time", at: req.from });
    const cursors = await Promise.all(STORED_SOURCES.map((s) => openCursor(d, s, starts[s])));
    const out: InspectorRecord[] = [];
    try {
      for await (const raw of mergeBacklog(cursors, req.to ?? new Date())) {
        const r = corr.ingest(raw);
        if (r && match(r)) out.push(r);
        if (out.length >= limit) break;
      }
    } finally {
      await Promise.all(cursors.map((c) => c.close()));
    }
    return out;
  }

  async function conversation(taskId: string): Promise<Conversation> {
    const first = await firstEvent(d, taskId);
    if (!first) throw new HmsError("NOT_FOUND", `no stored events for task ${taskId}`);
    const traceId = traceIdOf(first.headers?.get(HEADERS.traceparent));
    const corr = new Correlator(policy, maxTasks);
    const records: InspectorRecord[] = [];
    const from = new Date(first.at.getTime() - DEFAULT_CONVERSATION_LOOKBACK_MS);
    const start = { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.toISOString() };
    const cursors = await Promise.all((["events", "journal"] as const).map((s) => openCursor(d, s, start)));
    let scanned = 0;
    try {
      for await (const raw of mergeBacklog(cursors, new Date())) {
        if (++scanned > DEFAULT_CONVERSATION_SCAN) break;
        if (
          raw.src === "events" &&
          (traceId ? traceIdOf(raw.headers?.get(HEADERS.traceparent)) !== traceId : !raw.subject.includes(taskId))
        )
          continue;
        const r = corr.ingest(raw);
        if (!r) continue;
        if (r.src === "journal" && (traceId ? r.traceId !== traceId : r.taskId !== taskId)) continue;
        records.push(r);
      }
    } finally {
      await Promise.all(cursors.map((c) => c.close()));
    }
    // Callers learnt later (a caller's result lists the tasks it called) fix earlier records.
    const tasks = new Map<string, ConversationTask>();
    for (const r of records) {
      const info = r.taskId ? corr.task(r.taskId) : undefined;
      if (info && r.kind === "task") {
        if (r.event === "task.created") r.from = info.caller;
        else r.to = info.caller;
      }
      if (info && r.kind === "rpc") r.from = info.caller;
      if (!r.taskId || r.kind !== "task") continue;
      if (r.event === "task.created") {
        tasks.set(r.taskId, {
          taskId: r.taskId,
          agentId: r.to,
          skill: r.method,
          caller: r.from,
          createdAt: r.at,
          state: r.state ?? "SUBMITTED",
          statuses: [{ state: r.state ?? "SUBMITTED", at: r.at }],
          artifacts: [],
        });
        continue;
      }
      const t = tasks.get(r.taskId);
      if (!t) continue;
      if (r.event === "task.status" && r.state) {
        t.state = r.state;
        t.statuses.push({ state: r.state, at: r.at });
        if (isTerminalName(r.state)) {
          t.endedAt = r.at;
          t.ms = Date.parse(r.at) - Date.parse(t.createdAt);
        }
      } else if (r.event === "task.artifact") {
        t.artifacts.push({ name: (r.payload as { name?: string })?.name ?? "artifact", at: r.at });
      }
    }
    const participants: string[] = [];
    for (const t of tasks.values())
      for (const p of [t.caller, t.agentId]) if (!participants.includes(p)) participants.push(p);
    const patient = records.find((r) => r.patient)?.patient;
    return { taskId, traceId, patient, participants, tasks: [...tasks.values()], records };
  }

  async function reveal(recordId: string, principal: Principal, reason: string) {
    const m = await storedMessage(d, recordId);
    const entry: RevealAudit = {
      at: new Date().toISOString(),
      subject: principal.subject,
      roles: [...principal.roles],
      recordId,
      reason,
      streamSubject: m.subject,
      traceId: m.traceId,
    };
    audits.push(entry);
    if (audits.length > DEFAULT_AUDIT_KEEP) audits.shift();
    audit(entry);
    return { id: recordId, subject: m.subject, at: m.at, payload: m.payload };
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await Promise.all([...feeds].map((f) => f.close()));
      await board.close();
    })());
  return {
    tenant,
    policy,
    feed,
    replay,
    conversation,
    agents: () => board.list(),
    onAgentChange: (fn) => board.onChange(fn),
    reveal,
    audits: () => [...audits],
    close,
    [Symbol.asyncDispose]: close,
  };
}
