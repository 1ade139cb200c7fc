import { randomUUID } from "node:crypto";
import { AckPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { createActor, toPromise, type InspectionEvent } from "xstate";
import type { Logger } from "pino";
import {
  HmsError,
  RESULT_ARTIFACT_NAME,
  SKILL_CALL_MEDIA_TYPE,
  STREAMS,
  invalidInput,
  isTerminal,
  subjects,
  traceIdOf,
  type WireStreamResponse,
} from "../../protocol/index.js";
import { TRANSIENT_PROGRESS_MS, checkedOutput, type SkillContext, type SkillDef } from "./define.js";
import { emitEvent, type WorkItem } from "./handler.js";
import { appendEvent } from "./event-log.js";
import { applyEvent, type KvTaskStore, type StoredTask } from "./task-store.js";
import { taskMachine } from "./task-machine.js";

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_CONCURRENCY = 32;
export const DEFAULT_MAX_DELIVER = 5;

export interface WorkerDeps {
  agentId: string;
  tenant: string;
  instanceId: string;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  store: KvTaskStore;
  skills: ReadonlyMap<string, SkillDef>;
  logger: Logger;
  /** Builds the handler's context (bus calls, publish) for one task. */
  context(item: WorkItem, base: Omit<SkillContext, "call" | "publish" | "calls" | "state" | "agentCard">): SkillContext;
  /** @defaultValue DEFAULT_ACK_WAIT_MS */
  ackWaitMs?: number;
  /** @defaultValue DEFAULT_CONCURRENCY */
  concurrency?: number;
  /** Receives XState inspection events (already stripped of payloads). */
  inspect?: (ev: { taskId: string; type: string; state?: unknown; event?: string }) => void;
}

export interface Worker {
  inflight(): number;
  /** Stops pulling; running tasks are aborted and left unacknowledged for another instance. */
  close(): Promise<void>;
}

/**
 * Pulls accepted work from the agent's durable consumer (shared by every instance) and runs it.
 * A message is acknowledged only after the task reached a terminal or interrupted state, so the
 * work of an instance killed mid-task is redelivered after ack_wait to another instance.
 */
export async function startWorker(d: WorkerDeps): Promise<Worker> {
  const ackWaitMs = d.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  const concurrency = d.concurrency ?? DEFAULT_CONCURRENCY;
  const durable = `work-${d.tenant}-${d.agentId}`;
  const cfg = {
    durable_name: durable,
    filter_subject: subjects.work(d.tenant, d.agentId),
    ack_policy: AckPolicy.Explicit,
    ack_wait: ackWaitMs * 1_000_000,
    max_deliver: DEFAULT_MAX_DELIVER,
    max_ack_pending: 10_000,
  };
  // Create the shared durable only when it is missing: re-adding an existing consumer that has
  // unacknowledged work can reset its delivery state on nats-server 2.9.
  const exists = await d.jsm.consumers.info(STREAMS.work, durable).then(
    () => true,
    () => false,
  );
  if (!exists) {
    try {
      await d.jsm.consumers.add(STREAMS.work, cfg);
    } catch (err) {
      // Another instance created it meanwhile.
      if (
        !(await d.jsm.consumers.info(STREAMS.work, durable).then(
          () => true,
          () => false,
        ))
      )
        throw err;
    }
  }
  const consumer = await d.js.consumers.get(STREAMS.work, durable);
  const running = new Map<string, AbortController>();
  const cancelSub = d.nc.subscribe(subjects.cancel(d.tenant, d.agentId), {
    callback: (_e, m) => {
      try {
        const { taskId } = JSON.parse(new TextDecoder().decode(m.data)) as { taskId: string };
        running.get(taskId)?.abort(new HmsError("INTERNAL", "task canceled"));
      } catch {
        // not ours to judge: ignore malformed cancel notices
      }
    },
  });
  const messages = await consumer.consume({ max_messages: concurrency });
  let slots = concurrency;
  let wakeSlot: (() => void) | undefined;
  const loop = (async () => {
    for await (const m of messages) {
      while (slots <= 0) await new Promise<void>((r) => (wakeSlot = r));
      slots--;
      void handle(m).finally(() => {
        slots++;
        wakeSlot?.();
        wakeSlot = undefined;
      });
    }
  })();

  async function handle(m: JsMsg): Promise<void> {
    let item: WorkItem;
    try {
      item = JSON.parse(new TextDecoder().decode(m.data)) as WorkItem;
    } catch {
      d.logger.error({ seq: m.seq }, "unreadable work item dropped");
      m.term();
      return;
    }
    const log = d.logger.child({ taskId: item.taskId, traceId: traceIdOf(item.traceparent), skill: item.skill });
    if (running.has(item.taskId)) {
      // The same work delivered again while this instance still runs it (seen on nats-server 2.9
      // after a redelivery): the running copy acknowledges it when done.
      log.debug({ deliveries: m.info.deliveryCount }, "duplicate delivery of a running task ignored");
      return;
    }
    // A first delivery starts from the task as accepted (no read); a redelivery reads it again.
    const known = m.info.redelivered || !item.accepted ? await d.store.loadWithRevision(item.taskId) : item.accepted;
    if (!known || isTerminal(known.stored.task.status.state)) {
      m.ack();
      return;
    }
    const ac = new AbortController();
    running.set(item.taskId, ac);
    // Keep the message ours while we work: ack_wait restarts with every working().
    const keepAlive = setInterval(() => m.working(), Math.max(200, ackWaitMs / 3));
    try {
      await run(item, known, ac.signal, m.info.redelivered, log, m.info.deliveryCount);
      if (shuttingDown) m.nak();
      else m.ack();
    } catch (err) {
      log.error({ err }, "task run failed unexpectedly; leaving it for redelivery");
      m.nak(1_000);
    } finally {
      clearInterval(keepAlive);
      running.delete(item.taskId);
    }
  }

  async function run(
    item: WorkItem,
    known: { stored: StoredTask; revision: number },
    signal: AbortSignal,
    redeliveredMsg: boolean,
    log: Logger,
    deliveries: number,
  ): Promise<void> {
    const skill = d.skills.get(item.skill);
    const status = (state: StatusState, text: string, data?: unknown) => statusOf(item, state, text, data);
    let pendingProgress: { message: string; data?: Record<string, unknown> } | undefined;
    let progressLoop: Promise<void> | undefined;
    // Transient progress: the time of the last one let through, and the newest one held back.
    let transientAt = -Infinity;
    let heldBack: { message: string; data?: Record<string, unknown> } | undefined;
    let heldTimer: NodeJS.Timeout | undefined;
    let ended = false;
    // This instance owns the task: compare-and-set against the revision it last wrote, fold the
    // events in, then publish them without waiting for each ack (JetStream keeps their order);
    // the acks are awaited before the work item is acknowledged.
    let cur: { stored: StoredTask; revision: number } = known;
    const pending: Promise<unknown>[] = [];
    // Serialized: a skill may fire progress without awaiting it, and each event's sequence number
    // comes from the previous write.
    let chain: Promise<unknown> = Promise.resolve();
    const emit = (...evs: WireStreamResponse[]): Promise<void> => {
      const next = chain.then(() => emitNow(...evs));
      chain = next.catch(() => undefined);
      return next;
    };
    const emitNow = async (...evs: WireStreamResponse[]) => {
      const r = await d.store.updateAt(item.taskId, cur, (s) => ({
        ...s,
        task: evs.reduce((t, ev) => applyEvent(t, ev), s.task),
        seq: s.seq + evs.length,
        updatedAt: new Date().toISOString(),
      }));
      if (!r) return;
      cur = { stored: r.stored, revision: r.revision };
      if (!r.changed) return;
      evs.forEach((ev, i) =>
        pending.push(appendEvent(d.js, d.tenant, item.taskId, r.stored.seq - evs.length + 1 + i, ev, item.traceparent)),
      );
    };
    if (!skill) {
      await emit(
        status("TASK_STATE_FAILED", `unknown skill ${item.skill}`, {
          error: { code: "INVALID_INPUT", message: `unknown skill ${item.skill}` },
        }),
      );
      await Promise.all(pending);
      return;
    }
    // Mark the task working, in one compare-and-set. A task whose status had already moved past
    // SUBMITTED was started before (by an instance that died, or by this work delivered again:
    // nats-server 2.9 can redeliver with a reset counter), whatever the delivery counter says. A
    // task that ended meanwhile (canceled before it started) is left as it is and not run.
    let redelivered = redeliveredMsg;
    let started: WireStreamResponse | undefined;
    const marked = await d.store.updateAt(item.taskId, cur, (s) => {
      redelivered = redeliveredMsg || s.task.status.state !== "TASK_STATE_SUBMITTED";
      started = status(
        "TASK_STATE_WORKING",
        redelivered ? `${item.skill}: resumed on ${d.instanceId}` : `${item.skill}: started`,
      );
      return { ...s, task: applyEvent(s.task, started), seq: s.seq + 1, updatedAt: new Date().toISOString() };
    });
    if (!marked?.changed || !started) {
      log.info({ state: marked?.stored.task.status.state }, "task ended before it started: not run");
      return;
    }
    cur = { stored: marked.stored, revision: marked.revision };
    pending.push(appendEvent(d.js, d.tenant, item.taskId, marked.stored.seq, started, item.traceparent));
    if (redelivered) log.warn({ deliveries }, "resuming a task whose first instance did not finish it");
    // The start is a status update too: transient progress waits its turn after it.
    transientAt = Date.now();
    const ctx = d.context(item, {
      agentId: d.agentId,
      taskId: item.taskId,
      contextId: item.contextId,
      traceId: traceIdOf(item.traceparent) ?? "",
      principal: item.principal,
      logger: log,
      signal,
      redelivered,
      // Progress coalesces: while one update is being written, newer ones replace each other, so
      // a skill reporting faster than the store can take costs at most one write in flight and the
      // latest message always arrives.
      progress: (message, data, opts) => {
        if (ended) return Promise.resolve();
        if (opts?.transient) {
          const wait = transientAt + TRANSIENT_PROGRESS_MS - Date.now();
          if (wait > 0) {
            heldBack = { message, data };
            heldTimer ??= setTimeout(() => {
              heldTimer = undefined;
              const p = heldBack;
              heldBack = undefined;
              if (p && !ended) void progress(p).catch(() => undefined);
            }, wait);
            return Promise.resolve();
          }
        }
        return progress({ message, data });
      },
      inputRequired: async (message, data) => {
        throw new InputRequiredSignal(message, data);
      },
      finishTask: (taskId, result) => finishTask(taskId, result, log),
    });
    function progress(p: { message: string; data?: Record<string, unknown> }): Promise<void> {
      // Whatever goes out now supersedes a transient update still held back.
      heldBack = undefined;
      clearTimeout(heldTimer);
      heldTimer = undefined;
      pendingProgress = p;
      progressLoop ??= (async () => {
        while (pendingProgress) {
          const next = pendingProgress;
          pendingProgress = undefined;
          // The rate limit counts from the update's own timestamp (a write in flight delays it).
          transientAt = Date.now();
          await emit(status("TASK_STATE_WORKING", next.message, next.data));
        }
        progressLoop = undefined;
      })();
      return progressLoop;
    }
    const actor = createActor(taskMachine, {
      input: {
        run: async () => {
          const parsed = skill.input.safeParse(inputOf(known.stored));
          if (!parsed.success) throw invalidInput(parsed.error);
          return checkedOutput(skill, await skill.handler(parsed.data, ctx));
        },
      },
      inspect: d.inspect ? (ev: InspectionEvent) => inspectBridge(ev, item.taskId, d.inspect!) : undefined,
    });
    const onAbort = () => actor.send({ type: "CANCEL" });
    signal.addEventListener("abort", onAbort, { once: true });
    actor.start();
    await toPromise(actor).catch(() => undefined);
    signal.removeEventListener("abort", onAbort);
    ended = true;
    clearTimeout(heldTimer);
    const snap = actor.getSnapshot();
    if (snap.value === "canceled") {
      log.info("task canceled");
    } else if (snap.value === "succeeded") {
      await emit(
        {
          artifactUpdate: {
            taskId: item.taskId,
            contextId: item.contextId,
            artifact: {
              artifactId: `${item.taskId}-result`,
              name: RESULT_ARTIFACT_NAME,
              parts: [{ data: snap.context.output, mediaType: SKILL_CALL_MEDIA_TYPE }],
              metadata: { calledTaskIds: ctx.calls.flatMap((c) => (c.taskId ? [c.taskId] : [])) },
            },
            lastChunk: true,
          },
        },
        status("TASK_STATE_COMPLETED", `${item.skill}: done`),
      );
    } else if (snap.context.error instanceof InputRequiredSignal) {
      const sig = snap.context.error;
      await emit(statusOf(item, "TASK_STATE_INPUT_REQUIRED", sig.message, sig.data));
      log.info("task waits for input");
    } else {
      const err = HmsError.from(snap.context.error);
      if (err.code === "INTERNAL") log.error({ err: snap.context.error }, "skill failed");
      else log.info({ code: err.code, msg: err.message }, "skill ended with an error");
      await emit(
        status(err.code === "CONSENT_DENIED" ? "TASK_STATE_REJECTED" : "TASK_STATE_FAILED", err.message, {
          error: err.toJSON(),
        }),
      );
    }
    await Promise.all(pending);
  }

  /** Completes or fails another task of this agent that waits for input (see SkillContext.finishTask). */
  async function finishTask(
    taskId: string,
    result: Parameters<SkillContext["finishTask"]>[1],
    log: Logger,
  ): Promise<void> {
    // The result and the final status go in together (one compare-and-set), so nothing can land between them.
    const r = await emitEvent({ js: d.js, store: d.store, tenant: d.tenant }, taskId, (stored) => {
      if (stored.agentId !== d.agentId) throw new HmsError("NOT_FOUND", `no task ${taskId} of agent ${d.agentId}`);
      const ref = { taskId, contextId: stored.task.contextId ?? "" };
      if (!("output" in result)) {
        const state =
          result.state === "rejected" || result.error.code === "CONSENT_DENIED"
            ? "TASK_STATE_REJECTED"
            : "TASK_STATE_FAILED";
        return [statusOf(ref, state, result.error.message, { error: result.error })];
      }
      return [
        {
          artifactUpdate: {
            ...ref,
            artifact: {
              artifactId: `${taskId}-result`,
              name: RESULT_ARTIFACT_NAME,
              parts: [{ data: result.output, mediaType: SKILL_CALL_MEDIA_TYPE }],
            },
            lastChunk: true,
          },
        },
        statusOf(ref, "TASK_STATE_COMPLETED", `${stored.skill}: done`),
      ];
    });
    if (!r || r.stored.agentId !== d.agentId)
      throw new HmsError("NOT_FOUND", `no task ${taskId} of agent ${d.agentId}`);
    if (!r.changed) throw new HmsError("CONFLICT", `task ${taskId} already ended (${r.stored.task.status.state})`);
    log.info({ finished: taskId }, "finished a waiting task");
  }

  let shuttingDown = false;
  let closing: Promise<void> | undefined;
  return {
    inflight: () => running.size,
    close: () =>
      (closing ??= (async () => {
        shuttingDown = true;
        cancelSub.unsubscribe();
        await messages.close().catch(() => undefined);
        for (const ac of running.values()) ac.abort(new HmsError("INTERNAL", "instance shutting down"));
        await loop.catch(() => undefined);
      })()),
  };
}

type StatusState =
  | "TASK_STATE_WORKING"
  | "TASK_STATE_COMPLETED"
  | "TASK_STATE_FAILED"
  | "TASK_STATE_REJECTED"
  | "TASK_STATE_INPUT_REQUIRED";

function statusOf(
  ref: { taskId: string; contextId: string },
  state: StatusState,
  text: string,
  data?: unknown,
): WireStreamResponse {
  return {
    statusUpdate: {
      taskId: ref.taskId,
      contextId: ref.contextId,
      status: {
        state,
        timestamp: new Date().toISOString(),
        message: {
          messageId: randomUUID(),
          role: "ROLE_AGENT",
          taskId: ref.taskId,
          contextId: ref.contextId,
          parts: [{ text }, ...(data === undefined ? [] : [{ data, mediaType: SKILL_CALL_MEDIA_TYPE }])],
        },
      },
    },
  };
}

/** The skill input a task was created with: the data part {skill, input} of its first message. */
function inputOf(stored: StoredTask): unknown {
  const part = stored.task.history?.[0]?.parts.find((p) => "data" in p) as { data?: { input?: unknown } } | undefined;
  return part?.data?.input;
}

/** Thrown by ctx.inputRequired: ends the run with TASK_STATE_INPUT_REQUIRED. */
class InputRequiredSignal extends Error {
  constructor(
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "InputRequiredSignal";
  }
}

function inspectBridge(ev: InspectionEvent, taskId: string, sink: NonNullable<WorkerDeps["inspect"]>): void {
  // Only types and state names leave the process: events and context may carry PHI. Only the task
  // machine's own snapshots go out (each names the event that led to it); its invoked skill
  // promise and the separate event records would add nothing an operator reads.
  if (ev.type === "@xstate.snapshot" && ev.actorRef.sessionId === ev.rootId) {
    const snap = ev.snapshot as { value?: unknown; status?: string };
    sink({ taskId, type: ev.type, state: snap.value, event: (ev.event as { type?: string }).type });
  }
}
