import { describe, expect, it } from "vitest";
import type { WireStreamResponse, WireTask } from "../../protocol/index.js";
import type { KV } from "@nats-io/kv";
import { KvTaskStore, applyEvent, newTask, withHistoryLength, type StoredTask } from "./task-store.js";
import { taskIdFor } from "./handler.js";

const msg = { messageId: "m1", role: "ROLE_USER" as const, parts: [{ text: "hi" }] };

describe("folding task events (A2A §3.1.2)", () => {
  it("replaces the status and appends its message to the history", () => {
    const t = newTask("t1", "c1", msg, {});
    const ev: WireStreamResponse = { statusUpdate: { taskId: "t1", status: { state: "TASK_STATE_WORKING", message: { messageId: "m2", role: "ROLE_AGENT", parts: [{ text: "step 1" }] } } } };
    const next = applyEvent(t, ev);
    expect(next.status.state).toBe("TASK_STATE_WORKING");
    expect(next.history?.map((m) => m.messageId)).toEqual(["m1", "m2"]);
    expect(t.status.state).toBe("TASK_STATE_SUBMITTED"); // the input is not mutated
  });

  it("adds an artifact, replaces one with the same id, and appends parts when asked", () => {
    let t: WireTask = newTask("t1", "c1", msg, {});
    const art = (parts: Array<{ text: string }>, append = false): WireStreamResponse => ({ artifactUpdate: { taskId: "t1", artifact: { artifactId: "a", parts }, append } });
    t = applyEvent(t, art([{ text: "1" }]));
    t = applyEvent(t, art([{ text: "2" }], true));
    expect(t.artifacts?.[0].parts).toEqual([{ text: "1" }, { text: "2" }]);
    t = applyEvent(t, art([{ text: "3" }]));
    expect(t.artifacts).toHaveLength(1);
    expect(t.artifacts?.[0].parts).toEqual([{ text: "3" }]);
  });

  it("applies historyLength: 0 drops the history, n keeps the last n", () => {
    const t = applyEvent(newTask("t1", "c1", msg, {}), { statusUpdate: { taskId: "t1", status: { state: "TASK_STATE_WORKING", message: { messageId: "m2", role: "ROLE_AGENT", parts: [{ text: "x" }] } } } });
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

describe("listing tasks", () => {
  // A stand-in for the KV bucket: keys in write order, like JetStream's last-per-subject listing.
  function memoryKv(): KV {
    const entries = new Map<string, { value: Uint8Array; revision: number }>();
    let rev = 0;
    return {
      async create(k: string, v: Uint8Array) {
        entries.set(k, { value: v, revision: ++rev });
        return rev;
      },
      async get(k: string) {
        const e = entries.get(k);
        return e ? { ...e, operation: "PUT" } : null;
      },
      async update(k: string, v: Uint8Array) {
        entries.delete(k);
        entries.set(k, { value: v, revision: ++rev });
        return rev;
      },
      async keys() {
        return (async function* () {
          yield* entries.keys();
        })();
      },
    } as unknown as KV;
  }
  const stored = (id: string, at: string): StoredTask => ({ task: newTask(id, "c", msg, {}), seq: 1, agentId: "a", skill: "s", owner: "o", updatedAt: at });

  it("returns the most recently updated tasks first, even past the limit", async () => {
    const store = new KvTaskStore(memoryKv(), "t");
    for (const [id, at] of [["old", "2026-01-01"], ["mid", "2026-01-02"], ["new", "2026-01-03"]] as const) await store.create(stored(id, at));
    await store.update("old", (cur) => ({ ...cur, updatedAt: "2026-01-04" }));
    expect((await store.list(2)).map((s) => s.task.id)).toEqual(["old", "new"]);
    expect((await store.list()).map((s) => s.task.id)).toEqual(["old", "new", "mid"]);
  });
});
