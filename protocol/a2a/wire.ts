import { z } from "zod";

/**
 * Zod schemas for the A2A 1.0 wire JSON (ProtoJSON of `lf.a2a.v1`, as `@a2a-js/sdk` 1.3 emits it):
 * camelCase fields, enums as strings, a Part carries exactly one of text/data/url/raw.
 * These validate what crosses our boundaries; the SDK's codecs (`Task.fromJSON`) do the mapping
 * to its in-memory types.
 */

export const TASK_STATES = [
  "TASK_STATE_SUBMITTED",
  "TASK_STATE_WORKING",
  "TASK_STATE_COMPLETED",
  "TASK_STATE_FAILED",
  "TASK_STATE_CANCELED",
  "TASK_STATE_INPUT_REQUIRED",
  "TASK_STATE_REJECTED",
  "TASK_STATE_AUTH_REQUIRED",
] as const;
export const TaskStateSchema = z.enum(TASK_STATES);
export type TaskStateName = z.infer<typeof TaskStateSchema>;

/** A2A §4.1.3: states after which a task never changes again. */
export const TERMINAL_STATES: ReadonlySet<TaskStateName> = new Set([
  "TASK_STATE_COMPLETED",
  "TASK_STATE_FAILED",
  "TASK_STATE_CANCELED",
  "TASK_STATE_REJECTED",
]);
/** A2A §4.1.3: states in which the task waits for the client. */
export const INTERRUPTED_STATES: ReadonlySet<TaskStateName> = new Set([
  "TASK_STATE_INPUT_REQUIRED",
  "TASK_STATE_AUTH_REQUIRED",
]);

export const isTerminal = (s: TaskStateName | undefined): boolean => s !== undefined && TERMINAL_STATES.has(s);
export const isInterrupted = (s: TaskStateName | undefined): boolean => s !== undefined && INTERRUPTED_STATES.has(s);

export const RoleSchema = z.enum(["ROLE_USER", "ROLE_AGENT"]);

const MetadataSchema = z.record(z.string(), z.unknown());

const PartBase = {
  mediaType: z.string().optional(),
  filename: z.string().optional(),
  metadata: MetadataSchema.optional(),
};
export const PartSchema = z.union([
  z.object({ text: z.string(), ...PartBase }).strict(),
  z.object({ data: z.unknown(), ...PartBase }).strict(),
  z.object({ url: z.string(), ...PartBase }).strict(),
  z.object({ raw: z.string(), ...PartBase }).strict(),
]);
export type WirePart = z.infer<typeof PartSchema>;

export const MessageSchema = z.object({
  messageId: z.string().min(1),
  contextId: z.string().optional(),
  taskId: z.string().optional(),
  role: RoleSchema,
  parts: z.array(PartSchema).min(1),
  metadata: MetadataSchema.optional(),
  extensions: z.array(z.string()).optional(),
  referenceTaskIds: z.array(z.string()).optional(),
});
export type WireMessage = z.infer<typeof MessageSchema>;

export const TaskStatusSchema = z.object({
  state: TaskStateSchema,
  message: MessageSchema.optional(),
  timestamp: z.string().optional(),
});

export const ArtifactSchema = z.object({
  artifactId: z.string().min(1),
  name: z.string().optional(),
  description: z.string().optional(),
  parts: z.array(PartSchema),
  metadata: MetadataSchema.optional(),
  extensions: z.array(z.string()).optional(),
});
export type WireArtifact = z.infer<typeof ArtifactSchema>;

export const TaskSchema = z.object({
  id: z.string().min(1),
  contextId: z.string().optional(),
  status: TaskStatusSchema,
  artifacts: z.array(ArtifactSchema).optional(),
  history: z.array(MessageSchema).optional(),
  metadata: MetadataSchema.optional(),
});
export type WireTask = z.infer<typeof TaskSchema>;

export const TaskStatusUpdateEventSchema = z.object({
  taskId: z.string(),
  contextId: z.string().optional(),
  status: TaskStatusSchema,
  metadata: MetadataSchema.optional(),
});
export type WireStatusUpdate = z.infer<typeof TaskStatusUpdateEventSchema>;

export const TaskArtifactUpdateEventSchema = z.object({
  taskId: z.string(),
  contextId: z.string().optional(),
  artifact: ArtifactSchema,
  append: z.boolean().optional(),
  lastChunk: z.boolean().optional(),
  metadata: MetadataSchema.optional(),
});
export type WireArtifactUpdate = z.infer<typeof TaskArtifactUpdateEventSchema>;

/** One item of a stream (SendStreamingMessage / SubscribeToTask): exactly one member is set. */
export const StreamResponseSchema = z.union([
  z.object({ task: TaskSchema }).strict(),
  z.object({ message: MessageSchema }).strict(),
  z.object({ statusUpdate: TaskStatusUpdateEventSchema }).strict(),
  z.object({ artifactUpdate: TaskArtifactUpdateEventSchema }).strict(),
]);
export type WireStreamResponse = z.infer<typeof StreamResponseSchema>;

export const AgentSkillSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  description: z.string().min(1),
  tags: z.array(z.string()),
  examples: z.array(z.string()).optional(),
  inputModes: z.array(z.string()).optional(),
  outputModes: z.array(z.string()).optional(),
});
export type WireAgentSkill = z.infer<typeof AgentSkillSchema>;

export const AgentInterfaceSchema = z.object({
  url: z.string().min(1),
  protocolBinding: z.string().min(1),
  tenant: z.string().optional(),
  protocolVersion: z.string().min(1),
});

export const AgentCardSchema = z.object({
  name: z.string().min(1),
  description: z.string().min(1),
  supportedInterfaces: z.array(AgentInterfaceSchema).min(1),
  provider: z.object({ url: z.string(), organization: z.string() }).optional(),
  version: z.string().min(1),
  documentationUrl: z.string().optional(),
  capabilities: z.object({
    streaming: z.boolean().optional(),
    pushNotifications: z.boolean().optional(),
    extendedAgentCard: z.boolean().optional(),
    extensions: z
      .array(z.object({ uri: z.string(), description: z.string().optional(), required: z.boolean().optional() }))
      .optional(),
  }),
  defaultInputModes: z.array(z.string()),
  defaultOutputModes: z.array(z.string()),
  skills: z.array(AgentSkillSchema),
});
export type WireAgentCard = z.infer<typeof AgentCardSchema>;

// ---- method params (A2A §9: JSON-RPC binding) ----

export const SendMessageParamsSchema = z.object({
  tenant: z.string().optional(),
  message: MessageSchema,
  configuration: z
    .object({
      acceptedOutputModes: z.array(z.string()).optional(),
      historyLength: z.number().int().min(0).optional(),
      returnImmediately: z.boolean().optional(),
    })
    .optional(),
  metadata: MetadataSchema.optional(),
});
export const GetTaskParamsSchema = z.object({
  tenant: z.string().optional(),
  id: z.string().min(1),
  historyLength: z.number().int().min(0).optional(),
});
export const CancelTaskParamsSchema = z.object({
  tenant: z.string().optional(),
  id: z.string().min(1),
  metadata: MetadataSchema.optional(),
});
export const SubscribeToTaskParamsSchema = z.object({ tenant: z.string().optional(), id: z.string().min(1) });
export const ListTasksParamsSchema = z.object({
  tenant: z.string().optional(),
  contextId: z.string().optional(),
  status: TaskStateSchema.optional(),
  pageSize: z.number().int().min(1).max(100).optional(),
  pageToken: z.string().optional(),
  historyLength: z.number().int().min(0).optional(),
  statusTimestampAfter: z.string().optional(),
  includeArtifacts: z.boolean().optional(),
});

export const A2A_METHODS = {
  SendMessage: SendMessageParamsSchema,
  SendStreamingMessage: SendMessageParamsSchema,
  GetTask: GetTaskParamsSchema,
  CancelTask: CancelTaskParamsSchema,
  SubscribeToTask: SubscribeToTaskParamsSchema,
  ListTasks: ListTasksParamsSchema,
} as const;
export type A2AMethod = keyof typeof A2A_METHODS;

// ---- JSON-RPC 2.0 envelopes ----

export const JsonRpcIdSchema = z.union([z.string(), z.number().int(), z.null()]);
export const JsonRpcRequestSchema = z.object({
  jsonrpc: z.literal("2.0"),
  id: JsonRpcIdSchema.optional(),
  method: z.string().min(1),
  params: z.record(z.string(), z.unknown()).optional(),
});
export type JsonRpcRequest = z.infer<typeof JsonRpcRequestSchema>;

export const JsonRpcErrorSchema = z.object({
  code: z.number().int(),
  message: z.string(),
  data: z.unknown().optional(),
});
export type JsonRpcError = z.infer<typeof JsonRpcErrorSchema>;
export const JsonRpcResponseSchema = z.union([
  z.object({ jsonrpc: z.literal("2.0"), id: JsonRpcIdSchema, result: z.unknown() }),
  z.object({ jsonrpc: z.literal("2.0"), id: JsonRpcIdSchema, error: JsonRpcErrorSchema }),
]);
export type JsonRpcResponse = z.infer<typeof JsonRpcResponseSchema>;
