import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Msg, Subscription } from "@nats-io/nats-core";
import { alertAgent } from "../../agents/alert/index.js";
import type { Alarm, Alert } from "../../protocol/clinical/device.js";
import { subjects } from "../../protocol/index.js";
import { BusClient, connectBus, startAgent, type Bus, type EmbeddedNats } from "../../runtime/index.js";
import { natsForSuite, quietLogger } from "../support/nats.js";
import { exited, REPO } from "../support/spawn.js";

let nats: EmbeddedNats;
let bus: Bus;
const nurse = { subject: "nurse-7", roles: ["nurse" as const] };

beforeAll(async () => {
  nats = await natsForSuite();
  bus = await connectBus({ url: nats.url, name: "alerts-test" });
});
afterAll(async () => {
  await bus?.close();
  await nats?.close();
});

interface Routed {
  reason: "new" | "escalated";
  alert: Alert;
  receivedAt: number;
}

function collect(tenant: string): { items: Routed[]; sub: Subscription } {
  const items: Routed[] = [];
  const sub = bus.nc.subscribe(`a2a.v1.${tenant}.topic.alert.*`, {
    callback: (_e: Error | null, m: Msg) =>
      void items.push({ ...m.json<Omit<Routed, "receivedAt">>(), receivedAt: Date.now() }),
  });
  return { items, sub };
}

function raise(tenant: string, patientId: string, condition = "heart_rate:critical-high"): void {
  const alarm: Alarm = {
    alarmId: randomUUID(),
    kind: "physiological",
    priority: "high",
    deviceId: `mon-${patientId}`,
    patientId,
    condition,
    message: "Heart rate 142 /min is critical high",
    raisedAt: new Date().toISOString(),
  };
  bus.nc.publish(subjects.topic(tenant, "alarm", "device"), JSON.stringify(alarm));
}

/** Runs the alert agent in its own process (test/support/run-named-agent.ts); resolves once it serves. */
async function spawnAlertAgent(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/run-named-agent.ts", "alert"], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`alert agent not ready: ${err}`)), 20_000);
    child.stdout.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`alert agent exited with ${code}: ${err}`)));
  });
  return child;
}

describe("alert escalation on the bus", () => {
  it("escalates an unacknowledged high-priority alert after the delay, and acknowledgement stops escalation", async () => {
    const agent = await startAgent(alertAgent({ logger: quietLogger, escalation: { delayMs: 400, maxTier: 1 } }), {
      natsUrl: nats.url,
      logger: quietLogger,
    });
    await agent.bus.nc.flush(); // its topic subscriptions are in place on the server
    const client = new BusClient(bus.nc, bus.kv.cards, "default");
    const routed = collect("default");
    await bus.nc.flush();
    try {
      raise("default", "pt-acked");
      raise("default", "pt-ignored");
      const created = await vi.waitFor(
        () => {
          const news = routed.items.filter((r) => r.reason === "new");
          expect(news).toHaveLength(2);
          return news;
        },
        { timeout: 5_000, interval: 20 },
      );
      const acked = created.find((r) => r.alert.patientId === "pt-acked")!.alert;
      const { alert: after } = await client.call<{ alert: Alert }>(
        "alert",
        "acknowledge",
        { alertId: acked.alertId },
        { principal: nurse },
      );
      expect(after).toMatchObject({ state: "acknowledged", acknowledgedBy: "nurse-7", escalateAt: null });

      // The ignored alert was raised after the acknowledged one, so its escalation comes later than the other's would have.
      const escalated = await vi.waitFor(
        () => {
          const e = routed.items.find((r) => r.reason === "escalated");
          expect(e).toBeDefined();
          return e!;
        },
        { timeout: 5_000, interval: 20 },
      );
      expect(escalated.alert).toMatchObject({ patientId: "pt-ignored", tier: 1, state: "open" });
      expect(escalated.receivedAt - Date.parse(escalated.alert.createdAt)).toBeGreaterThanOrEqual(400 - 5);
      expect(routed.items.filter((r) => r.reason === "escalated" && r.alert.patientId === "pt-acked")).toEqual([]);
      const { alerts } = await client.call<{ alerts: Alert[] }>("alert", "list", {});
      expect(alerts.find((a) => a.patientId === "pt-acked")).toMatchObject({ state: "acknowledged", tier: 0 });
    } finally {
      routed.sub.unsubscribe();
      await agent.close();
    }
  });

  it("keeps an escalation deadline across a SIGKILL and restart of the alert agent", async () => {
    const tenant = "restart";
    const env = { NATS_URL: nats.url, HMS_TENANT: tenant, ALERT_ESCALATION_MS: "2500" };
    const client = new BusClient(bus.nc, bus.kv.cards, tenant);
    const routed = collect(tenant);
    await bus.nc.flush();
    let first: ChildProcess | undefined = await spawnAlertAgent(env);
    // The child subscribed before printing "ready"; a request through it proves the server has its subscriptions.
    await client.call("alert", "list", {});
    let second: ChildProcess | undefined;
    try {
      raise(tenant, "pt-restart");
      const created = await vi.waitFor(
        () => {
          const n = routed.items.find((r) => r.reason === "new");
          expect(n).toBeDefined();
          return n!.alert;
        },
        { timeout: 5_000, interval: 20 },
      );
      expect(created.escalateAt).not.toBeNull();
      // Wait until the alert agent has written the alert to its durable state, then kill it without warning.
      await vi.waitFor(
        async () => {
          const e = await bus.kv.snapshots.get(`${tenant}.alert.alerts`);
          expect(e?.string() ?? "").toContain(created.alertId);
        },
        { timeout: 5_000, interval: 20 },
      );
      first.kill("SIGKILL");
      await exited(first);
      first = undefined;
      expect(routed.items.filter((r) => r.reason === "escalated")).toEqual([]);

      second = await spawnAlertAgent(env);
      const escalated = await vi.waitFor(
        () => {
          const e = routed.items.find((r) => r.reason === "escalated");
          expect(e).toBeDefined();
          return e!;
        },
        { timeout: 10_000, interval: 20 },
      );
      expect(escalated.alert).toMatchObject({ alertId: created.alertId, tier: 1, occurrences: 1 });
      expect(escalated.receivedAt).toBeGreaterThanOrEqual(Date.parse(created.escalateAt!) - 5);
      const { alerts } = await client.call<{ alerts: Alert[] }>("alert", "list", {});
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ alertId: created.alertId, tier: 1, state: "open" });
    } finally {
      routed.sub.unsubscribe();
      for (const c of [first, second]) {
        if (!c) continue;
        c.kill("SIGTERM");
        await exited(c);
      }
    }
  });
});
