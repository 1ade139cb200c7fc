/**
 * protocol: wire schemas (A2A 1.0, clinical), subjects, headers and errors. Imports nothing from
 * the project.
 */
export {
  TASK_STATES,
  TaskStateSchema,
  TERMINAL_STATES,
  INTERRUPTED_STATES,
  isTerminal,
  isInterrupted,
  RoleSchema,
  PartSchema,
  MessageSchema,
  TaskStatusSchema,
  ArtifactSchema,
  TaskSchema,
  TaskStatusUpdateEventSchema,
  TaskArtifactUpdateEventSchema,
  StreamResponseSchema,
  AgentSkillSchema,
  AgentInterfaceSchema,
  AgentCardSchema,
  SendMessageParamsSchema,
  GetTaskParamsSchema,
  CancelTaskParamsSchema,
  SubscribeToTaskParamsSchema,
  ListTasksParamsSchema,
  A2A_METHODS,
  JsonRpcIdSchema,
  JsonRpcRequestSchema,
  JsonRpcErrorSchema,
  JsonRpcResponseSchema,
} from "./a2a/wire.js";
export type {
  TaskStateName,
  WirePart,
  WireMessage,
  WireArtifact,
  WireTask,
  WireStatusUpdate,
  WireArtifactUpdate,
  WireStreamResponse,
  WireAgentSkill,
  WireAgentCard,
  A2AMethod,
  JsonRpcRequest,
  JsonRpcError,
  JsonRpcResponse,
} from "./a2a/wire.js";
export {
  subjects,
  token,
  toToken,
  parseSubject,
  HEADERS,
  BUCKETS,
  STREAMS,
  A2A_PROTOCOL_VERSION,
  NATS_BINDING,
} from "./subjects.js";
export { HmsError, ERROR_TABLE, ERROR_CODES, JSONRPC_CODES, invalidInput } from "./errors.js";
export type { ErrorCode } from "./errors.js";
export { PrincipalSchema, RoleNameSchema, PurposeOfUseSchema, ROLES, agentPrincipal } from "./principal.js";
export type { Principal, RoleName, PurposeOfUse } from "./principal.js";
export { newTraceparent, traceIdOf, childTraceparent } from "./trace.js";
export { SkillCallSchema, SkillErrorSchema, SKILL_CALL_MEDIA_TYPE, RESULT_ARTIFACT_NAME } from "./skill-call.js";
export type { SkillCall, SkillError } from "./skill-call.js";
