/**
 * Subject scheme of the NATS binding (protocol/BINDING.md §2). Every token is `[a-z0-9-]+`, so no
 * caller-supplied value can add a token or a wildcard.
 */

const TOKEN = /^[a-z0-9-]{1,64}$/;

/** Throws when `value` is not a valid subject token; returns it otherwise. */
export function token(value: string, what = "token"): string {
  if (!TOKEN.test(value)) throw new TypeError(`${what} must match [a-z0-9-]{1,64}, got ${JSON.stringify(value)}`);
  return value;
}

/** Lower-cases and replaces anything outside [a-z0-9-] so an arbitrary id (a UUID, a FHIR id) becomes a token. */
export function toToken(value: string): string {
  const t = value
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 64);
  return t.length > 0 ? t : "-";
}

export const subjects = {
  /** JSON-RPC request/reply for one agent; queue group = agent id. */
  rpc: (tenant: string, agentId: string) => `a2a.v1.${token(tenant, "tenant")}.agent.${token(agentId, "agentId")}.rpc`,
  /** Cancel notices for an agent's running tasks (every instance listens, no queue group). */
  cancel: (tenant: string, agentId: string) =>
    `a2a.v1.${token(tenant, "tenant")}.agent.${token(agentId, "agentId")}.cancel`,
  /** Durable work handed from the rpc handler to whichever instance pulls it. */
  work: (tenant: string, agentId: string) => `a2a.v1.${token(tenant, "tenant")}.work.${token(agentId, "agentId")}`,
  /** Every status/artifact event of one task, in order, in JetStream. */
  taskEvents: (tenant: string, taskId: string) =>
    `a2a.v1.${token(tenant, "tenant")}.task.${token(taskId, "taskId")}.events`,
  /** Published facts: heartbeats, device readings, alarms, alerts, EHR and consent changes. */
  topic: (tenant: string, type: string, source: string) =>
    `a2a.v1.${token(tenant, "tenant")}.topic.${token(type, "topic type")}.${token(source, "source")}`,
  /** XState inspection events of one agent. */
  xstate: (tenant: string, agentId: string) => `obs.v1.${token(tenant, "tenant")}.xstate.${token(agentId, "agentId")}`,
  /** Copies of rpc replies and handler outcomes, for the inspector's journal. */
  journal: (tenant: string, agentId: string) =>
    `obs.v1.${token(tenant, "tenant")}.journal.${token(agentId, "agentId")}`,
  // wildcards
  allTaskEvents: (tenant = "*") => `a2a.v1.${tenant}.task.*.events`,
  allWork: (tenant = "*") => `a2a.v1.${tenant}.work.*`,
  allTopics: (tenant = "*") => `a2a.v1.${tenant}.topic.>`,
  allRpc: (tenant = "*") => `a2a.v1.${tenant}.agent.*.rpc`,
  allObs: (tenant = "*") => `obs.v1.${tenant}.>`,
  /** Every source's facts of one topic type, e.g. every agent's heartbeat. */
  allTopicsOf: (tenant: string, type: string) =>
    `a2a.v1.${token(tenant, "tenant")}.topic.${token(type, "topic type")}.*`,
  allJournal: (tenant = "*") => `obs.v1.${tenant}.journal.*`,
  allXstate: (tenant = "*") => `obs.v1.${tenant}.xstate.*`,
  /** Prefix of every obs subject of a tenant (`obs.v1.<tenant>.`). */
  obsPrefix: (tenant: string) => `obs.v1.${token(tenant, "tenant")}.`,
  /** Prefix of every a2a subject of a tenant (`a2a.v1.<tenant>.`). */
  a2aPrefix: (tenant: string) => `a2a.v1.${token(tenant, "tenant")}.`,
  /** The inspector's audit of revealed payloads. */
  inspectorAudit: (tenant: string) => `obs.v1.${token(tenant, "tenant")}.audit.inspector`,
} as const;

/** Parses `a2a.v1.<tenant>.agent.<agentId>.rpc`-style subjects back into their parts. */
export function parseSubject(
  subject: string,
):
  | { kind: "rpc" | "cancel"; tenant: string; agentId: string }
  | { kind: "task-events"; tenant: string; taskId: string }
  | { kind: "topic"; tenant: string; type: string; source: string }
  | { kind: "work"; tenant: string; agentId: string }
  | { kind: "xstate" | "journal"; tenant: string; agentId: string }
  | { kind: "other" } {
  const [root, version, tenant, kind, id, last, ...more] = subject.split(".");
  // Every known subject has five or six tokens.
  if (tenant === undefined || id === undefined || more.length > 0) return { kind: "other" };
  if (root === "a2a" && version === "v1") {
    if (kind === "agent" && (last === "rpc" || last === "cancel")) return { kind: last, tenant, agentId: id };
    if (kind === "task" && last === "events") return { kind: "task-events", tenant, taskId: id };
    if (kind === "topic" && last !== undefined) return { kind: "topic", tenant, type: id, source: last };
    if (kind === "work" && last === undefined) return { kind: "work", tenant, agentId: id };
  }
  if (root === "obs" && version === "v1" && last === undefined && (kind === "xstate" || kind === "journal"))
    return { kind, tenant, agentId: id };
  return { kind: "other" };
}

/** NATS headers of the binding (BINDING.md §3). */
export const HEADERS = {
  version: "A2A-Version",
  traceparent: "traceparent",
  msgId: "Nats-Msg-Id",
  principal: "HMS-Principal",
  deadline: "HMS-Deadline",
  seq: "A2A-Seq",
  lastSeq: "A2A-Last-Seq",
  stream: "A2A-Stream",
  taskId: "A2A-Task-Id",
  caller: "HMS-Caller",
} as const;

/** KV bucket names. */
export const BUCKETS = {
  cards: "hms-cards",
  tasks: "hms-tasks",
  snapshots: "hms-snapshots",
} as const;

/** JetStream stream names. */
export const STREAMS = {
  taskEvents: "HMS_TASK_EVENTS",
  work: "HMS_WORK",
  topics: "HMS_TOPICS",
  journal: "HMS_JOURNAL",
} as const;

export const A2A_PROTOCOL_VERSION = "1.0";
/** `protocolBinding` value on agent cards for this binding. */
export const NATS_BINDING = "NATS+JSONRPC";
