// Bus benchmark (issue: runtime foundation). One run, side by side, same 1 KB payload:
//   (a) raw nats.js request/reply, (b) A2A SendMessage through our NATS binding with a durable task
//   (KV task, JetStream events and work queue), (b2) the same for a stateless skill (answered with an
//   A2A Message, nothing stored), (c) A2A JSON-RPC over HTTP with the SDK's own server (express,
//   in-memory task store) and client (fetch).
// Prints a table, then one JSON line with the figures and the ratios b/a and b/c.
// Usage: npx tsx bench/bus.ts [--requests 2000] [--concurrency 32]
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import express from "express";
import { z } from "zod";
import pino from "pino";
import { connect } from "@nats-io/transport-node";
import { AgentCard, Message } from "@a2a-js/sdk";
import { DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor } from "@a2a-js/sdk/server";
import { jsonRpcHandler, UserBuilder } from "@a2a-js/sdk/server/express";
import { ClientFactory } from "@a2a-js/sdk/client";
import { BusClient, defineAgent, defineSkill, startAgent, startEmbeddedNats } from "../runtime/index.js";
import { drive, percentile, printTable } from "./support.js";

const { values } = parseArgs({
  options: { requests: { type: "string", default: "2000" }, concurrency: { type: "string", default: "32" } },
});
const N = Number(values.requests);
const C = Number(values.concurrency);
const TEXT = "x".repeat(1024);
const logger = pino({ level: "silent" });

const echo = defineSkill({
  verb: "echo_text",
  title: "Echo",
  description: "Echoes its text.",
  input: z.object({ text: z.string() }),
  output: z.object({ text: z.string() }),
  handler: async (i) => ({ text: i.text }),
});
const echoStateless = defineSkill({ ...echo, verb: "echo_stateless", stateless: true });
const benchAgent = defineAgent({
  id: "bench",
  name: "Bench",
  description: "Echo agent for the bus benchmark.",
  version: "1.0.0",
  skills: [echo, echoStateless],
});

interface Figures {
  rps: number;
  p50: number;
  p99: number;
}
async function measure(label: string, n: number, concurrency: number, op: () => Promise<void>): Promise<Figures> {
  for (let i = 0; i < Math.min(200, n / 10); i++) await op(); // warm-up
  const t0 = performance.now();
  const lat = await drive(concurrency, n, op);
  const secs = (performance.now() - t0) / 1000;
  const f = { rps: n / secs, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99) };
  process.stderr.write(
    `  ${label.padEnd(34)} ${f.rps.toFixed(0).padStart(7)} req/s  p50 ${f.p50.toFixed(2)} ms  p99 ${f.p99.toFixed(2)} ms\n`,
  );
  return f;
}

const nats = await startEmbeddedNats({ logger });
const nc = await connect({ servers: nats.url });
// (a) raw request/reply
nc.subscribe("bench.raw", { callback: (_e, m) => void m.respond(m.data) });
const payload = new TextEncoder().encode(JSON.stringify({ text: TEXT }));
// (b) our binding
const agent = await startAgent(benchAgent, { natsUrl: nats.url, logger });
const client = new BusClient(agent.bus.nc, agent.bus.kv.cards, "default");
// (c) SDK over HTTP
const executor: AgentExecutor = {
  execute: async (ctx, bus) => {
    const part = ctx.userMessage.parts[0]?.content;
    const text = part?.$case === "data" ? (part.value as { input: { text: string } }).input.text : "";
    bus.publish({
      kind: "task",
      data: {
        id: ctx.taskId,
        contextId: ctx.contextId,
        status: { state: 2, message: undefined, timestamp: new Date().toISOString() },
        artifacts: [],
        history: [ctx.userMessage],
        metadata: {},
      },
    });
    bus.publish({
      kind: "artifactUpdate",
      data: {
        taskId: ctx.taskId,
        contextId: ctx.contextId,
        artifact: {
          artifactId: "result",
          name: "result",
          description: "",
          parts: [
            { content: { $case: "data", value: { text } }, mediaType: "application/json", filename: "", metadata: {} },
          ],
          metadata: {},
          extensions: [],
        },
        append: false,
        lastChunk: true,
        metadata: {},
      },
    });
    bus.publish({
      kind: "statusUpdate",
      data: {
        taskId: ctx.taskId,
        contextId: ctx.contextId,
        status: { state: 3, message: undefined, timestamp: new Date().toISOString() },
        metadata: {},
      },
    });
    bus.finished();
  },
  cancelTask: async () => undefined,
};
const app = express();
app.use(express.json({ limit: "2mb" }));
const server = app.listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const port = (server.address() as AddressInfo).port;
const httpCard = AgentCard.fromJSON({
  name: "Bench HTTP",
  description: "SDK HTTP baseline",
  version: "1.0.0",
  supportedInterfaces: [{ url: `http://127.0.0.1:${port}/a2a`, protocolBinding: "JSONRPC", protocolVersion: "1.0" }],
  capabilities: { streaming: true },
  defaultInputModes: ["application/json"],
  defaultOutputModes: ["application/json"],
  skills: [],
});
app.use(
  "/a2a",
  jsonRpcHandler({
    requestHandler: new DefaultRequestHandler(httpCard, new InMemoryTaskStore(), executor),
    userBuilder: UserBuilder.noAuthentication,
  }),
);
const httpClient = await new ClientFactory().createFromAgentCard(httpCard);
const msg = () =>
  Message.fromJSON({
    messageId: randomUUID(),
    role: "ROLE_USER",
    parts: [{ data: { skill: "echo_text", input: { text: TEXT } }, mediaType: "application/json" }],
  });

const rows: Record<string, { seq: Figures; par: Figures }> = {};
process.stderr.write(`bus benchmark: ${N} requests each, 1 KB payload, sequential and ${C} in flight\n`);
for (const [key, label, op] of [
  [
    "a",
    "(a) raw nats.js request/reply",
    async () => void (await nc.request("bench.raw", payload, { timeout: 10_000 })),
  ],
  [
    "b",
    "(b) A2A SendMessage over NATS, task",
    async () => void (await client.call("bench", "echo_text", { text: TEXT })),
  ],
  ["b2", "(b2) same, stateless skill", async () => void (await client.call("bench", "echo_stateless", { text: TEXT }))],
  [
    "c",
    "(c) A2A JSON-RPC over HTTP (SDK)",
    async () =>
      void (await httpClient.sendMessage({
        tenant: "",
        message: msg(),
        configuration: undefined,
        metadata: {},
      })),
  ],
] as const) {
  rows[key] = {
    seq: await measure(`${label}, sequential`, Math.min(N, 1000), 1, op),
    par: await measure(`${label}, ${C} in flight`, N, C, op),
  };
}

const ratio = (x: number, y: number) => Number((x / y).toFixed(3));
/** Requests per second of a row; NaN for a row that was not measured. */
const rps = (key: string, mode: "seq" | "par") => rows[key]?.[mode].rps ?? NaN;
const table = [
  ["path", "seq req/s", "seq p50 ms", "seq p99 ms", `${C}-par req/s`, "par p50 ms", "par p99 ms"],
  ...Object.entries(rows).map(([k, r]) => [
    k,
    r.seq.rps.toFixed(0),
    r.seq.p50.toFixed(2),
    r.seq.p99.toFixed(2),
    r.par.rps.toFixed(0),
    r.par.p50.toFixed(2),
    r.par.p99.toFixed(2),
  ]),
];
printTable(table);
const result = {
  bench: "bus",
  requests: N,
  concurrency: C,
  payloadBytes: 1024,
  figures: rows,
  ratios: {
    b_over_a_seq: ratio(rps("b", "seq"), rps("a", "seq")),
    b_over_a_par: ratio(rps("b", "par"), rps("a", "par")),
    b_over_c_seq: ratio(rps("b", "seq"), rps("c", "seq")),
    b_over_c_par: ratio(rps("b", "par"), rps("c", "par")),
    b2_over_a_seq: ratio(rps("b2", "seq"), rps("a", "seq")),
    b2_over_a_par: ratio(rps("b2", "par"), rps("a", "par")),
    b2_over_c_seq: ratio(rps("b2", "seq"), rps("c", "seq")),
    b2_over_c_par: ratio(rps("b2", "par"), rps("c", "par")),
  },
  targets: { b_over_a: 0.5, b_over_c: 3 },
};
console.log(JSON.stringify(result));
server.close();
await agent.close();
await nc.close();
await nats.close();
process.exit(0);
