import { SimulatedClock } from "xstate";
import { assert, describe, expect, it } from "vitest";
import type { Alarm, Alert } from "../../protocol/clinical/device.js";
import { createRouter, natsHandler } from "./router.js";
import { AlertService, type PersistedAlerts } from "./service.js";

const T0 = Date.UTC(2025, 0, 1);

function alarm(i: number, over: Partial<Alarm> = {}): Alarm {
  return {
    alarmId: `al-${i}`,
    kind: "physiological",
    priority: "high",
    deviceId: "mon-1",
    patientId: "p-1",
    condition: "spo2:critical-low",
    key: "spo2",
    value: 85,
    unit: "%",
    interpretation: "critical-low",
    message: "Oxygen saturation 85 % is critical low",
    raisedAt: new Date(T0).toISOString(),
    ...over,
  };
}

function setup(restore?: PersistedAlerts, clock = new SimulatedClock()) {
  if (clock.now() === 0) clock.set(T0);
  const routed: { reason: string; alert: Alert }[] = [];
  const published: string[] = [];
  let n = 0;
  const route = createRouter([{ handler: "ward", tier: 0 }, { handler: "senior", tier: 1 }, { handler: "bus" }], {
    ward: async (alert, reason) => void routed.push({ reason: `ward:${reason}`, alert }),
    senior: async (alert, reason) => void routed.push({ reason: `senior:${reason}`, alert }),
    bus: natsHandler(async (topic) => void published.push(topic)),
  });
  const svc = new AlertService(
    {
      clock,
      route,
      newId: () => `alert-${++n}-${clock.now()}`,
      dedupWindowMs: 300_000,
      escalation: { delayMs: 120_000, maxTier: 2 },
    },
    restore,
  );
  return { svc, clock, routed, published };
}

describe("alert service", () => {
  it("folds a burst of critical readings for one patient and condition into exactly one alert", async () => {
    const { svc, clock, routed } = setup();
    for (let i = 0; i < 20; i++) {
      svc.ingest({ type: "alarm", alarm: alarm(i) });
      clock.increment(5_000);
    }
    await svc.settled();
    const alerts = svc.list();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ occurrences: 20, state: "open", priority: "high", patientId: "p-1" });
    expect(routed.filter((r) => r.reason === "ward:new")).toHaveLength(1);
  });

  it("keeps different patients and conditions apart, and starts anew after the window", () => {
    const { svc, clock } = setup();
    svc.ingest({ type: "alarm", alarm: alarm(1) });
    svc.ingest({ type: "alarm", alarm: alarm(2, { patientId: "p-2" }) });
    svc.ingest({ type: "alarm", alarm: alarm(3, { condition: "heart_rate:critical-high" }) });
    clock.increment(300_001);
    svc.ingest({ type: "alarm", alarm: alarm(4) });
    expect(svc.list()).toHaveLength(4);
    expect(svc.list({ patientId: "p-2" })).toHaveLength(1);
  });

  it("lists by priority first and filters by priority and state", () => {
    const { svc } = setup();
    svc.ingest({ type: "plan-ready", patientId: "p-1", planRef: "CarePlan/1", at: new Date(T0).toISOString() });
    svc.ingest({ type: "alarm", alarm: alarm(1) });
    svc.ingest({
      type: "ehr-change",
      patientId: "p-1",
      change: "lab-result",
      ref: "Observation/9",
      description: "New CRP 48 mg/L",
      at: new Date(T0).toISOString(),
    });
    expect(svc.list().map((a) => a.priority)).toEqual(["high", "medium", "low"]);
    expect(svc.list({ priority: "low" })[0]?.category).toBe("plan-ready");
    const [first] = svc.list();
    assert(first);
    const id = first.alertId;
    svc.acknowledge(id, "dr-a");
    expect(svc.list({ state: "acknowledged" }).map((a) => a.alertId)).toEqual([id]);
  });

  it("escalates an unacknowledged high-priority alert to the next tier after the delay", async () => {
    const { svc, clock, routed } = setup();
    const { alert } = svc.ingest({ type: "alarm", alarm: alarm(1) });
    expect(alert.escalateAt).toBe(new Date(T0 + 120_000).toISOString());
    clock.increment(120_000);
    await svc.settled();
    expect(svc.get(alert.alertId).tier).toBe(1);
    expect(routed.map((r) => r.reason)).toEqual(["ward:new", "senior:escalated"]);
  });

  it("stops escalation when acknowledged", async () => {
    const { svc, clock, routed } = setup();
    const { alert } = svc.ingest({ type: "alarm", alarm: alarm(1) });
    clock.increment(60_000);
    expect(svc.acknowledge(alert.alertId, "nurse-1")).toMatchObject({
      state: "acknowledged",
      escalateAt: null,
      acknowledgedBy: "nurse-1",
    });
    clock.increment(3_600_000);
    await svc.settled();
    expect(svc.get(alert.alertId).tier).toBe(0);
    expect(routed.map((r) => r.reason)).toEqual(["ward:new"]);
  });

  it("still escalates after its state is persisted and restored in a new service", async () => {
    const clock = new SimulatedClock();
    const first = setup(undefined, clock);
    const { alert } = first.svc.ingest({ type: "alarm", alarm: alarm(1) });
    clock.increment(100_000);
    const stored = JSON.parse(JSON.stringify(first.svc.persist())) as PersistedAlerts;
    await first.svc.close();

    const second = setup(stored, clock);
    expect(second.svc.get(alert.alertId)).toMatchObject({ state: "open", tier: 0, occurrences: 1 });
    clock.increment(19_999);
    expect(second.svc.get(alert.alertId).tier).toBe(0);
    clock.increment(1);
    await second.svc.settled();
    expect(second.svc.get(alert.alertId).tier).toBe(1);
    expect(second.routed.map((r) => r.reason)).toEqual(["senior:escalated"]);
    // Dedup state survives too.
    expect(second.svc.ingest({ type: "alarm", alarm: alarm(2) }).deduplicated).toBe(true);
  });

  it("gives CDS Hooks cards with short summaries, indicators, a source label and suggestions", () => {
    const { svc } = setup();
    svc.ingest({ type: "alarm", alarm: alarm(1, { message: "x".repeat(300) }) });
    svc.ingest({
      type: "critical-finding",
      patientId: "p-1",
      ruleId: "tpmt-poor",
      message: "Azathioprine with TPMT poor metabolizer",
      suggestion: "Choose a non-thiopurine alternative",
      at: new Date(T0).toISOString(),
    });
    svc.ingest({ type: "plan-ready", patientId: "p-1", planRef: "CarePlan/1", at: new Date(T0).toISOString() });
    const cards = svc.cards("p-1");
    expect(cards).toHaveLength(3);
    for (const c of cards) {
      expect([...c.summary].length).toBeLessThan(140);
      expect(c.source.label).toBeTruthy();
    }
    expect(cards.map((c) => c.indicator)).toEqual(["critical", "critical", "info"]);
    expect(cards.find((c) => c.summary.startsWith("Azathioprine"))!.suggestions?.[0]?.label).toBe(
      "Choose a non-thiopurine alternative",
    );
  });

  it("rejects malformed events and unknown alerts with typed errors", () => {
    const { svc } = setup();
    expect(() => svc.ingest({ type: "alarm", alarm: { alarmId: "x" } })).toThrow(
      expect.objectContaining({ code: "INVALID_INPUT" }),
    );
    expect(() => svc.acknowledge("nope", "me")).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
  });
});
