/**
 * protocol: wire schemas (A2A 1.0, clinical), subjects, headers and errors. Imports nothing from
 * the project. Every export is named; other layers import protocol only from here (eslint.config.js,
 * test/architecture.test.ts).
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
export {
  AccessRequestSchema,
  AuditChainStatusSchema,
  AuditEntrySchema,
  AuditRecordSchema,
  ConsentDecisionSchema,
  ConsentRecordSchema,
  matchesQuery,
} from "./clinical/consent.js";
export type {
  AccessAction,
  AccessRequest,
  AuditChainStatus,
  AuditEntry,
  AuditIncident,
  AuditQuery,
  AuditRecord,
  ConsentDecision,
  ConsentRecord,
  DataCategory,
  Obligation,
} from "./clinical/consent.js";
export { AssembledPlanSchema } from "./clinical/coordinator.js";
export type { AssembledPlan } from "./clinical/coordinator.js";
export {
  AlarmPrioritySchema,
  AlarmSchema,
  AlertEventSchema,
  AlertSchema,
  AlertStateSchema,
  CdsCardSchema,
  DeviceReadingSchema,
  DeviceRegistrationSchema,
  DeviceSchema,
  DeviceStatusSchema,
  HealingActionSchema,
  HealingStrategySchema,
  HealthStatusSchema,
} from "./clinical/device.js";
export type {
  Alarm,
  AlarmPriority,
  Alert,
  AlertCategory,
  AlertEvent,
  AlertState,
  AlertSuggestion,
  CdsCard,
  CircuitState,
  Device,
  DeviceReading,
  DeviceRegistration,
  DeviceStatus,
  HealingAction,
  HealingStrategy,
  HealthStatus,
} from "./clinical/device.js";
export {
  CarePlanWriteResultSchema,
  CarePlanWriteSchema,
  DEFAULT_OBSERVATION_COUNT,
  DEFAULT_PATIENT_SEARCH_COUNT,
  MAX_OBSERVATION_COUNT,
  ObservationQuerySchema,
  ObservationsOutputSchema,
  PatientSearchInputSchema,
  PatientSearchOutputSchema,
  SummaryInputSchema,
  SummaryOutputSchema,
  SyncInputSchema,
  SyncOutputSchema,
} from "./clinical/ehr.js";
export type {
  CarePlanWrite,
  CarePlanWriteResult,
  EhrChange,
  ObservationQuery,
  ObservationsOutput,
  PatientHit,
  PatientSearchInput,
  PatientSearchOutput,
  SyncInput,
  SyncOutput,
} from "./clinical/ehr.js";
export { FhirIdSchema, InterpretationSchema } from "./clinical/patient.js";
export type { ActivityBand, PatientSummary, ScoreResult } from "./clinical/patient.js";
export { ApprovalSchema, PlanRequestSchema } from "./clinical/coordinator.js";
export type { PlanRequest, PlanStatus } from "./clinical/coordinator.js";
export {
  GenotypeSchema,
  PatientSummarySchema,
  PharmacogenomicsSchema,
  TreatmentResponseSchema,
} from "./clinical/patient.js";
export type {
  Allergy,
  Comorbidities,
  CurrentMedication,
  Genotype,
  LabValue,
  Montreal,
  ScreeningResult,
  ScreeningTest,
  TreatmentHistoryItem,
  TreatmentResponse,
} from "./clinical/patient.js";
export type { DoseUnit, Route, Schedule } from "./clinical/regimen.js";
export {
  BiomarkerInfluenceSchema,
  OptimizerConfigSchema,
  OptimizerConstraintsSchema,
  OptimizerResultSchema,
  RankedPlanSchema,
  SimulatedOutcomeSchema,
  TreatmentPlanSchema,
  VerificationReportSchema,
} from "./clinical/plan.js";
export type { Finding, OptimizerResult, RankedPlan, VerificationReport } from "./clinical/plan.js";
export type { Pharmacogenomics, PgxPhenotype } from "./clinical/patient.js";
export { DoseUnitSchema, RouteSchema, ScheduleSchema } from "./clinical/regimen.js";
export { FitnessWeightsSchema, GaRunResultSchema } from "./clinical/plan.js";
export type {
  BiomarkerInfluence,
  ConvergencePoint,
  CurrentDrugAction,
  DecisionAction,
  DecisionPoint,
  FindingSeverity,
  FitnessWeights,
  GaConfig,
  GaProblem,
  GaRunResult,
  MonitoringItem,
  MonitoringTest,
  OptimizerConfig,
  OptimizerConstraints,
  OptimizerMode,
  RegimenItem,
  SimulatedOutcome,
  TreatmentPlan,
} from "./clinical/plan.js";
