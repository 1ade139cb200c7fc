import { SimulatedClock } from "xstate";
import { describe, expect, it } from "vitest";
import type { AlertEvent } from "../../protocol/clinical/device.js";
import { Healer, type HealerOptions } from "./service.js";

function setup(over: Partial<HealerOptions> = {}) {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const alerts: AlertEvent[] = [];
  const restarted: string[] = [];
  let n = 0;
  const healer = new Healer({
    clock,
    newId: () => `act-${++n}`,
    raiseAlert: async (e) => void alerts.push(e),
    restart: async (c) => void restarted.push(c),
    restartable: (c) => c !== "fhir",
    restartPolicy: { maxRestarts: 2, periodMs: 60_000, initialBackoffMs: 1_000, factor: 2, maxBackoffMs: 10_000 },
    health: { circuit: { failureThreshold: 3, resetTimeoutMs: 5_000 } },
    ...over,
  });
  return { clock, healer, alerts, restarted };
}

/** Runs a heal that waits for back-off on the simulated clock. */
async function healAfter(clock: SimulatedClock, p: Promise<unknown>, ms: number) {
  clock.increment(ms);
  return p;
}

describe("healer", () => {
  it("restarts a dead agent after back-off, journals it, and gives up with an alert past the restart limit", async () => {
    const { clock, healer, alerts, restarted } = setup();
    healer.recordHeartbeat("ehr");
    clock.increment(60_000);
    expect(healer.status("ehr")[0]?.status).toBe("unhealthy");

    expect(await healAfter(clock, healer.heal("ehr"), 1_000)).toMatchObject({
      strategy: "restart",
      status: "succeeded",
      delayMs: 1_000,
    });
    expect(await healAfter(clock, healer.heal("ehr"), 2_000)).toMatchObject({ status: "succeeded", delayMs: 2_000 });
    const third = await healer.heal("ehr");
    expect(third).toMatchObject({ status: "gave-up", error: expect.stringMatching(/giving up/) });
    expect(restarted).toEqual(["ehr", "ehr"]);
    expect(alerts).toEqual([expect.objectContaining({ type: "system", component: "ehr", priority: "high" })]);
    expect(healer.actions({ component: "ehr" }).map((a) => a.status)).toEqual(["gave-up", "succeeded", "succeeded"]);
  });

  it("opens a circuit around a failing dependency and closes it when it recovers", () => {
    const { clock, healer } = setup();
    for (let i = 0; i < 3; i++) healer.recordCall("fhir", false, 50);
    expect(healer.allows("fhir")).toBe(false);
    expect(healer.actions({ component: "fhir" })).toEqual([
      expect.objectContaining({ strategy: "circuit-open", status: "succeeded" }),
    ]);
    clock.increment(5_000);
    expect(healer.allows("fhir")).toBe(true);
    healer.recordCall("fhir", true, 20);
    expect(healer.status("fhir")[0]?.circuit).toBe("closed");
    expect(healer.actions({ component: "fhir", limit: 1 })[0]?.strategy).toBe("circuit-close");
  });

  it("chooses failover when a component cannot be restarted but has a standby, and alerts if it fails", async () => {
    const { healer, alerts } = setup({
      restart: undefined,
      failover: async () => {
        throw new Error("no standby ready");
      },
    });
    const a = await healer.heal("optimizer");
    expect(a).toMatchObject({ strategy: "failover", status: "failed", error: "no standby ready" });
    expect(a.finished).not.toBeNull();
    expect(alerts).toHaveLength(1);
  });

  it("opens a circuit on request when neither restart nor failover applies", async () => {
    const { healer } = setup();
    expect(await healer.heal("fhir")).toMatchObject({ strategy: "circuit-open" });
    expect(healer.allows("fhir")).toBe(false);
    expect(await healer.heal("fhir")).toMatchObject({ strategy: "circuit-close" });
    expect(healer.allows("fhir")).toBe(true);
  });

  it("journals a supervisor giving up and raises an alert", async () => {
    const { healer, alerts } = setup();
    await healer.onSupervisorEvent({ type: "gave-up", id: "device", restartsInPeriod: 3, at: 1_000_000 });
    expect(healer.actions()[0]).toMatchObject({ component: "device", strategy: "restart", status: "gave-up" });
    expect(alerts[0]).toMatchObject({ type: "system", component: "device" });
  });
});
