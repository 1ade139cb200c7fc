import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Message, Task, TaskState } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions, type Client } from "@a2a-js/sdk/client";
import { AgentCard } from "@a2a-js/sdk";
import {
  BusClient,
  NatsTransportFactory,
  SEQ_METADATA_KEY,
  connectBus,
  startAgent,
  type Bus,
  type EmbeddedNats,
  type RunningAgent,
} from "../../runtime/index.js";
import { HmsError, subjects } from "../../protocol/index.js";
import { natsForSuite, quietLogger } from "../support/nats.js";
import { testAgent } from "../support/test-agent.js";

let nats: EmbeddedNats;
let agent: RunningAgent;
let bus: Bus;
let client: Client;
let busClient: BusClient;

const skillMessage = (skill: string, input: unknown, messageId: string = randomUUID()) =>
  Message.fromJSON({
    messageId,
    role: "ROLE_USER",
    parts: [{ data: { skill, input }, mediaType: "application/json" }],
  });
const send = (skill: string, input: unknown, extra: { messageId?: string; returnImmediately?: boolean } = {}) =>
  client.sendMessage(
    {
      tenant: "",
      message: skillMessage(skill, input, extra.messageId),
      configuration: {
        acceptedOutputModes: [],
        taskPushNotificationConfig: undefined,
        returnImmediately: extra.returnImmediately ?? false,
      },
      metadata: {},
    },
    { serviceParameters: { "HMS-Timeout-Ms": "10000" } },
  );

beforeAll(async () => {
  nats = await natsForSuite();
  agent = await startAgent(testAgent, { natsUrl: nats.url, logger: quietLogger });
  bus = await connectBus({ url: nats.url, name: "test-client" });
  busClient = new BusClient(bus.nc, bus.kv.cards, "default");
  const card = await busClient.card("testbed");
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new NatsTransportFactory(bus.nc)] }),
  );
  client = await factory.createFromAgentCard(AgentCard.fromJSON(card));
});

afterAll(async () => {
  await bus?.close();
  await agent?.close();
  await nats?.close();
});

describe("A2A over NATS with the stock @a2a-js/sdk client", () => {
  it("publishes an agent card listing the skills and the NATS interface", async () => {
    const card = await busClient.card("testbed");
    expect(card?.skills.map((s) => s.id)).toEqual([
      "echo_text",
      "count_slowly",
      "fail_with",
      "ask_approval",
      "approve_task",
      "lookup_code",
    ]);
    expect(card?.supportedInterfaces[0]).toMatchObject({
      protocolBinding: "NATS+JSONRPC",
      protocolVersion: "1.0",
      url: `nats:${subjects.rpc("default", "testbed")}`,
    });
  });

  it("sends a message and gets back a completed task with the skill's output", async () => {
    const r = await send("echo_text", { text: "hello", upper: true });
    const task = Task.toJSON(r as Task) as {
      status: { state: string };
      artifacts: Array<{ parts: Array<{ data: unknown }> }>;
    };
    expect(task.status.state).toBe("TASK_STATE_COMPLETED");
    expect(task.artifacts[0]?.parts[0]?.data).toEqual({ text: "HELLO", by: "testbed" });
  });

  it("streams ordered events that end in a terminal state", async () => {
    const seen: Array<{ kind: string; state?: number; seq: number; text?: string }> = [];
    for await (const ev of client.sendMessageStream({
      tenant: "",
      message: skillMessage("count_slowly", { n: 4, stepMs: 5 }),
      configuration: undefined,
      metadata: {},
    })) {
      const p = ev.payload!;
      const meta = p.$case === "task" ? p.value.metadata : (p.value as { metadata?: Record<string, unknown> }).metadata;
      const part =
        p.$case === "statusUpdate"
          ? p.value.status?.message?.parts.find((x) => x.content?.$case === "text")?.content
          : undefined;
      seen.push({
        kind: p.$case,
        state: p.$case === "statusUpdate" ? p.value.status?.state : undefined,
        seq: Number(meta?.[SEQ_METADATA_KEY]),
        text: part?.$case === "text" ? part.value : undefined,
      });
    }
    expect(seen[0]?.kind).toBe("task");
    expect(seen.map((s) => s.seq)).toEqual(seen.map((_, i) => i + 1));
    const states = seen.filter((s) => s.kind === "statusUpdate").map((s) => s.state);
    // Progress may coalesce under load, but the last step always arrives, before the end.
    const texts = seen.filter((s) => s.kind === "statusUpdate").map((s) => s.text);
    expect(texts).toContain("step 4 of 4");
    expect(texts.indexOf("step 4 of 4")).toBeLessThan(texts.length - 1);
    expect(states.at(-1)).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(seen.some((s) => s.kind === "artifactUpdate")).toBe(true);
  });

  it("rate-limits transient progress to one update per 250 ms and drops what is still held back at the end", async () => {
    const steps = async (input: Record<string, unknown>) => {
      const out: { text: string; at: number }[] = [];
      let last: number | undefined;
      for await (const ev of client.sendMessageStream({
        tenant: "",
        message: skillMessage("count_slowly", input),
        configuration: undefined,
        metadata: {},
      })) {
        const p = ev.payload!;
        if (p.$case !== "statusUpdate") continue;
        last = p.value.status?.state;
        const part = p.value.status?.message?.parts.find((x) => x.content?.$case === "text")?.content;
        const text = part?.$case === "text" ? part.value : "";
        if (/^step /.test(text)) out.push({ text, at: Date.parse(p.value.status!.timestamp!) });
      }
      expect(last).toBe(TaskState.TASK_STATE_COMPLETED);
      return out;
    };
    // 30 steps over about 0.6 s: at most one per 250 ms after the start, each the newest step then.
    const many = await steps({ n: 30, stepMs: 20, transient: true });
    expect(many.length).toBeGreaterThanOrEqual(1);
    expect(many.length).toBeLessThanOrEqual(4);
    many.reduce((prev, next) => {
      expect(next.at - prev.at).toBeGreaterThanOrEqual(240);
      return next;
    });
    // Two quick steps are held back and the task ends first: the final status says more.
    expect(await steps({ n: 2, stepMs: 5, transient: true })).toEqual([]);
    // Ordinary progress is not rate-limited.
    expect((await steps({ n: 2, stepMs: 5 })).map((s) => s.text)).toEqual(["step 1 of 2", "step 2 of 2"]);
  });

  it("resumes a task's event stream after a given sequence", async () => {
    const first = (await send("count_slowly", { n: 3, stepMs: 1 })) as Task;
    const all: number[] = [];
    for await (const ev of client.resubscribeTask(
      { tenant: "", id: first.id },
      { serviceParameters: { "A2A-Last-Seq": "2" } },
    )) {
      const p = ev.payload!;
      const meta = p.$case === "task" ? p.value.metadata : (p.value as { metadata?: Record<string, unknown> }).metadata;
      all.push(Number(meta?.[SEQ_METADATA_KEY]));
    }
    expect(all[0]).toBe(3);
    expect(all).toEqual([...all].sort((a, b) => a - b));
    const full = await client.getTask({ tenant: "", id: first.id });
    expect(Number(full.metadata?.[SEQ_METADATA_KEY] ?? all.at(-1))).toBeGreaterThanOrEqual(all.at(-1)!);
  });

  it("answers the same messageId twice with one task", async () => {
    const messageId = randomUUID();
    const [a, b] = await Promise.all([
      send("echo_text", { text: "once" }, { messageId }),
      send("echo_text", { text: "once" }, { messageId }),
    ]);
    const c = await send("echo_text", { text: "once" }, { messageId });
    expect((a as Task).id).toBe((b as Task).id);
    expect((c as Task).id).toBe((a as Task).id);
  });

  it("cancels a running task", async () => {
    const t = (await send("count_slowly", { n: 200, stepMs: 20 }, { returnImmediately: true })) as Task;
    const canceled = await client.cancelTask({ tenant: "", id: t.id, metadata: {} });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    const later = await client.getTask({ tenant: "", id: t.id });
    expect(later.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
  });

  it("reports an unknown task with the spec's task-not-found error", async () => {
    await expect(client.getTask({ tenant: "", id: randomUUID() })).rejects.toMatchObject({
      name: expect.stringMatching(/TaskNotFound/),
    });
  });

  it("lists tasks filtered by state", async () => {
    const r = await client.listTasks({
      tenant: "",
      contextId: "",
      status: TaskState.TASK_STATE_COMPLETED,
      pageSize: 5,
      pageToken: "",
      statusTimestampAfter: undefined,
    });
    expect(r.tasks.length).toBeGreaterThan(0);
    expect(r.tasks.every((t) => t.status?.state === TaskState.TASK_STATE_COMPLETED)).toBe(true);
  });

  it("turns a skill's typed error into a failed task and a rejected one for consent", async () => {
    await expect(busClient.call("testbed", "fail_with", { code: "NOT_FOUND" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(busClient.call("testbed", "fail_with", { code: "CONSENT_DENIED" })).rejects.toMatchObject({
      code: "CONSENT_DENIED",
    });
    const crash = await busClient.callForTask("testbed", "fail_with", { code: "CRASH" }).catch((e: HmsError) => e);
    expect(crash).toBeInstanceOf(HmsError);
    expect((crash as HmsError).message).toContain("boom");
  });

  it("parks a task in input-required until another skill finishes it", async () => {
    const waiting = await busClient.callForTask("testbed", "ask_approval", { what: "plan A" });
    expect(waiting.task.status.state).toBe("TASK_STATE_INPUT_REQUIRED");
    expect(JSON.stringify(waiting.task.status.message)).toContain("approve plan A?");
    await busClient.call("testbed", "approve_task", { taskId: waiting.task.id, approve: true, note: "looks right" });
    const done = await client.getTask({ tenant: "", id: waiting.task.id });
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const refused = await busClient.callForTask("testbed", "ask_approval", { what: "plan B" });
    await busClient.call("testbed", "approve_task", { taskId: refused.task.id, approve: false, note: "too risky" });
    expect((await client.getTask({ tenant: "", id: refused.task.id })).status?.state).toBe(
      TaskState.TASK_STATE_REJECTED,
    );
    await expect(
      busClient.call("testbed", "approve_task", { taskId: refused.task.id, approve: true, note: "again" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("answers a stateless skill with a Message and stores no task, unless the caller asks for one", async () => {
    const r = await send("lookup_code", { code: "K50" });
    expect("messageId" in r && !("status" in r)).toBe(true);
    const m = Message.toJSON(r as Message) as { parts: Array<{ data: unknown }>; metadata: Record<string, unknown> };
    expect(m.parts[0]?.data).toEqual({ code: "K50", length: 3 });
    expect(await busClient.call("testbed", "lookup_code", { code: "K50.0" })).toEqual({ code: "K50.0", length: 5 });
    await expect(busClient.call("testbed", "lookup_code", { code: "missing" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const durable = await busClient.callForTask("testbed", "lookup_code", { code: "K50" });
    expect(durable.task.status.state).toBe("TASK_STATE_COMPLETED");
    expect(durable.output).toEqual({ code: "K50", length: 3 });
  });

  it("names an agent that nobody serves as unavailable, within the deadline", async () => {
    const t0 = Date.now();
    const transport = await new NatsTransportFactory(bus.nc, { timeoutMs: 2_000 }).create(
      `nats:${subjects.rpc("default", "ghost")}`,
      {} as never,
    );
    const err = await transport.getTask({ tenant: "", id: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HmsError);
    expect((err as HmsError).code).toBe("AGENT_UNAVAILABLE");
    expect(Date.now() - t0).toBeLessThan(2_000);
    await expect(busClient.call("ghost", "anything", {})).rejects.toMatchObject({ code: "AGENT_UNAVAILABLE" });
  });
});

describe("bad input on the rpc subject", () => {
  let nc: NatsConnection;
  beforeAll(async () => {
    nc = await connect({ servers: nats.url });
  });
  afterAll(async () => nc?.close());

  const rpc = async (body: string | Uint8Array, headers?: Record<string, string>) => {
    const { headers: mk } = await import("@nats-io/nats-core");
    const h = mk();
    h.set("A2A-Version", "1.0");
    for (const [k, v] of Object.entries(headers ?? {})) h.set(k, v);
    const m = await nc.request(
      subjects.rpc("default", "testbed"),
      typeof body === "string" ? new TextEncoder().encode(body) : body,
      { timeout: 5_000, headers: h },
    );
    return JSON.parse(new TextDecoder().decode(m.data)) as {
      error?: { code: number; message: string; data?: unknown };
      result?: unknown;
    };
  };

  it("answers malformed bytes with a parse error", async () => {
    expect((await rpc("{not json")).error?.code).toBe(-32700);
  });
  it("answers JSON that is not JSON-RPC with invalid request", async () => {
    expect((await rpc(JSON.stringify({ hello: 1 }))).error?.code).toBe(-32600);
  });
  it("answers an unknown method with method not found", async () => {
    expect((await rpc(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "Nope", params: {} }))).error?.code).toBe(-32601);
  });
  it("answers schema-invalid params with invalid params naming the field", async () => {
    const r = await rpc(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "SendMessage",
        params: {
          message: { messageId: "m", role: "ROLE_USER", parts: [{ data: { skill: "echo_text", input: { text: 5 } } }] },
        },
      }),
    );
    expect(r.error?.code).toBe(-32602);
    expect(r.error?.message).toContain("text");
  });
  it("refuses a request without the A2A-Version header as version not supported", async () => {
    const m = await nc.request(
      subjects.rpc("default", "testbed"),
      new TextEncoder().encode(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "GetTask", params: { id: "x" } })),
      { timeout: 5_000 },
    );
    expect((JSON.parse(new TextDecoder().decode(m.data)) as { error: { code: number } }).error.code).toBe(-32009);
  });
});
