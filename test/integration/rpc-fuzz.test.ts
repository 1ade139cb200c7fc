import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { connect } from "@nats-io/transport-node";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/nats-core";
import { startAgent, type EmbeddedNats, type RunningAgent } from "../../runtime/index.js";
import { subjects } from "../../protocol/index.js";
import { natsForSuite, quietLogger } from "../support/nats.js";
import { testAgent } from "../support/test-agent.js";

let nats: EmbeddedNats;
let agent: RunningAgent;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await natsForSuite();
  agent = await startAgent(testAgent, { natsUrl: nats.url, logger: quietLogger });
  nc = await connect({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
  await agent?.close();
  await nats?.close();
});

const SPEC_CODES = new Set([
  -32700, -32600, -32601, -32602, -32603, -32001, -32002, -32003, -32004, -32005, -32006, -32007, -32008, -32009,
]);

async function ask(body: Uint8Array): Promise<{ error?: { code: number }; result?: unknown }> {
  const h = natsHeaders();
  h.set("A2A-Version", "1.0");
  const m = await nc.request(subjects.rpc("default", "testbed"), body, { timeout: 5_000, headers: h });
  return JSON.parse(new TextDecoder().decode(m.data));
}

// Payloads that look more and more like real requests, so the fuzz reaches past the parser.
const method = fc.constantFrom(
  "SendMessage",
  "SendStreamingMessage",
  "GetTask",
  "CancelTask",
  "SubscribeToTask",
  "ListTasks",
  "Nope",
  "",
);
const near = fc.record({
  jsonrpc: fc.constantFrom("2.0", "1.0", 2),
  id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.object()),
  method,
  params: fc.oneof(
    fc.anything(),
    fc.record({ id: fc.oneof(fc.string(), fc.integer()) }),
    fc.record({
      message: fc.record({
        messageId: fc.string(),
        role: fc.constantFrom("ROLE_USER", "ROLE_X"),
        parts: fc.array(
          fc.record({ data: fc.record({ skill: fc.constantFrom("echo_text", "nope"), input: fc.anything() }) }),
          { maxLength: 2 },
        ),
      }),
    }),
  ),
});
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string().map((s) => new TextEncoder().encode(s)),
  fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v))),
  near.map((v) => new TextEncoder().encode(JSON.stringify(v))),
);

describe("the rpc subject under random payloads", () => {
  it("answers every payload with a result or a spec JSON-RPC error, and keeps serving", async () => {
    await fc.assert(
      fc.asyncProperty(payload, async (body) => {
        const r = await ask(body);
        if (r.error) expect(SPEC_CODES.has(r.error.code)).toBe(true);
        else expect(r).toHaveProperty("result");
      }),
      { numRuns: 300, seed: 20261125 },
    );
    // Still healthy afterwards: a real request works.
    const ok = await ask(
      new TextEncoder().encode(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 9,
          method: "SendMessage",
          params: {
            message: {
              messageId: "after-fuzz",
              role: "ROLE_USER",
              parts: [{ data: { skill: "echo_text", input: { text: "still here" } } }],
            },
          },
        }),
      ),
    );
    expect((ok.result as { task: { status: { state: string } } }).task.status.state).toBe("TASK_STATE_COMPLETED");
  });
});
