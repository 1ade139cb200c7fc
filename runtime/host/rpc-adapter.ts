import { randomUUID } from "node:crypto";
import { headers as natsHeaders, type Msg, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import {
  JsonRpcTransportHandler,
  ServerCallContext,
  validateVersion,
  type A2ARequestHandler,
} from "@a2a-js/sdk/server";
import type { AgentCard } from "@a2a-js/sdk";
import type { Logger } from "pino";
import {
  A2A_METHODS,
  HEADERS,
  HmsError,
  JSONRPC_CODES,
  JsonRpcRequestSchema,
  NATS_BINDING,
  PrincipalSchema,
  SkillCallSchema,
  invalidInput,
  newTraceparent,
  traceIdOf,
  SKILL_CALL_MEDIA_TYPE,
  type A2AMethod,
  type JsonRpcResponse,
} from "../../protocol/index.js";
import type { SkillDef } from "./define.js";
import { CALL_STATE_KEY, type CallState } from "./handler.js";
import { DEFAULT_RPC_TIMEOUT_MS } from "../client/nats-transport.js";
import { REQUIRE_TASK_METADATA } from "../client/bus-client.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
/** Requests larger than this are refused before parsing. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export interface RpcAdapterDeps {
  nc: NatsConnection;
  subject: string;
  queue: string;
  card: AgentCard;
  handler: A2ARequestHandler;
  skills: ReadonlyMap<string, SkillDef>;
  logger: Logger;
  /** Runs a stateless skill inline (SkillSpec.stateless) on its validated input and returns its output. */
  runInline?: (skill: SkillDef, input: unknown, call: CallState) => Promise<unknown>;
  /** Called with each handled request, for the inspector journal. */
  journal?: (entry: {
    method: string;
    id: unknown;
    traceId?: string;
    ms: number;
    ok: boolean;
    code?: number;
    taskId?: string;
  }) => void;
}

/**
 * Serves the agent's rpc subject (queue group = agent id): validates the bytes, the JSON-RPC
 * envelope, the method's params and the skill input with zod, then hands the request to the SDK's
 * `JsonRpcTransportHandler`. Every bad request gets the spec's JSON-RPC error; nothing here throws.
 */
export function serveRpc(d: RpcAdapterDeps): Subscription {
  const transport = new JsonRpcTransportHandler(d.handler);
  // A reply after the connection began to close (a host shutting down while calls are in flight)
  // has no one to reach: skip it rather than raise an unhandled DrainingConnectionError.
  const publish = (subject: string, data: Uint8Array, opts?: { headers: ReturnType<typeof natsHeaders> }) => {
    if (d.nc.isClosed() || d.nc.isDraining()) {
      d.logger.debug({ subject }, "rpc reply dropped: connection closing");
      return;
    }
    try {
      d.nc.publish(subject, data, opts);
    } catch (err) {
      d.logger.debug({ err, subject }, "rpc reply not sent");
    }
  };
  return d.nc.subscribe(d.subject, {
    queue: d.queue,
    // A callback (not a for-await loop) so requests are served concurrently (field-notes).
    callback: (err, msg) => {
      if (err) {
        d.logger.warn({ err }, "rpc subscription error");
        return;
      }
      void serve(msg).catch((e: unknown) => {
        // Never leave a caller waiting for its deadline: a handler crash is an internal error.
        d.logger.error({ err: e }, "rpc handler crashed");
        if (msg.reply) {
          const body = {
            jsonrpc: "2.0",
            id: null,
            error: {
              code: JSONRPC_CODES.INTERNAL_ERROR,
              message: `internal error: ${(e as Error)?.message ?? String(e)}`,
            },
          };
          publish(msg.reply, enc.encode(JSON.stringify(body)));
        }
      });
    },
  });

  async function serve(msg: Msg): Promise<void> {
    const started = Date.now();
    if (!msg.reply) {
      d.logger.debug("rpc message without reply subject ignored");
      return;
    }
    const reply = (body: JsonRpcResponse, hdr?: Record<string, string>) => {
      const h = natsHeaders();
      for (const [k, v] of Object.entries(hdr ?? {})) h.set(k, v);
      publish(msg.reply!, enc.encode(JSON.stringify(body)), { headers: h });
    };
    const fail = (id: unknown, code: number, message: string, data?: unknown) => {
      reply({
        jsonrpc: "2.0",
        id: typeof id === "string" || typeof id === "number" ? id : null,
        error: { code, message, ...(data === undefined ? {} : { data }) },
      });
      d.journal?.({ method: "?", id, ms: Date.now() - started, ok: false, code });
    };
    if (msg.data.length > MAX_REQUEST_BYTES)
      return fail(null, JSONRPC_CODES.INVALID_REQUEST, `request larger than ${MAX_REQUEST_BYTES} bytes`);
    let raw: unknown;
    try {
      raw = JSON.parse(dec.decode(msg.data));
    } catch (e) {
      return fail(null, JSONRPC_CODES.PARSE_ERROR, `Parse error: ${(e as Error).message}`);
    }
    const env = JsonRpcRequestSchema.safeParse(raw);
    const rawId = (raw as { id?: unknown } | null)?.id;
    if (!env.success)
      return fail(
        rawId,
        JSONRPC_CODES.INVALID_REQUEST,
        `Invalid Request: ${invalidInput(env.error, "JSON-RPC request").message}`,
      );
    const { method, id } = env.data;
    if (!(method in A2A_METHODS)) return fail(id, JSONRPC_CODES.METHOD_NOT_FOUND, `Method not found: ${method}`);
    const params = A2A_METHODS[method as A2AMethod].safeParse(env.data.params ?? {});
    if (!params.success) {
      const e = invalidInput(params.error, `${method} params`);
      return fail(id, JSONRPC_CODES.INVALID_PARAMS, e.message, e.toJsonRpc().data);
    }
    const h = msg.headers;
    try {
      validateVersion(h?.get(HEADERS.version) || "0.3", d.card, NATS_BINDING);
    } catch (e) {
      return fail(id, JSONRPC_CODES.VERSION_NOT_SUPPORTED, (e as Error).message);
    }
    let principal;
    const ph = h?.get(HEADERS.principal);
    if (ph) {
      try {
        principal = PrincipalSchema.parse(JSON.parse(ph));
      } catch (e) {
        const he = HmsError.from(e);
        return fail(id, JSONRPC_CODES.INVALID_PARAMS, `invalid ${HEADERS.principal} header: ${he.message}`);
      }
    }
    let skill: SkillDef | undefined;
    let skillInput: unknown;
    if (method === "SendMessage" || method === "SendStreamingMessage") {
      const parts = (params.data as { message: { parts: Array<Record<string, unknown>> } }).message.parts;
      const dataPart = parts.find((p) => "data" in p);
      const call = SkillCallSchema.safeParse(dataPart?.data);
      if (!call.success) {
        return fail(
          id,
          JSONRPC_CODES.INVALID_PARAMS,
          `message must carry a data part {skill, input}: ${invalidInput(call.error).message}`,
          {
            skills: [...d.skills.keys()],
          },
        );
      }
      const def = d.skills.get(call.data.skill);
      if (!def)
        return fail(
          id,
          JSONRPC_CODES.INVALID_PARAMS,
          `unknown skill ${call.data.skill}; this agent offers ${[...d.skills.keys()].join(", ")}`,
        );
      const input = def.input.safeParse(call.data.input);
      if (!input.success) {
        const e = invalidInput(input.error, `input of ${call.data.skill}`);
        return fail(id, JSONRPC_CODES.INVALID_PARAMS, e.message, e.toJsonRpc().data);
      }
      skill = def;
      skillInput = input.data;
    }
    const traceparent = traceIdOf(h?.get(HEADERS.traceparent)) ? h!.get(HEADERS.traceparent) : newTraceparent();
    const deadlineHdr = Number(h?.get(HEADERS.deadline));
    const lastSeqHdr = h?.get(HEADERS.lastSeq);
    const state: CallState = {
      principal,
      traceparent,
      deadline: Number.isFinite(deadlineHdr) && deadlineHdr > 0 ? deadlineHdr : Date.now() + DEFAULT_RPC_TIMEOUT_MS,
      lastSeq:
        lastSeqHdr !== undefined && lastSeqHdr !== "" && Number.isInteger(Number(lastSeqHdr))
          ? Number(lastSeqHdr)
          : undefined,
      skill: skill?.verb,
      caller: /^[a-z][a-z0-9-]{0,30}$/.test(h?.get(HEADERS.caller) ?? "") ? h!.get(HEADERS.caller) : undefined,
    };
    const ctx = new ServerCallContext({
      requestedVersion: h?.get(HEADERS.version) || "0.3",
      state: new Map([[CALL_STATE_KEY, state]]),
    });
    const wantsTask =
      (params.data as { message?: { metadata?: Record<string, unknown> } }).message?.metadata?.[
        REQUIRE_TASK_METADATA
      ] === "required";
    if (method === "SendMessage" && skill && d.runInline && skill.stateless && !wantsTask) {
      // A2A §3.1.1: a stateless answer is a Message; no task is stored.
      const message = (params.data as { message: { messageId: string; contextId?: string } }).message;
      const answer = (data: unknown, failed: boolean) => ({
        jsonrpc: "2.0" as const,
        id: id ?? null,
        result: {
          message: {
            messageId: randomUUID(),
            role: "ROLE_AGENT",
            ...(message.contextId ? { contextId: message.contextId } : {}),
            parts: [{ data, mediaType: SKILL_CALL_MEDIA_TYPE }],
            metadata: {
              skill: skill.verb,
              "hms/outcome": failed ? "failed" : "completed",
              "hms/inReplyTo": message.messageId,
            },
          },
        },
      });
      try {
        const out = await d.runInline(skill, skillInput, state);
        reply(answer(out, false));
        d.journal?.({ method, id, traceId: traceIdOf(traceparent), ms: Date.now() - started, ok: true });
      } catch (err) {
        const he = HmsError.from(err);
        if (he.code === "INTERNAL") d.logger.error({ err, skill: skill.verb }, "stateless skill failed");
        reply(answer({ error: he.toJSON() }, true));
        d.journal?.({ method, id, traceId: traceIdOf(traceparent), ms: Date.now() - started, ok: false });
      }
      return;
    }
    const result = await transport.handle(env.data, ctx);
    if (Symbol.asyncIterator in (result as object)) {
      let n = 0;
      try {
        for await (const item of result as AsyncGenerator<JsonRpcResponse>) {
          n++;
          reply(item);
        }
      } catch (e) {
        const he = HmsError.from(e);
        reply({ jsonrpc: "2.0", id: id ?? null, error: he.toJsonRpc() });
      }
      reply({ jsonrpc: "2.0", id: id ?? null, result: null }, { [HEADERS.stream]: "end" });
      d.logger.debug({ traceId: traceIdOf(traceparent), method, events: n, ms: Date.now() - started }, "stream served");
      d.journal?.({ method, id, traceId: traceIdOf(traceparent), ms: Date.now() - started, ok: true });
    } else {
      const r = result as JsonRpcResponse;
      reply(r);
      const ok = !("error" in r);
      const taskId = ok
        ? ((r as { result?: { task?: { id?: string }; id?: string } }).result?.task?.id ??
          (r as { result?: { id?: string } }).result?.id)
        : undefined;
      d.logger.debug({ traceId: traceIdOf(traceparent), method, ms: Date.now() - started, ok }, "rpc answered");
      d.journal?.({
        method,
        id,
        traceId: traceIdOf(traceparent),
        ms: Date.now() - started,
        ok,
        code: ok ? undefined : (r as { error: { code: number } }).error.code,
        taskId,
      });
    }
  }
}
