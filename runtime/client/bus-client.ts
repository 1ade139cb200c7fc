import { randomUUID } from "node:crypto";
import type { NatsConnection } from "@nats-io/nats-core";
import type { KV } from "@nats-io/kv";
import { AgentCard, Message, Task, type StreamResponse, TaskState } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions, type Client } from "@a2a-js/sdk/client";
import {
  AgentCardSchema,
  HEADERS,
  HmsError,
  MessageSchema,
  RESULT_ARTIFACT_NAME,
  SKILL_CALL_MEDIA_TYPE,
  SkillErrorSchema,
  TaskSchema,
  newTraceparent,
  type ErrorCode,
  type Principal,
  type WireMessage,
  type WireTask,
  ERROR_CODES,
} from "../../protocol/index.js";
import { DEFAULT_RPC_TIMEOUT_MS, NatsTransportFactory, TIMEOUT_PARAM } from "./nats-transport.js";

export interface SkillCallOptions {
  principal?: Principal;
  timeoutMs?: number;
  traceparent?: string;
  /** Idempotency key: the same messageId twice gives the original task. */
  messageId?: string;
  contextId?: string;
  referenceTaskIds?: string[];
  /** When set, the call streams and hands every status text to this callback. */
  onProgress?: (message: string, data?: unknown) => void;
  /** The calling agent's id, when an agent calls (HMS-Caller header; the inspector draws the hop). */
  caller?: string;
  /** Return as soon as the task is accepted (A2A `returnImmediately`). */
  returnImmediately?: boolean;
  /**
   * Retries when the agent is unavailable or the call timed out, with the same messageId, so a
   * retry can never start a second task (the agent answers with the first one). @defaultValue 0
   */
  retries?: number;
  /** First back-off between retries, doubled each time. @defaultValue 250 */
  retryDelayMs?: number;
  signal?: AbortSignal;
}

export interface SkillCallResult<T> {
  output: T | undefined;
  task: WireTask;
}

/** What `invoke` returns: a task, or (for a stateless skill) the id of the agent's Message answer. */
export interface SkillAnswer<T> {
  output: T | undefined;
  task?: WireTask;
  messageId?: string;
}

/** Message metadata that asks the agent for a durable task even when the skill is stateless. */
export const REQUIRE_TASK_METADATA = "hms/task";

const CARD_CACHE_MS = 5_000;
type WireCard = ReturnType<typeof AgentCardSchema.parse>;

/**
 * Calls agents' skills over the bus with the stock `@a2a-js/sdk` Client on the NATS transport.
 * Agent cards come from the KV registry.
 */
export class BusClient {
  private readonly factory: ClientFactory;
  private readonly clients = new Map<string, { client: Client; at: number }>();
  private readonly cards = new Map<string, { card: WireCard; at: number }>();

  constructor(
    nc: NatsConnection,
    private readonly registry: KV,
    private readonly tenant: string,
  ) {
    this.factory = new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new NatsTransportFactory(nc)] }),
    );
  }

  /** The wire card an agent published, or undefined. A card found is reused for a few seconds. */
  async card(agentId: string): Promise<WireCard | undefined> {
    const hit = this.cards.get(agentId);
    if (hit && Date.now() - hit.at < CARD_CACHE_MS) return hit.card;
    const e = await this.registry.get(`${this.tenant}.${agentId}`);
    if (!e || e.operation !== "PUT" || e.value.length === 0) return undefined;
    const card = AgentCardSchema.parse(JSON.parse(new TextDecoder().decode(e.value)));
    this.cards.set(agentId, { card, at: Date.now() });
    return card;
  }

  async client(agentId: string): Promise<Client> {
    const hit = this.clients.get(agentId);
    if (hit && Date.now() - hit.at < CARD_CACHE_MS) return hit.client;
    const card = await this.card(agentId);
    if (!card)
      throw new HmsError("AGENT_UNAVAILABLE", `agent ${agentId} is not registered on tenant ${this.tenant}`, {
        data: { agentId },
      });
    const client = await this.factory.createFromAgentCard(AgentCard.fromJSON(card));
    this.clients.set(agentId, { client, at: Date.now() });
    return client;
  }

  serviceParameters(opts: {
    principal?: Principal;
    traceparent?: string;
    timeoutMs?: number;
    lastSeq?: number;
    caller?: string;
  }): Record<string, string> {
    const p: Record<string, string> = { [HEADERS.traceparent]: opts.traceparent ?? newTraceparent() };
    if (opts.caller) p[HEADERS.caller] = opts.caller;
    if (opts.principal) p[HEADERS.principal] = JSON.stringify(opts.principal);
    if (opts.timeoutMs) p[TIMEOUT_PARAM] = String(opts.timeoutMs);
    if (opts.lastSeq !== undefined) p[HEADERS.lastSeq] = String(opts.lastSeq);
    return p;
  }

  /** The A2A message that invokes `verb` with `input`. */
  skillMessage(verb: string, input: unknown, opts: SkillCallOptions = {}): Message {
    return Message.fromJSON({
      messageId: opts.messageId ?? randomUUID(),
      role: "ROLE_USER",
      ...(opts.contextId ? { contextId: opts.contextId } : {}),
      ...(opts.referenceTaskIds ? { referenceTaskIds: opts.referenceTaskIds } : {}),
      parts: [{ data: { skill: verb, input }, mediaType: SKILL_CALL_MEDIA_TYPE }],
    });
  }

  /**
   * Calls a skill and returns its output. Throws the skill's HmsError when the task failed or was
   * rejected; AGENT_UNAVAILABLE when nobody serves the agent; DEADLINE_EXCEEDED past the deadline.
   */
  async call<T = unknown>(agentId: string, verb: string, input: unknown, opts: SkillCallOptions = {}): Promise<T> {
    return (await this.invoke<T>(agentId, verb, input, opts)).output as T;
  }

  /** Calls a skill and always gets a durable task back (stateless skills are asked for one). */
  async callForTask<T = unknown>(
    agentId: string,
    verb: string,
    input: unknown,
    opts: SkillCallOptions = {},
  ): Promise<SkillCallResult<T>> {
    const r = await this.invoke<T>(agentId, verb, input, opts, true);
    if (!r.task) throw new HmsError("INTERNAL", `${agentId}.${verb} answered without a task`);
    return { output: r.output, task: r.task };
  }

  /** Calls a skill: a task, or a stateless skill's Message answer. Retries per `opts.retries`. */
  async invoke<T = unknown>(
    agentId: string,
    verb: string,
    input: unknown,
    opts: SkillCallOptions = {},
    requireTask = false,
  ): Promise<SkillAnswer<T>> {
    const retries = opts.retries ?? 0;
    if (retries === 0) return this.callOnce<T>(agentId, verb, input, opts, requireTask);
    const once = { ...opts, messageId: opts.messageId ?? randomUUID() };
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.callOnce<T>(agentId, verb, input, once, requireTask);
      } catch (err) {
        const retriable = HmsError.is(err, "AGENT_UNAVAILABLE") || HmsError.is(err, "DEADLINE_EXCEEDED");
        if (!retriable || attempt >= retries || opts.signal?.aborted) throw err;
        await new Promise((r) => setTimeout(r, (opts.retryDelayMs ?? 250) * 2 ** Math.min(attempt, 5)));
        this.clients.delete(agentId);
        this.cards.delete(agentId);
      }
    }
  }

  private async callOnce<T>(
    agentId: string,
    verb: string,
    input: unknown,
    opts: SkillCallOptions,
    requireTask: boolean,
  ): Promise<SkillAnswer<T>> {
    const client = await this.client(agentId);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    const message = this.skillMessage(verb, input, opts);
    if (requireTask) message.metadata = { ...message.metadata, [REQUIRE_TASK_METADATA]: "required" };
    const params = {
      tenant: "",
      message,
      configuration: {
        acceptedOutputModes: [],
        taskPushNotificationConfig: undefined,
        returnImmediately: opts.returnImmediately ?? false,
      },
      metadata: {},
    };
    const reqOpts = { serviceParameters: this.serviceParameters({ ...opts, timeoutMs }), signal: opts.signal };
    let task: Task | undefined;
    try {
      if (opts.onProgress) {
        for await (const ev of client.sendMessageStream(params, reqOpts)) {
          task = foldStream(task, ev, opts.onProgress);
        }
      } else {
        const r = await client.sendMessage(params, reqOpts);
        if (!("id" in r))
          return {
            output: messageOutcome<T>(agentId, verb, MessageSchema.parse(Message.toJSON(r))),
            messageId: r.messageId,
          };
        task = r;
      }
    } catch (err) {
      throw fromWireError(err, agentId, verb);
    }
    if (!task) throw new HmsError("INTERNAL", `agent ${agentId} returned no task`);
    const wire = TaskSchema.parse(Task.toJSON(task));
    if (opts.returnImmediately) return { output: undefined, task: wire };
    return { output: outcome<T>(agentId, verb, wire), task: wire };
  }
}

/** One of the stable error codes, or undefined. */
function stableCode(code: unknown): ErrorCode | undefined {
  return typeof code === "string" && (ERROR_CODES as string[]).includes(code) ? (code as ErrorCode) : undefined;
}

/** The skill error a data part `{error: {code, message, data}}` carries (unknown codes become INTERNAL), or undefined. */
function skillError(data: unknown, where: Record<string, unknown>): HmsError | undefined {
  const err = SkillErrorSchema.safeParse((data as { error?: unknown } | undefined)?.error);
  if (!err.success) return undefined;
  return new HmsError(stableCode(err.data.code) ?? "INTERNAL", err.data.message, {
    data: { ...(err.data.data as object), ...where },
  });
}

/** Reads a stateless answer: its data part, or the error it carries. */
function messageOutcome<T>(agentId: string, verb: string, m: WireMessage): T {
  const data = m.parts.find((p) => "data" in p)?.data;
  if (m.metadata?.["hms/outcome"] === "failed") {
    throw (
      skillError(data, { agentId, skill: verb }) ??
      new HmsError("INTERNAL", `${agentId}.${verb} failed`, { data: { agentId, skill: verb } })
    );
  }
  return data as T;
}

/** JSON-RPC codes the binding uses for requests refused before a task exists (protocol/BINDING.md §7). */
const RPC_CODE_TO_HMS: Record<number, ErrorCode> = {
  [-32700]: "PARSE_ERROR",
  [-32600]: "INVALID_REQUEST",
  [-32601]: "METHOD_NOT_FOUND",
  [-32602]: "INVALID_INPUT",
  [-32001]: "TASK_NOT_FOUND",
  [-32002]: "TASK_NOT_CANCELABLE",
  [-32004]: "UNSUPPORTED_OPERATION",
  [-32009]: "VERSION_NOT_SUPPORTED",
};

/** An SDK JSON-RPC error as an HmsError with its stable code (from `data.code`, else the table). */
export function fromWireError(err: unknown, agentId: string, verb: string): unknown {
  if (err instanceof HmsError) return err;
  const e = err as { message?: string; envelopeCode?: number; data?: unknown };
  if (typeof e?.envelopeCode !== "number") return err;
  const data =
    e.data && typeof e.data === "object" && !Array.isArray(e.data) ? (e.data as Record<string, unknown>) : {};
  const stable = stableCode(data.code);
  const code = stable ?? RPC_CODE_TO_HMS[e.envelopeCode] ?? "INTERNAL";
  return new HmsError(code, e.message ?? `${agentId}.${verb} refused the request`, {
    cause: err,
    data: { ...data, agentId, skill: verb },
  });
}

function foldStream(
  task: Task | undefined,
  ev: StreamResponse,
  onProgress: (m: string, d?: unknown) => void,
): Task | undefined {
  const p = ev.payload;
  if (!p) return task;
  if (p.$case === "task") return p.value;
  if (!task) return task;
  if (p.$case === "statusUpdate" && p.value.status) {
    task = { ...task, status: p.value.status };
    const msg = p.value.status.message;
    const text = msg?.parts.find((x) => x.content?.$case === "text")?.content;
    const data = msg?.parts.find((x) => x.content?.$case === "data")?.content;
    if (p.value.status.state === TaskState.TASK_STATE_WORKING && text?.$case === "text")
      onProgress(text.value, data?.$case === "data" ? data.value : undefined);
    return task;
  }
  if (p.$case === "artifactUpdate" && p.value.artifact) {
    const others = task.artifacts.filter((a) => a.artifactId !== p.value.artifact!.artifactId);
    return { ...task, artifacts: [...others, p.value.artifact] };
  }
  return task;
}

/**
 * Reads a skill task that stopped: the result artifact's data when completed, the status data when
 * it waits for input, or the error it carried.
 */
export function outcome<T>(agentId: string, verb: string, task: WireTask): T | undefined {
  const state = task.status.state;
  if (state === "TASK_STATE_COMPLETED") {
    const art = task.artifacts?.find((a) => a.name === RESULT_ARTIFACT_NAME);
    const part = art?.parts.find((p) => "data" in p);
    return part?.data as T;
  }
  const parts = task.status.message?.parts ?? [];
  if (state === "TASK_STATE_INPUT_REQUIRED" || state === "TASK_STATE_AUTH_REQUIRED") {
    // The agent says what it waits for in the status message's data part (ctx.inputRequired).
    return (parts.find((p) => "data" in p) as { data: T } | undefined)?.data;
  }
  const dataPart = parts.find((p) => "data" in p);
  const err = skillError(dataPart?.data, { agentId, skill: verb, taskId: task.id });
  if (err) throw err;
  const text = parts.find((p) => "text" in p)?.text;
  if (state === "TASK_STATE_REJECTED")
    throw new HmsError("CONSENT_DENIED", text ?? `${agentId}.${verb} rejected the request`, {
      data: { agentId, taskId: task.id },
    });
  if (state === "TASK_STATE_CANCELED")
    throw new HmsError("INTERNAL", `${agentId}.${verb} was canceled`, { data: { agentId, taskId: task.id } });
  if (state === "TASK_STATE_FAILED")
    throw new HmsError("INTERNAL", text ?? `${agentId}.${verb} failed`, { data: { agentId, taskId: task.id } });
  throw new HmsError("DEADLINE_EXCEEDED", `${agentId}.${verb} still ${state} when the call ended`, {
    data: { agentId, taskId: task.id, state },
  });
}
