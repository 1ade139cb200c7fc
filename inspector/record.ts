import { z } from "zod";

/**
 * What the inspector shows of one bus message: who spoke to whom, about which task and trace,
 * with a one-line summary and a payload already redacted by the allowlist (redact.ts). This is
 * the wire shape of the terminal's `--json` lines and of the web page's live feed.
 */
export const InspectorRecordSchema = z.object({
  /** Cursor `<src>:<stream sequence>` (`e` task events, `j` journal, `t` topics); `x:<n>` for XState (not stored). */
  id: z.string(),
  src: z.enum(["events", "journal", "topics", "xstate"]),
  /** Sequence in the source JetStream stream (absent for XState inspection). */
  streamSeq: z.number().int().optional(),
  /** ISO time the bus stored (or the publisher stamped) the message. */
  at: z.string(),
  kind: z.enum(["rpc", "task", "topic", "xstate"]),
  /** `task.created`, `task.status`, `task.artifact`, `rpc.reply`, `topic.<type>`, `xstate.snapshot`, `xstate.event`. */
  event: z.string(),
  from: z.string(),
  to: z.string(),
  /** RPC method, or the skill verb of a task. */
  method: z.string().optional(),
  taskId: z.string().optional(),
  traceId: z.string().optional(),
  agentId: z.string().optional(),
  /** Task state (TASK_STATE_* without the prefix) or XState state value. */
  state: z.string().optional(),
  /** Per-task sequence (A2A-Seq) of a task event. */
  taskSeq: z.number().int().optional(),
  /** Pseudonym of the patient the conversation is about (never the patient's id). */
  patient: z.string().optional(),
  /** Duration in ms: rpc handling time, or task creation to this event. */
  ms: z.number().optional(),
  ok: z.boolean().optional(),
  summary: z.string(),
  /** The payload with every non-allowlisted value replaced by "[redacted]". */
  payload: z.unknown().optional(),
  /** How many values the redaction replaced. */
  redacted: z.number().int().nonnegative(),
  /** True when an operator may ask for the unredacted payload (stored messages only). */
  revealable: z.boolean(),
});
export type InspectorRecord = z.infer<typeof InspectorRecordSchema>;

/** One agent as the agents panel shows it. */
export const AgentViewSchema = z.object({
  agentId: z.string(),
  name: z.string().optional(),
  description: z.string().optional(),
  version: z.string().optional(),
  skills: z.array(z.string()),
  health: z.enum(["up", "stale", "unknown"]),
  lastHeartbeat: z.string().optional(),
  instances: z.array(
    z.object({
      instanceId: z.string(),
      inflight: z.number().optional(),
      uptimeMs: z.number().optional(),
      at: z.string(),
    }),
  ),
  /** Last XState inspection seen for this agent. */
  xstate: z
    .object({
      taskId: z.string().optional(),
      state: z.string().optional(),
      event: z.string().optional(),
      at: z.string(),
    })
    .optional(),
});
export type AgentView = z.infer<typeof AgentViewSchema>;

/** One task of a conversation (every task sharing a trace). */
export const ConversationTaskSchema = z.object({
  taskId: z.string(),
  agentId: z.string(),
  skill: z.string().optional(),
  caller: z.string(),
  createdAt: z.string(),
  endedAt: z.string().optional(),
  state: z.string(),
  /** Creation to terminal state, in ms. */
  ms: z.number().optional(),
  statuses: z.array(z.object({ state: z.string(), at: z.string() })),
  artifacts: z.array(z.object({ name: z.string(), at: z.string() })),
});
export const ConversationSchema = z.object({
  taskId: z.string(),
  traceId: z.string().optional(),
  patient: z.string().optional(),
  /** Lifelines of the sequence diagram, in order of first appearance. */
  participants: z.array(z.string()),
  tasks: z.array(ConversationTaskSchema),
  records: z.array(InspectorRecordSchema),
});
export type Conversation = z.infer<typeof ConversationSchema>;
export type ConversationTask = z.infer<typeof ConversationTaskSchema>;
