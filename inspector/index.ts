/**
 * inspector: the operator's view of what agents say to each other. Reads task events, the rpc
 * journal and topic facts from JetStream, XState inspection and cards from the bus, redacts every
 * payload by allowlist on the server, and serves a terminal tail (cli/inspect.ts) and a web page
 * mounted on the gateway (`mountInspector`). Imports `runtime` and `protocol` only.
 */
export { openInspector, DEFAULT_REPLAY_LIMIT, DEFAULT_CONVERSATION_LOOKBACK_MS } from "./inspector.js";
export type { Inspector, InspectorOptions, Feed, FeedRequest, RevealAudit } from "./inspector.js";
export { mountInspector, DEFAULT_BASE_PATH, DEFAULT_VIEW_ROLES, DEFAULT_REVEAL_ROLES } from "./routes.js";
export type { InspectorRoutesOptions } from "./routes.js";
export { parseFilter, parseSince, matcher, FeedFilterSchema } from "./filter.js";
export type { FeedFilter, Since } from "./filter.js";
export {
  redact,
  redactionPolicy,
  findPatient,
  REDACTED,
  DEFAULT_SAFE_KEYS,
  DEFAULT_PATIENT_KEYS,
  DEFAULT_SAFE_TEXTS,
} from "./redact.js";
export type { RedactionOptions, RedactionPolicy } from "./redact.js";
export { InspectorRecordSchema, AgentViewSchema, ConversationSchema } from "./record.js";
export type { InspectorRecord, AgentView, Conversation, ConversationTask } from "./record.js";
export { Correlator, EXTERNAL_CALLER } from "./correlate.js";
