import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Msg } from "@nats-io/nats-core";
import { alertAgent } from "../../agents/alert/index.js";
import { startSupervised } from "../../cli/supervise.js";
import type { Alert, HealingAction, HealthStatus } from "../../protocol/clinical/device.js";
import { startFhirServer, type FhirServer } from "../../runtime/embedded/fhir/index.js";
import { BusClient, connectBus, startAgent, type Bus, type EmbeddedNats } from "../../runtime/index.js";
import { natsForSuite, quietLogger } from "../support/nats.js";
import { REPO } from "../support/spawn.js";
import { testAgent } from "../support/test-agent.js";

let nats: EmbeddedNats;
let bus: Bus;
const admin = { subject: "ops", roles: ["admin" as const] };

beforeAll(async () => {
  nats = await natsForSuite();
  bus = await connectBus({ url: nats.url, name: "healer-test" });
});
afterAll(async () => {
  await bus?.close();
  await nats?.close();
});

const statusOf = async (client: BusClient, component: string) =>
  (await client.call<{ components: HealthStatus[] }>("healer", "get_status", { component })).components[0];

describe("healer on the bus", () => {
  it("tracks agents from heartbeats, NATS and FHIR from its own connections, and circuits FHIR while it is down", async () => {
    let fhir: FhirServer = await startFhirServer({ logger: quietLogger });
    const port = Number(new URL(fhir.baseUrl).port);
    const sup = await startSupervised({
      agents: [],
      natsUrl: nats.url,
      fhirBaseUrl: fhir.baseUrl,
      tenant: "health",
      logger: quietLogger,
      healer: {
        autoHealMs: 0,
        fhirProbe: { baseUrl: fhir.baseUrl, intervalMs: 50, timeoutMs: 500 },
        health: { heartbeatIntervalMs: 100, circuit: { failureThreshold: 3, resetTimeoutMs: 200 } },
      },
      heartbeatMs: 100,
    });
    const testbed = await startAgent(testAgent, {
      natsUrl: nats.url,
      tenant: "health",
      logger: quietLogger,
      heartbeatMs: 100,
    });
    const client = new BusClient(bus.nc, bus.kv.cards, "health");
    try {
      await vi.waitFor(
        async () => {
          for (const c of ["testbed", "healer", "nats", "fhir"])
            expect(await statusOf(client, c)).toMatchObject({ component: c, status: "healthy" });
        },
        { timeout: 10_000, interval: 50 },
      );

      await testbed.close();
      await vi.waitFor(
        async () =>
          expect(await statusOf(client, "testbed")).toMatchObject({
            status: "unhealthy",
            reason: expect.stringMatching(/no heartbeat/),
          }),
        { timeout: 10_000, interval: 50 },
      );

      await fhir.close();
      await vi.waitFor(
        async () => expect(await statusOf(client, "fhir")).toMatchObject({ status: "unhealthy", circuit: "open" }),
        { timeout: 10_000, interval: 50 },
      );
      fhir = await startFhirServer({ logger: quietLogger, port });
      await vi.waitFor(
        async () => expect(await statusOf(client, "fhir")).toMatchObject({ status: "healthy", circuit: "closed" }),
        { timeout: 10_000, interval: 50 },
      );
      const { actions } = await client.call<{ actions: HealingAction[] }>("healer", "list_actions", {
        component: "fhir",
      });
      expect(
        actions
          .map((a) => a.strategy)
          .reverse()
          .slice(0, 2),
      ).toEqual(["circuit-open", "circuit-close"]);
    } finally {
      await testbed.close();
      await sup.close();
      await fhir.close();
    }
  });

  it("retries an agent that crashes on start with growing back-off, then gives up and raises an alert", async () => {
    const tenant = "crash";
    const alert = await startAgent(alertAgent({ logger: quietLogger }), {
      natsUrl: nats.url,
      tenant,
      logger: quietLogger,
    });
    const routed: { reason: string; alert: Alert }[] = [];
    const sub = bus.nc.subscribe(`a2a.v1.${tenant}.topic.alert.*`, {
      callback: (_e: Error | null, m: Msg) => void routed.push(m.json()),
    });
    const sup = await startSupervised({
      agents: ["crashy"],
      natsUrl: nats.url,
      fhirBaseUrl: "http://127.0.0.1:9/fhir/R4",
      tenant,
      logger: quietLogger,
      childStderr: "ignore",
      command: () => ({ command: process.execPath, args: [`${REPO}/runtime/supervisor/fixtures/crash-on-start.mjs`] }),
      policy: { maxRestarts: 3, periodMs: 30_000, initialBackoffMs: 100, factor: 2, maxBackoffMs: 5_000 },
      healer: { autoHealMs: 0, fhirProbe: { baseUrl: "http://127.0.0.1:9/fhir/R4", intervalMs: 60_000 } },
    });
    const client = new BusClient(bus.nc, bus.kv.cards, tenant);
    try {
      const systemAlert = await vi.waitFor(
        () => {
          const a = routed.find((r) => r.alert.category === "system");
          expect(a).toBeDefined();
          return a!.alert;
        },
        { timeout: 15_000, interval: 50 },
      );
      expect(systemAlert).toMatchObject({
        priority: "high",
        patientId: null,
        condition: "system:crashy",
        summary: expect.stringMatching(/crashy.*gave up/),
      });
      expect(sup.supervisor.status("crashy")).toMatchObject({ state: "failed" });
      const { actions } = await client.call<{ actions: HealingAction[] }>(
        "healer",
        "list_actions",
        { component: "crashy" },
        { principal: admin },
      );
      const oldestFirst = [...actions].reverse();
      expect(oldestFirst.map((a) => [a.strategy, a.status, a.delayMs])).toEqual([
        ["restart", "failed", 100],
        ["restart", "failed", 200],
        ["restart", "failed", 400],
        ["restart", "gave-up", 0],
      ]);
    } finally {
      sub.unsubscribe();
      await sup.close();
      await alert.close();
    }
  });
});
