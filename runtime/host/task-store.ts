import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import {
  BUCKETS,
  HmsError,
  isTerminal,
  type TaskStateName,
  type WireArtifact,
  type WireMessage,
  type WireStreamResponse,
  type WireTask,
} from "../../protocol/index.js";

/** What the tasks bucket holds per task: the task as wire JSON and the last event sequence folded in. */
export interface StoredTask {
  task: WireTask;
  /** Per-task event sequence (A2A-Seq) of the newest event applied. */
  seq: number;
  agentId: string;
  /** Skill verb the task runs. */
  skill: string;
  /** Principal subject that created it (owner scoping for GetTask/ListTasks). */
  owner: string;
  traceparent?: string;
  updatedAt: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Tasks in a JetStream KV bucket, keyed `<tenant>.<taskId>`. Writes are compare-and-set on the
 * entry's revision, and a terminal task is never overwritten: a late event from an instance that
 * lost a race (cancel vs. completion) is dropped instead of resurrecting the task.
 */
export class KvTaskStore {
  /**
   * @param js - lists the bucket's stream in one pass (ListTasks).
   * @param bucket - the bucket's name. @defaultValue BUCKETS.tasks
   */
  constructor(
    private readonly kv: KV,
    private readonly tenant: string,
    private readonly js: JetStreamClient,
    private readonly bucket: string = BUCKETS.tasks,
  ) {}

  private key(taskId: string): string {
    return `${this.tenant}.${taskId}`;
  }

  async load(taskId: string): Promise<StoredTask | undefined> {
    if (!/^[A-Za-z0-9_=-]{1,128}$/.test(taskId)) return undefined;
    const e = await this.kv.get(this.key(taskId));
    if (!e || e.operation !== "PUT" || e.value.length === 0) return undefined;
    return JSON.parse(dec.decode(e.value)) as StoredTask;
  }

  /** Creates the entry and returns its revision; throws CONFLICT when it exists. */
  async create(stored: StoredTask): Promise<number> {
    try {
      return await this.kv.create(this.key(stored.task.id), enc.encode(JSON.stringify(stored)));
    } catch (err) {
      throw new HmsError("CONFLICT", `task ${stored.task.id} already exists`, { cause: err });
    }
  }

  /**
   * Applies `mutate` with compare-and-set, retrying on concurrent writers. Returns the stored value
   * and whether it changed (a terminal task, or mutate returning undefined, leaves it unchanged).
   */
  async update(
    taskId: string,
    mutate: (cur: StoredTask) => StoredTask | undefined,
  ): Promise<{ stored: StoredTask; revision: number; changed: boolean } | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const e = await this.kv.get(this.key(taskId));
      if (!e || e.operation !== "PUT") return undefined;
      const cur = JSON.parse(dec.decode(e.value)) as StoredTask;
      if (isTerminal(cur.task.status.state)) return { stored: cur, revision: e.revision, changed: false };
      const next = mutate(cur);
      if (!next) return { stored: cur, revision: e.revision, changed: false };
      try {
        const revision = await this.kv.update(this.key(taskId), enc.encode(JSON.stringify(next)), e.revision);
        return { stored: next, revision, changed: true };
      } catch {
        // revision moved: read again
      }
    }
    throw new HmsError("CONFLICT", `task ${taskId} is being updated concurrently`);
  }

  /** The stored task and its KV revision (for a writer that owns the task). */
  async loadWithRevision(taskId: string): Promise<{ stored: StoredTask; revision: number } | undefined> {
    const e = await this.kv.get(this.key(taskId));
    if (!e || e.operation !== "PUT" || e.value.length === 0) return undefined;
    return { stored: JSON.parse(dec.decode(e.value)) as StoredTask, revision: e.revision };
  }

  /**
   * Compare-and-set against a known revision; on a conflict (someone else wrote, e.g. a cancel)
   * falls back to {@link update}. Returns the new stored value, revision and whether it changed.
   */
  async updateAt(
    taskId: string,
    known: { stored: StoredTask; revision: number },
    mutate: (cur: StoredTask) => StoredTask,
  ): Promise<{ stored: StoredTask; revision: number; changed: boolean } | undefined> {
    if (!isTerminal(known.stored.task.status.state)) {
      const next = mutate(known.stored);
      try {
        const revision = await this.kv.update(this.key(taskId), enc.encode(JSON.stringify(next)), known.revision);
        return { stored: next, revision, changed: true };
      } catch {
        // moved on: take the slow path
      }
    }
    return this.update(taskId, mutate);
  }

  /**
   * The newest `limit` tasks of this tenant (by last update), for ListTasks: one ordered consumer
   * reads the last value of every key of the tenant from the bucket's stream (one pass, not a read
   * per task), then they are sorted and cut.
   */
  async list(limit = 1000): Promise<StoredTask[]> {
    const consumer = await this.js.consumers.get(`KV_${this.bucket}`, {
      filter_subjects: `$KV.${this.bucket}.${this.tenant}.*`,
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    const out: StoredTask[] = [];
    try {
      const pending = (await consumer.info(true)).num_pending;
      if (pending === 0) return out;
      const msgs = await consumer.fetch({ max_messages: pending, expires: 5_000 });
      for await (const m of msgs) {
        const op = m.headers?.get("KV-Operation");
        if (op !== "DEL" && op !== "PURGE" && m.data.length > 0) out.push(JSON.parse(dec.decode(m.data)) as StoredTask);
        if (m.info.pending === 0) break;
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
    return out.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1)).slice(0, limit);
  }
}

/** Folds one stream event into a task (A2A §3.1.2 semantics: status replaces, artifacts append or replace by id). */
export function applyEvent(task: WireTask, ev: WireStreamResponse): WireTask {
  if ("task" in ev) return ev.task;
  if ("statusUpdate" in ev) {
    const history = [...(task.history ?? [])];
    const msg = ev.statusUpdate.status.message;
    if (msg) history.push(msg);
    return { ...task, status: ev.statusUpdate.status, history };
  }
  if ("artifactUpdate" in ev) {
    const a = ev.artifactUpdate.artifact;
    const artifacts = [...(task.artifacts ?? [])];
    const i = artifacts.findIndex((x) => x.artifactId === a.artifactId);
    const prev = artifacts[i];
    if (prev === undefined) artifacts.push(a);
    else artifacts[i] = ev.artifactUpdate.append ? mergeArtifact(prev, a) : a;
    return { ...task, artifacts };
  }
  return task;
}

function mergeArtifact(a: WireArtifact, b: WireArtifact): WireArtifact {
  return { ...a, parts: [...a.parts, ...b.parts], metadata: { ...a.metadata, ...b.metadata } };
}

export function newTask(
  id: string,
  contextId: string,
  message: WireMessage,
  metadata: Record<string, unknown>,
): WireTask {
  return {
    id,
    contextId,
    status: { state: "TASK_STATE_SUBMITTED", timestamp: new Date().toISOString() },
    artifacts: [],
    history: [message],
    metadata,
  };
}

export function stateOf(ev: WireStreamResponse): TaskStateName | undefined {
  if ("task" in ev) return ev.task.status.state;
  if ("statusUpdate" in ev) return ev.statusUpdate.status.state;
  return undefined;
}

/** Applies A2A historyLength: 0 drops history, n keeps the last n messages. */
export function withHistoryLength(task: WireTask, historyLength?: number): WireTask {
  if (historyLength === undefined) return task;
  return { ...task, history: historyLength === 0 ? [] : (task.history ?? []).slice(-historyLength) };
}
