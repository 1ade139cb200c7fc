import { randomUUID } from "node:crypto";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { AgentCard } from "@a2a-js/sdk";
import type { Logger } from "pino";
import {
  A2A_PROTOCOL_VERSION,
  AgentCardSchema,
  HEADERS,
  HmsError,
  NATS_BINDING,
  agentPrincipal,
  childTraceparent,
  newTraceparent,
  parseSubject,
  subjects,
  traceIdOf,
  type WireAgentCard,
} from "../../protocol/index.js";
import { connectBus, type Bus } from "../bus/connect.js";
import { BusClient } from "../client/bus-client.js";
import { natsInterfaceUrl } from "../client/nats-transport.js";
import {
  checkedOutput,
  type AgentContext,
  type AgentDef,
  type AgentState,
  type CallOptions,
  type CallRecord,
  type SkillContext,
  type SkillDef,
} from "./define.js";
import { DurableRequestHandler, type CallState } from "./handler.js";
import { serveRpc } from "./rpc-adapter.js";
import { KvTaskStore } from "./task-store.js";
import { startWorker } from "./worker.js";

export const DEFAULT_HEARTBEAT_MS = 2_000;
export const DEFAULT_TENANT = "default";

export interface StartAgentOptions {
  natsUrl: string;
  /** NATS credentials (user/pass or token). */
  natsAuth?: { user?: string; pass?: string; token?: string };
  /** @defaultValue DEFAULT_TENANT */
  tenant?: string;
  logger: Logger;
  /** @defaultValue DEFAULT_HEARTBEAT_MS */
  heartbeatMs?: number;
  /** How long accepted work may go unacknowledged before another instance takes it. */
  ackWaitMs?: number;
  concurrency?: number;
}

export interface RunningAgent {
  id: string;
  instanceId: string;
  card: WireAgentCard;
  bus: Bus;
  client: BusClient;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Builds the wire agent card of an agent for a tenant. */
export function agentCard(def: AgentDef, tenant: string): WireAgentCard {
  return AgentCardSchema.parse({
    name: def.name,
    description: def.description,
    version: def.version,
    supportedInterfaces: [
      {
        url: natsInterfaceUrl(subjects.rpc(tenant, def.id)),
        protocolBinding: NATS_BINDING,
        protocolVersion: A2A_PROTOCOL_VERSION,
        tenant,
      },
    ],
    provider: { organization: "HMS-A2A", url: "https://github.com/hms-a2a" },
    capabilities: { streaming: true, pushNotifications: false, extendedAgentCard: false },
    defaultInputModes: ["application/json"],
    defaultOutputModes: ["application/json"],
    skills: def.skills.map((s: SkillDef) => ({
      id: s.verb,
      name: s.title,
      description: s.description,
      tags: [def.id, ...(s.tags ?? [])],
      examples: s.examples ?? [],
      inputModes: ["application/json"],
      outputModes: ["application/json"],
    })),
  });
}

/**
 * Runs one instance of an agent on the bus: publishes its card, serves its rpc subject, pulls its
 * durable work, heartbeats, bridges XState inspection to `obs.v1.<tenant>.xstate.<agentId>`.
 */
export async function startAgent(def: AgentDef, opts: StartAgentOptions): Promise<RunningAgent> {
  const tenant = opts.tenant ?? DEFAULT_TENANT;
  const instanceId = `${def.id}-${randomUUID().slice(0, 8)}`;
  const logger = opts.logger.child({ agentId: def.id, instanceId });
  const bus = await connectBus({ url: opts.natsUrl, name: instanceId, logger, ...opts.natsAuth });
  const card = agentCard(def, tenant);
  const sdkCard = AgentCard.fromJSON(card);
  const skills = new Map(def.skills.map((s) => [s.verb, s]));
  const store = new KvTaskStore(bus.kv.tasks, tenant, bus.js);
  const client = new BusClient(bus.nc, bus.kv.cards, tenant);
  const enc = new TextEncoder();
  const shutdown = new AbortController();

  const publish = async (topicType: string, data: unknown, traceparent?: string) => {
    const h = natsHeaders();
    h.set(HEADERS.traceparent, traceparent ?? newTraceparent());
    bus.nc.publish(subjects.topic(tenant, topicType, def.id), enc.encode(JSON.stringify(data)), { headers: h });
  };
  const call =
    <T>(principalDefault: SkillContext["principal"], traceparent: string | undefined, record?: CallRecord[]) =>
    async (agentId: string, verb: string, input: unknown, o: CallOptions = {}): Promise<T> => {
      const r = await client.invoke<T>(agentId, verb, input, {
        principal: o.principal ?? principalDefault ?? agentPrincipal(def.id),
        timeoutMs: o.timeoutMs,
        traceparent: childTraceparent(traceparent),
        onProgress: o.onProgress,
        messageId: o.messageId,
        caller: def.id,
        // Agent-to-agent calls ride out a restarting peer (the retry reuses the messageId).
        retries: o.retries ?? 3,
      });
      record?.push({ agentId, skill: verb, ...(r.task ? { taskId: r.task.id } : { messageId: r.messageId }) });
      return r.output as T;
    };

  const state = kvState(bus, tenant, def.id);
  const handler = new DurableRequestHandler({
    agentId: def.id,
    tenant,
    card: sdkCard,
    nc: bus.nc,
    js: bus.js,
    store,
    logger,
  });
  const xstateSubject = subjects.xstate(tenant, def.id);
  const worker = await startWorker({
    agentId: def.id,
    tenant,
    instanceId,
    nc: bus.nc,
    js: bus.js,
    jsm: bus.jsm,
    store,
    skills,
    logger,
    ackWaitMs: opts.ackWaitMs,
    concurrency: opts.concurrency,
    inspect: (ev) =>
      bus.nc.publish(xstateSubject, enc.encode(JSON.stringify({ ...ev, agentId: def.id, instanceId, at: Date.now() }))),
    context: (item, base) => {
      const calls: CallRecord[] = [];
      return {
        ...base,
        calls,
        state,
        agentCard: (id) => client.card(id),
        call: call(item.principal, item.traceparent, calls),
        publish: (type, data) => publish(type, data, item.traceparent),
      };
    },
  });
  // Stateless skills run inline in the rpc handler (which validated the input), with the same
  // context minus task machinery.
  const runInline = async (skill: SkillDef, parsed: unknown, callState: CallState): Promise<unknown> => {
    const taskId = `inline-${randomUUID()}`;
    const calls: CallRecord[] = [];
    const ctx: SkillContext = {
      agentId: def.id,
      taskId,
      contextId: taskId,
      traceId: traceIdOf(callState.traceparent) ?? "",
      principal: callState.principal,
      logger: logger.child({ traceId: traceIdOf(callState.traceparent), skill: skill.verb }),
      signal: AbortSignal.any([AbortSignal.timeout(Math.max(1, callState.deadline - Date.now())), shutdown.signal]),
      redelivered: false,
      calls,
      state,
      agentCard: (id) => client.card(id),
      progress: async () => undefined,
      call: call(callState.principal, callState.traceparent, calls),
      publish: (type, data) => publish(type, data, callState.traceparent),
      inputRequired: async () => {
        throw new HmsError("UNSUPPORTED_OPERATION", `stateless skill ${skill.verb} cannot wait for input`);
      },
      finishTask: async () => {
        throw new HmsError("UNSUPPORTED_OPERATION", `stateless skill ${skill.verb} cannot finish tasks`);
      },
    };
    return checkedOutput(skill, await skill.handler(parsed as Record<string, unknown>, ctx));
  };
  const journalSubject = subjects.journal(tenant, def.id);
  const rpcSub = serveRpc({
    nc: bus.nc,
    subject: subjects.rpc(tenant, def.id),
    queue: def.id,
    card: sdkCard,
    handler,
    skills,
    logger,
    runInline,
    journal: (entry) =>
      bus.nc.publish(
        journalSubject,
        enc.encode(JSON.stringify({ ...entry, agentId: def.id, instanceId, at: Date.now() })),
      ),
  });
  await bus.kv.cards.put(`${tenant}.${def.id}`, enc.encode(JSON.stringify(card)));

  const started = Date.now();
  const beat = () =>
    void publish("heartbeat", {
      agentId: def.id,
      instanceId,
      pid: process.pid,
      version: def.version,
      uptimeMs: Date.now() - started,
      inflight: worker.inflight(),
      at: new Date().toISOString(),
    }).catch(() => undefined);
  beat();
  const heartbeat = setInterval(beat, opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);

  const agentCtx: AgentContext = {
    agentId: def.id,
    tenant,
    instanceId,
    logger,
    signal: shutdown.signal,
    bus: { nc: bus.nc, js: bus.js, jsm: bus.jsm },
    call: call(agentPrincipal(def.id), undefined),
    publish: (type, data) => publish(type, data),
    state,
    subscribe: (type, source, fn) => {
      // Tokens are checked (no `.` or `>` slips in); `*` is allowed as the whole source only.
      const sub = bus.nc.subscribe(
        source === "*" ? subjects.allTopicsOf(tenant, type) : subjects.topic(tenant, type, source),
        {
          callback: (_e, m) => {
            let data: unknown;
            try {
              data = JSON.parse(new TextDecoder().decode(m.data));
            } catch {
              logger.warn({ subject: m.subject }, "non-JSON topic message ignored");
              return;
            }
            const p = parseSubject(m.subject);
            void Promise.resolve(fn(data, { subject: m.subject, source: p.kind === "topic" ? p.source : "" })).catch(
              (err: unknown) => logger.error({ err }, "topic handler failed"),
            );
          },
        },
      );
      return () => sub.unsubscribe();
    },
  };
  const services = (await def.start?.(agentCtx)) ?? undefined;
  logger.info({ skills: [...skills.keys()] }, "agent serving");

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(heartbeat);
      shutdown.abort();
      rpcSub.unsubscribe();
      await services?.close().catch((err: unknown) => logger.warn({ err }, "agent services did not close cleanly"));
      await worker.close();
      await bus.close();
      logger.info("agent stopped");
    })());
  return { id: def.id, instanceId, card, bus, client, close, [Symbol.asyncDispose]: close };
}

/** Agent state in the snapshots bucket; keys are `<tenant>.<agentId>.<key>` with key tokens [A-Za-z0-9_-]. */
function kvState(bus: Bus, tenant: string, agentId: string): AgentState {
  const prefix = `${tenant}.${agentId}.`;
  const check = (key: string) => {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(key))
      throw new TypeError(`state key must be dot-separated [A-Za-z0-9_-] tokens: ${key}`);
    return prefix + key;
  };
  return {
    async load<T>(key: string) {
      const e = await bus.kv.snapshots.get(check(key));
      if (!e || e.operation !== "PUT" || e.value.length === 0) return undefined;
      return JSON.parse(new TextDecoder().decode(e.value)) as T;
    },
    async save(key, value) {
      await bus.kv.snapshots.put(check(key), new TextEncoder().encode(JSON.stringify(value)));
    },
    async delete(key) {
      await bus.kv.snapshots.delete(check(key));
    },
    async keys(sub = "") {
      const out: string[] = [];
      for await (const k of await bus.kv.snapshots.keys(`${prefix}>`))
        if (k.startsWith(prefix + sub)) out.push(k.slice(prefix.length));
      return out;
    },
  };
}
