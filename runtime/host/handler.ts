import { createHash, randomUUID } from "node:crypto";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/nats-core";
import type { JetStreamClient } from "@nats-io/jetstream";
import {
  type AgentCard,
  type Message,
  SendMessageRequest,
  Task,
  ListTasksResponse,
  StreamResponse,
  taskStateToJSON,
  type CancelTaskRequest,
  type GetTaskRequest,
  type ListTasksRequest,
  type SubscribeToTaskRequest,
  type TaskPushNotificationConfig,
  type ListTaskPushNotificationConfigsResponse,
} from "@a2a-js/sdk";
import type { A2ARequestHandler, ServerCallContext } from "@a2a-js/sdk/server";
import {
  PushNotificationNotSupportedError,
  TaskNotCancelableError,
  TaskNotFoundError,
  UnsupportedOperationError,
} from "@a2a-js/sdk/errors";
import type { Logger } from "pino";
import {
  HmsError,
  HEADERS,
  isInterrupted,
  isTerminal,
  subjects,
  type Principal,
  type TaskStateName,
  type WireMessage,
  type WireStreamResponse,
  type WireTask,
} from "../../protocol/index.js";
import { appendEvent, liveEvents, storedEvents, type SequencedEvent } from "./event-log.js";
import { type KvTaskStore, applyEvent, newTask, stateOf, withHistoryLength, type StoredTask } from "./task-store.js";

/** Per-request values the NATS adapter puts in ServerCallContext.state. */
export interface CallState {
  principal?: Principal;
  traceparent: string;
  deadline: number;
  lastSeq?: number;
  skill?: string;
  /** Agent id of the calling agent (HMS-Caller), absent for external callers. */
  caller?: string;
}
export const CALL_STATE_KEY = "hms";

/** The work item handed to whichever instance pulls it (JetStream work queue). */
export interface WorkItem {
  taskId: string;
  contextId: string;
  skill: string;
  principal?: Principal;
  traceparent: string;
  /**
   * The task as it was stored when accepted, and its KV revision: a first delivery starts from it
   * without reading the store (its first write is a compare-and-set on that revision, so anything
   * that happened meanwhile, a cancel or another instance's start, is seen there). The skill's
   * input is the data part of the task's first message. Absent in work items queued by an older
   * version: the worker then reads the task.
   */
  accepted?: { stored: StoredTask; revision: number };
}

const enc = new TextEncoder();
export const SEQ_METADATA_KEY = "hms/seq";

export interface HandlerDeps {
  agentId: string;
  tenant: string;
  card: AgentCard;
  nc: NatsConnection;
  js: JetStreamClient;
  store: KvTaskStore;
  logger: Logger;
}

/**
 * A2A request handler backed by NATS: tasks in KV, events in JetStream, work in a JetStream work
 * queue. Any instance can answer any method for any task, and a task survives the instance that
 * accepted it. Methods take and return the SDK's types; `JsonRpcTransportHandler` does the wire.
 */
export class DurableRequestHandler implements A2ARequestHandler {
  constructor(private readonly d: HandlerDeps) {}

  async getAgentCard(): Promise<AgentCard> {
    return this.d.card;
  }
  async getAuthenticatedExtendedAgentCard(): Promise<AgentCard> {
    throw new UnsupportedOperationError("Agent does not support authenticated extended card.");
  }

  private call(ctx: ServerCallContext): CallState {
    return ctx.state.get(CALL_STATE_KEY) as CallState;
  }

  /**
   * Accepts a message: idempotent on messageId (A2A#1987), creates the task, records event 1,
   * hands the work over. Returns the task id and whether it was created by this call.
   */
  private async accept(
    params: SendMessageRequest,
    ctx: ServerCallContext,
  ): Promise<{ taskId: string; created: boolean }> {
    const call = this.call(ctx);
    const wire = SendMessageRequest.toJSON(params) as { message: WireMessage };
    const message = wire.message;
    if (message.taskId) {
      throw new UnsupportedOperationError(
        "follow-up messages to an existing task are not supported by this agent; start a new task",
      );
    }
    const taskId = taskIdFor(this.d.agentId, message.messageId);
    const contextId = message.contextId ?? randomUUID();
    const msg: WireMessage = { ...message, taskId, contextId };
    const task = newTask(taskId, contextId, msg, {
      skill: call.skill,
      agentId: this.d.agentId,
      traceparent: call.traceparent,
      ...(call.caller ? { callerAgentId: call.caller } : {}),
    });
    const stored: StoredTask = {
      task,
      seq: 1,
      agentId: this.d.agentId,
      skill: call.skill ?? "",
      owner: call.principal?.subject ?? "anonymous",
      traceparent: call.traceparent,
      updatedAt: new Date().toISOString(),
    };
    let revision: number;
    try {
      // Creating the task is the idempotency check (A2A#1987): the id is derived from messageId.
      revision = await this.d.store.create(stored);
    } catch (err) {
      if (!HmsError.is(err, "CONFLICT")) throw err;
      const existing = await this.d.store.loadWithRevision(taskId);
      this.d.logger.info(
        { messageId: message.messageId, taskId },
        "duplicate messageId: answering with the original task",
      );
      // The first send may have died between storing the task and handing its work over: send the
      // work again. JetStream drops it as a duplicate (msgID = task id) if the first one went out.
      if (existing?.stored.task.status.state === "TASK_STATE_SUBMITTED") await this.handOver(existing, call);
      return { taskId, created: false };
    }
    await Promise.all([
      appendEvent(this.d.js, this.d.tenant, taskId, 1, { task }, call.traceparent),
      this.handOver({ stored, revision }, call),
    ]);
    return { taskId, created: true };
  }

  /** Publishes the work item of a task to the agent's durable work queue (deduplicated by task id). */
  private async handOver(accepted: { stored: StoredTask; revision: number }, call: CallState): Promise<void> {
    const task = accepted.stored.task;
    const item: WorkItem = {
      taskId: task.id,
      contextId: task.contextId ?? "",
      skill: accepted.stored.skill,
      principal: call.principal,
      traceparent: call.traceparent,
      accepted,
    };
    const h = natsHeaders();
    h.set(HEADERS.traceparent, call.traceparent);
    await this.d.js.publish(subjects.work(this.d.tenant, this.d.agentId), enc.encode(JSON.stringify(item)), {
      msgID: item.taskId,
      headers: h,
    });
  }

  async sendMessage(params: SendMessageRequest, ctx: ServerCallContext): Promise<Message | Task> {
    const call = this.call(ctx);
    const messageId = params.message?.messageId ?? "";
    const taskId = taskIdFor(this.d.agentId, messageId);
    // Subscribe before accepting, so no event of the task can slip past; fold events locally.
    const events = liveEvents(this.d.nc, this.d.tenant, taskId);
    let task: WireTask | undefined;
    try {
      const r = await this.accept(params, ctx);
      if (!params.configuration?.returnImmediately) {
        // Block until the task ends or needs input, or until just before the caller's deadline.
        const until = call.deadline - 250;
        const settled = (t: WireTask | undefined) =>
          !!t && (isTerminal(t.status.state) || isInterrupted(t.status.state));
        // A new task's events all arrive on our subscription: fold them locally, no store reads.
        // A duplicate send (or a gap in the numbering) watches the stored task instead.
        let local: WireTask | undefined;
        let last = 0;
        let fromStore = !r.created;
        while (!task && Date.now() < until) {
          const ev = await events.next(Math.max(1, Math.min(fromStore ? 250 : 1_000, until - Date.now())));
          if (ev && !fromStore) {
            if (ev.seq === last + 1) {
              last = ev.seq;
              local = local ? applyEvent(local, ev.event) : "task" in ev.event ? ev.event.task : undefined;
              if (settled(local)) task = local;
              continue;
            }
            fromStore = true;
          }
          if (fromStore || !ev) {
            const stored = await this.d.store.load(taskId);
            if (settled(stored?.task)) task = stored!.task;
          }
        }
      }
    } finally {
      events.sub.unsubscribe();
    }
    if (!task) task = (await this.d.store.load(taskId))?.task;
    if (!task) throw new TaskNotFoundError(`Task not found: ${taskId}`);
    return Task.fromJSON(withHistoryLength(task, params.configuration?.historyLength));
  }

  async *sendMessageStream(
    params: SendMessageRequest,
    ctx: ServerCallContext,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    const taskId = taskIdFor(this.d.agentId, params.message?.messageId ?? "");
    // Subscribed before the work is handed over (same connection, so the server has our interest
    // first): a new task's events all arrive live, and only a duplicate send needs a replay.
    const live = liveEvents(this.d.nc, this.d.tenant, taskId);
    let created: boolean;
    try {
      created = (await this.accept(params, ctx)).created;
    } catch (err) {
      live.sub.unsubscribe();
      throw err;
    }
    yield* this.follow(taskId, ctx, 0, !created, live);
  }

  async *resubscribe(
    params: SubscribeToTaskRequest,
    ctx: ServerCallContext,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    const call = this.call(ctx);
    const stored = await this.d.store.load(params.id);
    if (!stored) throw new TaskNotFoundError(`Task not found: ${params.id}`);
    if (call.lastSeq === undefined && isTerminal(stored.task.status.state)) {
      throw new UnsupportedOperationError(
        `Task ${params.id} is in a terminal state (${stored.task.status.state}) and cannot be subscribed to.`,
      );
    }
    if (call.lastSeq === undefined) {
      // A2A §9.4.6: the first item is the current task; then its events from now on.
      yield withSeq({ task: stored.task }, stored.seq);
      yield* this.follow(params.id, ctx, stored.seq, false);
    } else {
      yield* this.follow(params.id, ctx, call.lastSeq, true);
    }
  }

  /**
   * Yields the task's events with A2A-Seq > afterSeq: first the stored ones (JetStream replay),
   * then live ones, until a terminal or interrupted state or the caller's deadline.
   */
  private async *follow(
    taskId: string,
    ctx: ServerCallContext,
    afterSeq: number,
    replay: boolean,
    subscribed?: ReturnType<typeof liveEvents>,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    const call = this.call(ctx);
    const live = subscribed ?? liveEvents(this.d.nc, this.d.tenant, taskId);
    try {
      if (!subscribed) await this.d.nc.flush();
      let last = afterSeq;
      let done = false;
      const emit = (e: SequencedEvent): StreamResponse | undefined => {
        if (e.seq <= last) return undefined;
        last = e.seq;
        const s = stateOf(e.event);
        if (s && (isTerminal(s) || isInterrupted(s))) done = true;
        return withSeq(e.event, e.seq);
      };
      if (replay) {
        for (const e of await storedEvents(this.d.js, this.d.tenant, taskId, afterSeq)) {
          const out = emit(e);
          if (out) yield out;
          if (done) return;
        }
      }
      while (!done && Date.now() < call.deadline) {
        const e = await live.next(Math.max(1, Math.min(1_000, call.deadline - Date.now())));
        if (e) {
          const out = emit(e);
          if (out) yield out;
        } else {
          // Quiet: make sure we did not miss the end (an event published before we subscribed).
          const stored = await this.d.store.load(taskId);
          if (stored && stored.seq > last) {
            for (const m of await storedEvents(this.d.js, this.d.tenant, taskId, last)) {
              const out = emit(m);
              if (out) yield out;
            }
          }
        }
      }
    } finally {
      live.sub.unsubscribe();
    }
  }

  async getTask(params: GetTaskRequest, ctx: ServerCallContext): Promise<Task> {
    const stored = await this.readable(params.id, ctx);
    return Task.fromJSON(withHistoryLength(stored.task, params.historyLength));
  }

  /** Loads a task the caller may see; another owner's task is reported as not found (no existence leak). */
  private async readable(taskId: string, ctx: ServerCallContext): Promise<StoredTask> {
    const stored = await this.d.store.load(taskId);
    const p = this.call(ctx).principal;
    if (!stored || (!sees(p) && stored.owner !== p?.subject)) throw new TaskNotFoundError(`Task not found: ${taskId}`);
    return stored;
  }

  async listTasks(params: ListTasksRequest, ctx: ServerCallContext): Promise<ListTasksResponse> {
    const p = this.call(ctx).principal;
    const privileged = sees(p);
    const status = params.status ? (taskStateToJSON(params.status) as TaskStateName) : undefined;
    const all = (await this.d.store.list()).filter(
      (s) =>
        (privileged || s.owner === p?.subject) &&
        (!params.contextId || s.task.contextId === params.contextId) &&
        (!status || s.task.status.state === status) &&
        (!params.statusTimestampAfter || (s.task.status.timestamp ?? "") > params.statusTimestampAfter),
    );
    const pageSize = params.pageSize ?? 50;
    const start = params.pageToken ? Number(Buffer.from(params.pageToken, "base64url").toString()) || 0 : 0;
    const page = all.slice(start, start + pageSize).map((s) => {
      const t: WireTask = withHistoryLength(s.task, params.historyLength);
      return params.includeArtifacts ? t : { ...t, artifacts: [] };
    });
    const next = start + pageSize < all.length ? Buffer.from(String(start + pageSize)).toString("base64url") : "";
    return ListTasksResponse.fromJSON({ tasks: page, nextPageToken: next, pageSize, totalSize: all.length });
  }

  async cancelTask(params: CancelTaskRequest, ctx: ServerCallContext): Promise<Task> {
    const stored = await this.readable(params.id, ctx);
    const state = stored.task.status.state;
    if (state === "TASK_STATE_CANCELED") return Task.fromJSON(stored.task);
    if (isTerminal(state)) throw new TaskNotCancelableError(`Task not cancelable: ${params.id} is ${state}`);
    const ev: WireStreamResponse = {
      statusUpdate: {
        taskId: params.id,
        contextId: stored.task.contextId,
        status: {
          state: "TASK_STATE_CANCELED",
          timestamp: new Date().toISOString(),
          message: {
            messageId: randomUUID(),
            role: "ROLE_AGENT",
            taskId: params.id,
            contextId: stored.task.contextId,
            parts: [{ text: "Task canceled at the client's request." }],
          },
        },
      },
    };
    const after = (await emitEvent(this.d, params.id, () => [ev]))?.stored;
    // Tell whichever instance runs it to stop (every instance listens; no queue group).
    this.d.nc.publish(
      subjects.cancel(this.d.tenant, this.d.agentId),
      enc.encode(JSON.stringify({ taskId: params.id })),
    );
    if (!after || after.task.status.state !== "TASK_STATE_CANCELED")
      throw new TaskNotCancelableError(`Task not cancelable: ${params.id} finished first`);
    return Task.fromJSON(after.task);
  }

  async createTaskPushNotificationConfig(): Promise<TaskPushNotificationConfig> {
    throw new PushNotificationNotSupportedError();
  }
  async getTaskPushNotificationConfig(): Promise<TaskPushNotificationConfig> {
    throw new PushNotificationNotSupportedError();
  }
  async listTaskPushNotificationConfigs(): Promise<ListTaskPushNotificationConfigsResponse> {
    throw new PushNotificationNotSupportedError();
  }
  async deleteTaskPushNotificationConfig(): Promise<void> {
    throw new PushNotificationNotSupportedError();
  }
}

function withSeq(ev: WireStreamResponse, seq: number): StreamResponse {
  const tag = (m: Record<string, unknown> | undefined) => ({ ...m, [SEQ_METADATA_KEY]: seq });
  let out: WireStreamResponse;
  if ("task" in ev) out = { task: { ...ev.task, metadata: tag(ev.task.metadata) } };
  else if ("statusUpdate" in ev)
    out = { statusUpdate: { ...ev.statusUpdate, metadata: tag(ev.statusUpdate.metadata) } };
  else if ("artifactUpdate" in ev)
    out = { artifactUpdate: { ...ev.artifactUpdate, metadata: tag(ev.artifactUpdate.metadata) } };
  else out = ev;
  return StreamResponse.fromJSON(out);
}

/**
 * Appends events to a task in one compare-and-set on the stored task (which reserves their
 * sequence numbers and folds them in), then publishes them. `make` builds the events from the
 * current task and may throw to refuse. Terminal tasks take no more events: `changed` is false.
 */
export async function emitEvent(
  d: { js: JetStreamClient; store: KvTaskStore; tenant: string },
  taskId: string,
  make: (cur: StoredTask) => WireStreamResponse[],
): Promise<{ stored: StoredTask; changed: boolean } | undefined> {
  let evs: WireStreamResponse[] = [];
  const r = await d.store.update(taskId, (cur) => {
    evs = make(cur);
    return {
      ...cur,
      task: evs.reduce(applyEvent, cur.task),
      seq: cur.seq + evs.length,
      updatedAt: new Date().toISOString(),
    };
  });
  if (r?.changed)
    await Promise.all(
      evs.map((ev, i) =>
        appendEvent(d.js, d.tenant, taskId, r.stored.seq - evs.length + 1 + i, ev, r.stored.traceparent),
      ),
    );
  return r;
}

/** Whether a caller sees every task of the tenant (no principal: an in-process caller; admins, agents, operators). */
function sees(p: Principal | undefined): boolean {
  return !p || p.roles.includes("admin") || p.roles.includes("agent") || p.roles.includes("operator");
}

/** A UUID-shaped task id derived from (agent, messageId): the idempotency key of SendMessage. */
export function taskIdFor(agentId: string, messageId: string): string {
  const h = createHash("sha256").update(`${agentId}\u0000${messageId}`).digest("hex");
  // Version-8 (custom) UUID layout: 8-4-4-4-12 with the version and variant nibbles set.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
