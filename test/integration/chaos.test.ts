import { randomUUID } from "node:crypto";
import { afterAll, assert, beforeAll, describe, expect, it, vi } from "vitest";
import { TaskState } from "@a2a-js/sdk";
import { startSupervised, type Supervised } from "../../cli/supervise.js";
import type { HealingAction, HealthStatus } from "../../protocol/clinical/device.js";
import { startFhirServer, type FhirServer } from "../../runtime/embedded/fhir/index.js";
import { BusClient, connectBus, type Bus, type EmbeddedNats } from "../../runtime/index.js";
import { natsForSuite, quietLogger } from "../support/nats.js";

const AGENTS = ["testbed", "alert", "device"] as const;
const KILLS = 5;
const TERMINAL = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
]);
const admin = { subject: "chaos", roles: ["admin" as const] };

let nats: EmbeddedNats;
let fhir: FhirServer;
let bus: Bus;
let sup: Supervised;
let client: BusClient;

beforeAll(async () => {
  nats = await natsForSuite();
  fhir = await startFhirServer({ logger: quietLogger });
  bus = await connectBus({ url: nats.url, name: "chaos-test" });
  client = new BusClient(bus.nc, bus.kv.cards, "default");
  sup = await startSupervised({
    agents: [...AGENTS],
    natsUrl: nats.url,
    fhirBaseUrl: fhir.baseUrl,
    logger: quietLogger,
    childStderr: "ignore",
    command: (id) => ({ command: process.execPath, args: ["--import", "tsx", "test/support/run-named-agent.ts", id] }),
    env: { HMS_ACK_WAIT_MS: "1500", HMS_HEARTBEAT_MS: "500" },
    policy: { maxRestarts: 20, periodMs: 60_000, initialBackoffMs: 50, factor: 1.5, maxBackoffMs: 1_000 },
    healer: {
      autoHealMs: 0,
      health: { heartbeatIntervalMs: 500 },
      fhirProbe: { baseUrl: fhir.baseUrl, intervalMs: 1_000 },
    },
  });
});

afterAll(async () => {
  await sup?.close();
  await bus?.close();
  await fhir?.close();
  await nats?.close();
});

const healthOf = async () => (await client.call<{ components: HealthStatus[] }>("healer", "get_status", {})).components;
const restartsOf = async (component: string) =>
  (
    await client.call<{ actions: HealingAction[] }>(
      "healer",
      "list_actions",
      { component, strategy: "restart" },
      { principal: admin },
    )
  ).actions;

/** One task of the stream: sent (retried with the same messageId while the agent is down), then its id. */
async function sendTask(i: number): Promise<{ agentId: string; taskId: string }> {
  const calls = [
    ["testbed", "count_slowly", { n: 4, stepMs: 50 }],
    ["testbed", "echo_text", { text: `chaos ${i}` }],
    ["alert", "list", {}],
    ["device", "list", {}],
  ] as const;
  const call = calls[i % calls.length];
  assert(call);
  const [agentId, verb, input] = call;
  const messageId = randomUUID();
  for (;;) {
    try {
      const { task } = await client.callForTask(agentId, verb, input, {
        messageId,
        returnImmediately: true,
        timeoutMs: 2_000,
        principal: admin,
      });
      return { agentId, taskId: task.id };
    } catch {
      await new Promise((r) => setTimeout(r, 100)); // the agent is down: the client retries, as any caller would
    }
  }
}

describe("chaos: agent processes SIGKILLed while tasks run", () => {
  it("ends every task in a terminal state while the healer journals a restart of each killed agent", async () => {
    await vi.waitFor(
      async () => {
        const h = await healthOf();
        for (const id of AGENTS) expect(h.find((c) => c.component === id)?.status).toBe("healthy");
      },
      { timeout: 30_000, interval: 200 },
    );

    const tasks: { agentId: string; taskId: string }[] = [];
    let stop = false;
    let n = 0;
    const workers = Array.from({ length: 4 }, async () => {
      while (!stop) tasks.push(await sendTask(n++));
    });

    const kills: { id: string; pid: number; at: number }[] = [];
    for (let k = 0; k < KILLS; k++) {
      const id = AGENTS[(k * 7 + 1) % AGENTS.length];
      assert(id);
      const pid = sup.supervisor.status(id)!.pid!;
      const before = (await restartsOf(id)).length;
      kills.push({ id, pid, at: Date.now() });
      process.kill(pid, "SIGKILL");
      // The healer sees the death at once (supervisor), and the restart is done when the new process heartbeats.
      await vi.waitFor(
        async () => {
          const actions = await restartsOf(id);
          expect(actions.length).toBe(before + 1);
          expect(actions[0]?.status).toBe("succeeded");
        },
        { timeout: 20_000, interval: 100 },
      );
    }
    stop = true;
    await Promise.all(workers);

    expect(tasks.length).toBeGreaterThan(20);
    await vi.waitFor(
      async () => {
        const states = await Promise.all(
          tasks.map(
            async (t) => (await (await client.client(t.agentId)).getTask({ tenant: "", id: t.taskId })).status?.state,
          ),
        );
        expect(states.filter((s) => s === undefined || !TERMINAL.has(s))).toEqual([]);
      },
      { timeout: 20_000, interval: 250 },
    );

    for (const id of new Set(kills.map((k) => k.id))) {
      const actions = await restartsOf(id);
      const killed = kills.filter((k) => k.id === id);
      expect(actions).toHaveLength(killed.length);
      for (const a of actions) {
        expect(a).toMatchObject({ component: id, strategy: "restart", status: "succeeded" });
        expect(Date.parse(a.finished!)).toBeGreaterThanOrEqual(Date.parse(a.started));
      }
      expect(sup.supervisor.status(id)!.pid).not.toBe(killed.at(-1)!.pid);
    }
    const health = await healthOf();
    for (const id of AGENTS) expect(health.find((c) => c.component === id)?.status).toBe("healthy");
  });
});
