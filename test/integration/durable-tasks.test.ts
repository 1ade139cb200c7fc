import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BusClient, connectBus, startAgent, type Bus, type EmbeddedNats } from "../../runtime/index.js";
import { STREAMS, subjects } from "../../protocol/index.js";
import { natsForSuite, quietLogger } from "../support/nats.js";
import { testAgent } from "../support/test-agent.js";
import { exited, spawnReady } from "../support/spawn.js";

let nats: EmbeddedNats;
let bus: Bus;
let client: BusClient;

beforeAll(async () => {
  nats = await natsForSuite();
  bus = await connectBus({ url: nats.url, name: "durable-test" });
  client = new BusClient(bus.nc, bus.kv.cards, "default");
});
afterAll(async () => {
  await bus?.close();
  await nats?.close();
});

describe("durable tasks", () => {
  it("finishes on a second instance the task of an instance SIGKILLed mid-task", async () => {
    const a = await spawnReady("test/support/run-agent.ts", [nats.url, "1500"]);
    const pidA = Number(a.line.split(" ")[1]);
    const { task } = await client.callForTask(
      "testbed",
      "count_slowly",
      { n: 100, stepMs: 40 },
      { returnImmediately: true },
    );
    const sdk = await client.client("testbed");
    // Wait until instance A is visibly working on it.
    await vi.waitFor(
      async () => {
        const t = await sdk.getTask({ tenant: "", id: task.id });
        expect(t.history.length).toBeGreaterThan(4);
      },
      { timeout: 10_000, interval: 50 },
    );
    expect((await sdk.getTask({ tenant: "", id: task.id })).status?.state).toBe(2 /* WORKING: A has not finished */);
    a.child.kill("SIGKILL");
    await exited(a.child);
    const b = await spawnReady("test/support/run-agent.ts", [nats.url, "1500"]);
    const pidB = Number(b.line.split(" ")[1]);
    try {
      const done = await vi.waitFor(
        async () => {
          const t = await sdk.getTask({ tenant: "", id: task.id });
          expect(t.status?.state).toBe(3 /* COMPLETED */);
          return t;
        },
        { timeout: 20_000, interval: 100 },
      );
      const data = done.artifacts[0]?.parts[0]?.content;
      expect(data?.$case).toBe("data");
      const out = (data as { value: { counted: number; resumed: boolean; pid: number } }).value;
      expect(out, `A=${pidA} B=${pidB}`).toEqual({ counted: 100, resumed: true, pid: pidB });
      expect(pidB).not.toBe(pidA);
    } finally {
      b.child.kill("SIGTERM");
      await exited(b.child);
    }
  });

  it("never runs a task canceled while it waited for a free worker slot", async () => {
    // One slot: the second task waits in the queue behind the first.
    const agent = await startAgent(testAgent, { natsUrl: nats.url, logger: quietLogger, concurrency: 1 });
    // Every run of a task shows in the agent's XState inspection feed (what the inspector watches).
    const ran = new Set<string>();
    const feed = bus.nc.subscribe(subjects.xstate("default", "testbed"), {
      callback: (_e, m) => void ran.add(m.json<{ taskId: string }>().taskId),
    });
    try {
      const sdk = await client.client("testbed");
      const busy = await client.callForTask(
        "testbed",
        "count_slowly",
        { n: 15, stepMs: 20 },
        { returnImmediately: true },
      );
      const queued = await client.callForTask(
        "testbed",
        "count_slowly",
        { n: 1, stepMs: 0 },
        { returnImmediately: true },
      );
      const canceled = await sdk.cancelTask({ tenant: "", id: queued.task.id, metadata: {} });
      expect(canceled.status?.state).toBe(5 /* CANCELED */);
      await vi.waitFor(
        async () => expect((await sdk.getTask({ tenant: "", id: busy.task.id })).status?.state).toBe(3 /* COMPLETED */),
        { timeout: 10_000, interval: 50 },
      );
      // Wait until the worker has taken the queued item and acknowledged it: then the task must be untouched.
      await vi.waitFor(
        async () => {
          const info = await bus.jsm.consumers.info(STREAMS.work, "work-default-testbed");
          expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
        },
        { timeout: 5_000, interval: 20 },
      );
      const after = await sdk.getTask({ tenant: "", id: queued.task.id });
      expect(after.status?.state).toBe(5 /* CANCELED */);
      const texts = after.history.map((m) =>
        m.parts.map((p) => (p.content?.$case === "text" ? p.content.value : "")).join(""),
      );
      expect(texts.some((t) => t.includes("started") || t.includes("step 1"))).toBe(false);
      expect(after.artifacts).toEqual([]);
      expect(ran.has(busy.task.id)).toBe(true);
      expect(ran.has(queued.task.id)).toBe(false);
    } finally {
      feed.unsubscribe();
      await agent.close();
    }
  });
});
