import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BusClient, connectBus, type Bus, type EmbeddedNats } from "../../runtime/index.js";
import { natsForSuite } from "../support/nats.js";
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
    const { task } = await client.callForTask("testbed", "count_slowly", { n: 100, stepMs: 40 }, { returnImmediately: true });
    const sdk = await client.client("testbed");
    // Wait until instance A is visibly working on it.
    await vi.waitFor(async () => {
      const t = await sdk.getTask({ tenant: "", id: task.id });
      expect(t.history.length).toBeGreaterThan(4);
    }, { timeout: 10_000, interval: 50 });
    expect((await sdk.getTask({ tenant: "", id: task.id })).status?.state).toBe(2 /* WORKING: A has not finished */);
    a.child.kill("SIGKILL");
    await exited(a.child);
    const b = await spawnReady("test/support/run-agent.ts", [nats.url, "1500"]);
    const pidB = Number(b.line.split(" ")[1]);
    try {
      const done = await vi.waitFor(async () => {
        const t = await sdk.getTask({ tenant: "", id: task.id });
        expect(t.status?.state).toBe(3 /* COMPLETED */);
        return t;
      }, { timeout: 20_000, interval: 100 });
      const data = done.artifacts[0].parts[0].content;
      expect(data?.$case).toBe("data");
      const out = (data as { value: { counted: number; resumed: boolean; pid: number } }).value;
      expect(out, `A=${pidA} B=${pidB}`).toEqual({ counted: 100, resumed: true, pid: pidB });
      expect(pidB).not.toBe(pidA);
    } finally {
      b.child.kill("SIGTERM");
      await exited(b.child);
    }
  });
});
