import type { z } from "zod";
import type { Logger } from "pino";
import type { NatsConnection } from "@nats-io/nats-core";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { HmsError, invalidInput, type Principal, type RoleName } from "../../protocol/index.js";

/** MCP tool annotations (MCP 2025-06-18 `ToolAnnotations`). */
export interface SkillAnnotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface CallOptions {
  /** @defaultValue DEFAULT_RPC_TIMEOUT_MS */
  timeoutMs?: number;
  /** Principal to call as; defaults to the current task's principal. */
  principal?: Principal;
  /** Receives the callee's progress messages. */
  onProgress?: (message: string, data?: unknown) => void;
  /**
   * Idempotency key of the call (A2A messageId): the same key gives the same callee task, so a
   * step retried after a crash does not run twice.
   */
  messageId?: string;
  /** Retries on AGENT_UNAVAILABLE / DEADLINE_EXCEEDED with the same messageId. @defaultValue 3 */
  retries?: number;
}

/** Least time between two transient progress updates of one task (see SkillContext.progress). */
export const TRANSIENT_PROGRESS_MS = 250;

/** One call a skill made to another agent: the callee's task, or the id of its stateless answer. */
export interface CallRecord {
  agentId: string;
  skill: string;
  /** The callee's A2A task, when it answered with one. */
  taskId?: string;
  /** The callee's A2A Message id, when a stateless skill answered without a task. */
  messageId?: string;
}

/** Durable key-value state of one agent (JetStream KV `hms-snapshots`, `<tenant>.<agentId>.<key>`). */
export interface AgentState {
  load<T = unknown>(key: string): Promise<T | undefined>;
  save(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys under a prefix (without the agent's own prefix). */
  keys(prefix?: string): Promise<string[]>;
}

/** What a skill handler gets besides its input. */
export interface SkillContext {
  agentId: string;
  taskId: string;
  contextId: string;
  traceId: string;
  /** The caller, as the binding's HMS-Principal header said. */
  principal: Principal | undefined;
  logger: Logger;
  /** Aborted when the task is canceled or its instance shuts down. */
  signal: AbortSignal;
  /**
   * Streams an A2A status update (TASK_STATE_WORKING with this text and data). Updates that come
   * faster than they can be stored coalesce: the latest one always arrives, some between may not.
   * A `transient` update (a search's generation count, a relayed sub-task's progress) is also
   * rate-limited: it goes out at least {@link TRANSIENT_PROGRESS_MS} after the task's previous
   * update (its start included), newer ones replacing older ones meanwhile, and one still held back
   * when the task ends is dropped: the final status says more.
   */
  progress(message: string, data?: Record<string, unknown>, opts?: { transient?: boolean }): Promise<void>;
  /** Calls another agent's skill over the bus (A2A SendMessage) and returns its validated output. */
  call<T = unknown>(agentId: string, verb: string, input: unknown, opts?: CallOptions): Promise<T>;
  /** Publishes a fact on `a2a.v1.<tenant>.topic.<type>.<agentId>`. */
  publish(topicType: string, data: unknown): Promise<void>;
  /** The card another agent published (name, version, skills), or undefined. */
  agentCard(agentId: string): Promise<{ name: string; version: string } | undefined>;
  /** Durable state shared by the agent's instances (snapshots, registries). */
  state: AgentState;
  /**
   * Every call this one made, in order, tasks and stateless answers alike (for provenance; the
   * result artifact lists the called task ids as `calledTaskIds`).
   */
  readonly calls: readonly CallRecord[];
  /**
   * True when this task was started before (its first instance died, or the work was delivered
   * again): what the skill saved in `state` may already hold part of the work. False on a first
   * run, which the task's own state shows (still submitted) before the skill starts.
   */
  readonly redelivered: boolean;
  /**
   * Ends this run with the task in TASK_STATE_INPUT_REQUIRED (A2A §4.1.3): `message` says what is
   * needed, `data` travels as a data part. Another skill finishes the task later with finishTask.
   */
  inputRequired(message: string, data?: Record<string, unknown>): Promise<never>;
  /**
   * Finishes another task of this same agent that waits for input: `output` completes it with a
   * result artifact; `error` fails it (CONSENT_DENIED or a clinician's refusal rejects it).
   */
  finishTask(
    taskId: string,
    result:
      | { output: Record<string, unknown> }
      | { error: { code: string; message: string; data?: unknown }; state?: "failed" | "rejected" },
  ): Promise<void>;
}

export interface SkillSpec<I extends z.ZodObject, O extends z.ZodObject> {
  /** Snake-case verb; the MCP tool is `<agentId>_<verb>`. */
  verb: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations?: SkillAnnotations;
  /** Roles allowed through the gateway. @defaultValue every role */
  roles?: readonly RoleName[];
  tags?: string[];
  examples?: string[];
  /**
   * Answer a (non-streaming) SendMessage inline with an A2A Message instead of a durable task
   * (A2A §3.1.1 allows either). For quick request/response skills that are safe to ask again:
   * reads, computations, and decisions whose every asking is audited on its own. Nothing is stored,
   * and an answer lost with its instance is simply asked again. Streaming calls, and callers that
   * set `metadata["hms/task"]`, still get a task.
   */
  stateless?: boolean;
  // Method syntax (not a property) so a specific skill is assignable to SkillDef.
  handler(input: z.infer<I>, ctx: SkillContext): Promise<z.infer<O>>;
}

export type SkillDef = SkillSpec<z.ZodObject, z.ZodObject>;

/** Defines a skill once; it becomes an AgentSkill on the card and an MCP tool. */
export function defineSkill<I extends z.ZodObject, O extends z.ZodObject>(spec: SkillSpec<I, O>): SkillSpec<I, O> {
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(spec.verb)) throw new TypeError(`skill verb must be snake_case: ${spec.verb}`);
  return spec;
}

export interface AgentContext {
  agentId: string;
  tenant: string;
  instanceId: string;
  logger: Logger;
  /** Calls another agent's skill as this agent. */
  call<T = unknown>(agentId: string, verb: string, input: unknown, opts?: CallOptions): Promise<T>;
  /** Publishes a fact on `a2a.v1.<tenant>.topic.<type>.<agentId>`. A plain function: agents may keep it. */
  publish: (topicType: string, data: unknown) => Promise<void>;
  /** Durable state shared by the agent's instances. */
  state: AgentState;
  /** Subscribes to topic facts (`a2a.v1.<tenant>.topic.<type>.<source|*>`); returns an unsubscribe. */
  subscribe(
    topicType: string,
    source: string,
    handler: (data: unknown, meta: { subject: string; source: string }) => void | Promise<void>,
  ): () => void;
  signal: AbortSignal;
  /**
   * This instance's own connection, for agents that keep streams of their own (the consent
   * agent's audit chain). The host owns it: never close or drain it.
   */
  bus: { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager };
}

export interface AgentDef {
  id: string;
  name: string;
  description: string;
  version: string;
  skills: readonly SkillDef[];
  /** Long-lived work started with the agent (subscriptions, listeners); closed on stop. */
  start?: (ctx: AgentContext) => Promise<{ close(): Promise<void> } | void>;
}

/** Declares an agent: its id, card fields and skills. */
export function defineAgent(def: AgentDef): AgentDef {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(def.id)) throw new TypeError(`agent id must match [a-z][a-z0-9-]*: ${def.id}`);
  const verbs = new Set<string>();
  for (const s of def.skills) {
    if (verbs.has(s.verb)) throw new TypeError(`agent ${def.id} defines skill ${s.verb} twice`);
    verbs.add(s.verb);
  }
  return def;
}

export const toolName = (agentId: string, verb: string): string => `${agentId.replace(/-/g, "_")}_${verb}`;

/** The skill's output, validated against its schema; an invalid one is the skill's bug (INTERNAL). */
export function checkedOutput(skill: SkillDef, out: unknown): Record<string, unknown> {
  const checked = skill.output.safeParse(out);
  if (!checked.success)
    throw new HmsError(
      "INTERNAL",
      `skill ${skill.verb} produced invalid output: ${invalidInput(checked.error, "output").message}`,
    );
  return checked.data;
}
