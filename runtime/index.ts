/**
 * runtime: the agent host (A2A over NATS, durable tasks), the bus client, MCP exposure and the
 * embedded servers. Imports only `protocol`.
 */
export { defineAgent, defineSkill, toolName } from "./host/define.js";
export type {
  AgentDef,
  SkillDef,
  SkillSpec,
  SkillContext,
  AgentContext,
  AgentState,
  CallOptions,
  CallRecord,
  SkillAnnotations,
} from "./host/define.js";
export { startAgent, agentCard, DEFAULT_TENANT, DEFAULT_HEARTBEAT_MS } from "./host/agent-host.js";
export type { RunningAgent, StartAgentOptions } from "./host/agent-host.js";
export { connectBus } from "./bus/connect.js";
export type { Bus } from "./bus/connect.js";
export { BusClient, outcome } from "./client/bus-client.js";
export type { SkillCallOptions, SkillCallResult, SkillAnswer } from "./client/bus-client.js";
export {
  NatsTransport,
  NatsTransportFactory,
  DEFAULT_RPC_TIMEOUT_MS,
  natsInterfaceUrl,
} from "./client/nats-transport.js";
export { SEQ_METADATA_KEY } from "./host/handler.js";
export { startEmbeddedNats, findNatsServer } from "./embedded/nats-server.js";
export type { EmbeddedNats, EmbeddedNatsOptions } from "./embedded/nats-server.js";
export { createLogger } from "./logger.js";
export { startHost } from "./host/system.js";
export type { Host, HostOptions } from "./host/system.js";
export {
  JetStreamAuditLog,
  ensureAuditStream,
  auditSubject,
  AUDIT_STREAM,
  DEFAULT_AUDIT_APPEND_ATTEMPTS,
  DEFAULT_AUDIT_READ_TIMEOUT_MS,
} from "./audit/jetstream-log.js";
export type { AuditChain, AuditLogQuery, JetStreamAuditLogOptions } from "./audit/jetstream-log.js";
export {
  createSupervisor,
  Supervisor,
  decideRestart,
  recentRestarts,
  DEFAULT_RESTART_POLICY,
} from "./supervisor/index.js";
export type {
  ChildLike,
  ChildSpec,
  ChildState,
  ChildStatus,
  SpawnFn,
  SupervisorClock,
  SupervisorEvent,
  SupervisorOptions,
  RestartDecision,
  RestartPolicy,
} from "./supervisor/index.js";
export { mulberry32 } from "./random.js";
export { realClock, type Clock } from "./clock.js";
// The FHIR client every FHIR-facing agent uses (retries, circuit breaker); the embedded server
// itself (Medplum) is loaded only by whoever starts it, through runtime/embedded/fhir.
export { FhirClient, isTransient, searchUrl, DEFAULT_FHIR_TIMEOUT_MS } from "./embedded/fhir/client.js";
export type { FhirClientOptions, FhirJson, FhirBundle, SearchParams } from "./embedded/fhir/client.js";
export { parseTokens, DEFAULT_GATEWAY_PORT } from "./gateway/tokens.js";
