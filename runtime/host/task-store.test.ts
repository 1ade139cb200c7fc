import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireStreamResponse, WireTask } from "../../protocol/index.js";
import { connectBus, type Bus } from "../bus/connect.js";
import type { EmbeddedNats } from "../embedded/nats-server.js";
import { natsForSuite } from "../../test/support/nats.js";
import { KvTaskStore, applyEvent, newTask, withHistoryLength, type StoredTask } from "./task-store.js";
import { taskIdFor } from "./handler.js";

const msg = { messageId: "m1", role: "ROLE_USER" as const, parts: [{ text: "hi" }] };

describe("folding task events (A2A §3.1.2)", () => {
  it("replaces the status and appends its message to the history", () => {
    const t = newTask("t1", "c1", msg, {});
    const ev: WireStreamResponse = {
      statusUpdate: {
        taskId: "t1",
        status: {
          state: "TASK_STATE_WORKING",
          message: { messageId: "m2", role: "ROLE_AGENT", parts: [{ text: "step 1" }] },
        },
      },
    };
    const next = applyEvent(t, ev);
    expect(next.status.state).toBe("TASK_STATE_WORKING");
    expect(next.history?.map((m) => m.messageId)).toEqual(["m1", "m2"]);
    expect(t.status.state).toBe("TASK_STATE_SUBMITTED"); // the input is not mutated
  });

  it("adds an artifact, replaces one with the same id, and appends parts when asked", () => {
    let t: WireTask = newTask("t1", "c1", msg, {});
    const art = (parts: Array<{ text: string }>, append = false): WireStreamResponse => ({
      artifactUpdate: { taskId: "t1", artifact: { artifactId: "a", parts }, append },
    });
    t = applyEvent(t, art([{ text: "1" }]));
    t = applyEvent(t, art([{ text: "2" }], true));
    expect(t.artifacts?.[0]?.parts).toEqual([{ text: "1" }, { text: "2" }]);
    t = applyEvent(t, art([{ text: "3" }]));
    expect(t.artifacts).toHaveLength(1);
    expect(t.artifacts?.[0]?.parts).toEqual([{ text: "3" }]);
  });

  it("applies historyLength: 0 drops the history, n keeps the last n", () => {
    const t = applyEvent(newTask("t1", "c1", msg, {}), {
      statusUpdate: {
        taskId: "t1",
        status: {
          state: "TASK_STATE_WORKING",
          message: { messageId: "m2", role: "ROLE_AGENT", parts: [{ text: "x" }] },
        },
      },
    });
    expect(withHistoryLength(t, 0).history).toEqual([]);
    expect(withHistoryLength(t, 1).history?.map((m) => m.messageId)).toEqual(["m2"]);
    expect(withHistoryLength(t).history).toHaveLength(2);
  });
});

describe("task ids derived from messageId (the idempotency key)", () => {
  it("is stable, UUID-shaped and different per agent and per message", () => {
    const a = taskIdFor("ehr", "m-1");
    expect(a).toBe(taskIdFor("ehr", "m-1"));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(taskIdFor("consent", "m-1")).not.toBe(a);
    expect(taskIdFor("ehr", "m-2")).not.toBe(a);
  });
});

describe("listing tasks (a real nats-server)", () => {
  let nats: EmbeddedNats;
  let bus: Bus;
  beforeAll(async () => {
    nats = await natsForSuite();
    bus = await connectBus({ url: nats.url, name: "task-store-test" });
  });
  afterAll(async () => {
    await bus?.close();
    await nats?.close();
  });
  const stored = (id: string, at: string): StoredTask => ({
    task: newTask(id, "c", msg, {}),
    seq: 1,
    agentId: "a",
    skill: "s",
    owner: "o",
    updatedAt: at,
  });

  it("returns the tenant's most recently updated tasks first, even past the limit, and only its own", async () => {
    const store = new KvTaskStore(bus.kv.tasks, "t1", bus.js);
    expect(await store.list()).toEqual([]);
    for (const [id, at] of [
      ["old", "2026-01-01"],
      ["mid", "2026-01-02"],
      ["new", "2026-01-03"],
    ] as const)
      await store.create(stored(id, at));
    await new KvTaskStore(bus.kv.tasks, "t2", bus.js).create(stored("other", "2026-01-09"));
    await store.update("old", (cur) => ({ ...cur, updatedAt: "2026-01-04" }));
    expect((await store.list(2)).map((s) => s.task.id)).toEqual(["old", "new"]);
    expect((await store.list()).map((s) => [s.task.id, s.updatedAt])).toEqual([
      ["old", "2026-01-04"],
      ["new", "2026-01-03"],
      ["mid", "2026-01-02"],
    ]);
    await bus.kv.tasks.delete("t1.mid");
    expect((await store.list()).map((s) => s.task.id)).toEqual(["old", "new"]);
  });
});
