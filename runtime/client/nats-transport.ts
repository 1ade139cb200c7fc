import { createInbox, headers as natsHeaders, type MsgHdrs, type NatsConnection } from "@nats-io/nats-core";
import {
  type AgentCard,
  CancelTaskRequest,
  GetTaskRequest,
  ListTasksRequest,
  ListTasksResponse,
  SendMessageRequest,
  StreamResponse,
  SubscribeToTaskRequest,
  Task,
  Message,
  type GetExtendedAgentCardRequest,
} from "@a2a-js/sdk";
import type { Transport, TransportFactory, RequestOptions } from "@a2a-js/sdk/client";
import { fromJsonRpcErrorResponse, UnsupportedOperationError } from "@a2a-js/sdk/errors";
import {
  A2A_PROTOCOL_VERSION,
  HEADERS,
  HmsError,
  NATS_BINDING,
  newTraceparent,
  parseSubject,
} from "../../protocol/index.js";

export const DEFAULT_RPC_TIMEOUT_MS = 30_000;
export const DEFAULT_STREAM_TIMEOUT_MS = 120_000;
/** Service parameter carrying the caller's timeout to the transport (not sent on the wire). */
export const TIMEOUT_PARAM = "HMS-Timeout-Ms";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** `nats:<subject>` as written in an agent card's supportedInterfaces[].url. */
export const natsInterfaceUrl = (subject: string): string => `nats:${subject}`;

function subjectOf(url: string): string {
  const subject = url.replace(/^nats:(\/\/)?/, "");
  if (parseSubject(subject).kind !== "rpc") throw new HmsError("INVALID_INPUT", `not an A2A rpc subject: ${url}`);
  return subject;
}

interface JsonRpcEnvelope {
  jsonrpc: "2.0";
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/**
 * A2A over NATS for the stock `@a2a-js/sdk` Client (protocol/BINDING.md): JSON-RPC request/reply on
 * the agent's rpc subject; streams as a sequence of replies to an inbox ending with `A2A-Stream: end`.
 * Service parameters (A2A-Version, traceparent, HMS-Principal, A2A-Last-Seq) travel as NATS headers.
 */
export class NatsTransport implements Transport {
  private nextId = 1;
  constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    private readonly defaults: { timeoutMs?: number; streamTimeoutMs?: number } = {},
  ) {}

  get protocolName(): string {
    return NATS_BINDING;
  }
  get protocolVersion(): string {
    return A2A_PROTOCOL_VERSION;
  }

  private headersFor(options: RequestOptions | undefined, timeoutMs: number): MsgHdrs {
    const h = natsHeaders();
    h.set(HEADERS.version, A2A_PROTOCOL_VERSION);
    for (const [k, v] of Object.entries(options?.serviceParameters ?? {})) if (typeof v === "string") h.set(k, v);
    if (!h.has(HEADERS.traceparent)) h.set(HEADERS.traceparent, newTraceparent());
    h.set(HEADERS.deadline, String(Date.now() + timeoutMs));
    return h;
  }

  private timeoutOf(options: RequestOptions | undefined, fallback: number): number {
    const t = Number(options?.serviceParameters?.[TIMEOUT_PARAM]);
    return Number.isFinite(t) && t > 0 ? t : fallback;
  }

  private async rpc(method: string, params: unknown, options?: RequestOptions): Promise<unknown> {
    const id = this.nextId++;
    const timeout = this.timeoutOf(options, this.defaults.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS);
    options?.signal?.throwIfAborted();
    const req = this.nc.request(this.subject, enc.encode(JSON.stringify({ jsonrpc: "2.0", id, method, params })), {
      timeout,
      headers: this.headersFor(options, timeout),
    });
    let msg;
    try {
      msg = await (options?.signal ? raceSignal(req, options.signal) : req);
    } catch (err) {
      throw mapNatsError(err, this.subject, timeout);
    }
    const env = JSON.parse(dec.decode(msg.data)) as JsonRpcEnvelope;
    if (env.error) throw fromJsonRpcErrorResponse(env as never);
    return env.result;
  }

  private async *stream(
    method: string,
    params: unknown,
    options?: RequestOptions,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    const id = this.nextId++;
    const timeout = this.timeoutOf(options, this.defaults.streamTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS);
    const inbox = createInbox();
    const sub = this.nc.subscribe(inbox);
    const deadline = setTimeout(() => sub.unsubscribe(), timeout);
    const onAbort = () => sub.unsubscribe();
    options?.signal?.addEventListener("abort", onAbort, { once: true });
    let ended = false;
    try {
      // No responders is signalled as a 503 status message on the inbox.
      this.nc.publish(this.subject, enc.encode(JSON.stringify({ jsonrpc: "2.0", id, method, params })), {
        reply: inbox,
        headers: this.headersFor(options, timeout),
      });
      for await (const m of sub) {
        if (m.headers?.hasError && m.headers.code === 503) {
          throw new HmsError("AGENT_UNAVAILABLE", `no agent is serving ${this.subject}`, {
            data: { subject: this.subject },
          });
        }
        if (m.headers?.get(HEADERS.stream) === "end") {
          ended = true;
          return;
        }
        const env = JSON.parse(dec.decode(m.data)) as JsonRpcEnvelope;
        if (env.error) throw fromJsonRpcErrorResponse(env as never);
        yield StreamResponse.fromJSON(env.result);
      }
      options?.signal?.throwIfAborted();
      if (!ended)
        throw new HmsError("DEADLINE_EXCEEDED", `stream from ${this.subject} did not end within ${timeout} ms`, {
          data: { timeoutMs: timeout },
        });
    } finally {
      clearTimeout(deadline);
      options?.signal?.removeEventListener("abort", onAbort);
      sub.unsubscribe();
    }
  }

  async getExtendedAgentCard(_params: GetExtendedAgentCardRequest, _options?: RequestOptions): Promise<AgentCard> {
    throw new UnsupportedOperationError("extended agent cards are not offered over NATS");
  }
  async sendMessage(params: SendMessageRequest, options?: RequestOptions): Promise<Message | Task> {
    const result = (await this.rpc("SendMessage", SendMessageRequest.toJSON(params), options)) as {
      task?: unknown;
      message?: unknown;
    };
    if (result.task) return Task.fromJSON(result.task);
    if (result.message) return Message.fromJSON(result.message);
    throw new HmsError("INTERNAL", "SendMessage result has neither task nor message");
  }
  sendMessageStream(
    params: SendMessageRequest,
    options?: RequestOptions,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    return this.stream("SendStreamingMessage", SendMessageRequest.toJSON(params), options);
  }
  async getTask(params: GetTaskRequest, options?: RequestOptions): Promise<Task> {
    return Task.fromJSON(await this.rpc("GetTask", GetTaskRequest.toJSON(params), options));
  }
  async cancelTask(params: CancelTaskRequest, options?: RequestOptions): Promise<Task> {
    return Task.fromJSON(await this.rpc("CancelTask", CancelTaskRequest.toJSON(params), options));
  }
  async listTasks(params: ListTasksRequest, options?: RequestOptions): Promise<ListTasksResponse> {
    return ListTasksResponse.fromJSON(await this.rpc("ListTasks", ListTasksRequest.toJSON(params), options));
  }
  resubscribeTask(
    params: SubscribeToTaskRequest,
    options?: RequestOptions,
  ): AsyncGenerator<StreamResponse, void, undefined> {
    return this.stream("SubscribeToTask", SubscribeToTaskRequest.toJSON(params), options);
  }
  async createTaskPushNotificationConfig(): Promise<never> {
    throw new UnsupportedOperationError("push notifications are not supported over NATS; use SubscribeToTask");
  }
  async getTaskPushNotificationConfig(): Promise<never> {
    throw new UnsupportedOperationError("push notifications are not supported over NATS; use SubscribeToTask");
  }
  async listTaskPushNotificationConfig(): Promise<never> {
    throw new UnsupportedOperationError("push notifications are not supported over NATS; use SubscribeToTask");
  }
  async deleteTaskPushNotificationConfig(): Promise<never> {
    throw new UnsupportedOperationError("push notifications are not supported over NATS; use SubscribeToTask");
  }
}

/** Plugs the NATS binding into `ClientFactory` (matched on the card's `protocolBinding`). */
export class NatsTransportFactory implements TransportFactory {
  constructor(
    private readonly nc: NatsConnection,
    private readonly defaults: { timeoutMs?: number; streamTimeoutMs?: number } = {},
  ) {}
  get protocolName(): string {
    return NATS_BINDING;
  }
  async create(url: string, _card: AgentCard): Promise<Transport> {
    return new NatsTransport(this.nc, subjectOf(url), this.defaults);
  }
}

function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** NATS "no responders" → AGENT_UNAVAILABLE; request timeout → DEADLINE_EXCEEDED. */
export function mapNatsError(err: unknown, subject: string, timeoutMs: number): unknown {
  const e = err as { name?: string; code?: string; message?: string };
  const text = `${e?.name ?? ""} ${e?.code ?? ""} ${e?.message ?? ""}`;
  if (/no ?responders|503/i.test(text)) {
    const agentId = parseSubject(subject);
    return new HmsError("AGENT_UNAVAILABLE", `no agent is serving ${subject}`, {
      cause: err,
      data: { subject, ...(agentId.kind === "rpc" ? { agentId: agentId.agentId } : {}) },
    });
  }
  if (/timeout/i.test(text))
    return new HmsError("DEADLINE_EXCEEDED", `no answer from ${subject} within ${timeoutMs} ms`, {
      cause: err,
      data: { subject, timeoutMs },
    });
  return err;
}
