import { createActor, SimulatedClock } from "xstate";
import { describe, expect, it } from "vitest";
import { createAlertMachine, restoreAlertActor, type EscalationPolicy } from "./machine.js";

const policy: EscalationPolicy = { delayMs: 60_000, maxTier: 2, priorities: ["high"] };

function start(clock: SimulatedClock, priority: "high" | "low" = "high") {
  const machine = createAlertMachine(clock);
  const actor = createActor(machine, { input: { alertId: "a1", priority, createdAt: clock.now(), policy } });
  const escalations: number[] = [];
  actor.on("escalated", (e) => escalations.push(e.tier));
  actor.start();
  return { machine, actor, escalations };
}

describe("alert lifecycle machine", () => {
  it("escalates an unacknowledged high-priority alert tier by tier until the last tier", () => {
    const clock = new SimulatedClock();
    const { actor, escalations } = start(clock);
    clock.increment(59_999);
    expect(escalations).toEqual([]);
    clock.increment(1);
    expect(escalations).toEqual([1]);
    expect(actor.getSnapshot().context.escalateAt).toBe(120_000);
    clock.increment(60_000);
    clock.increment(600_000);
    expect(escalations).toEqual([1, 2]);
    expect(actor.getSnapshot().context.escalateAt).toBeNull();
  });

  it("stops escalating once acknowledged", () => {
    const clock = new SimulatedClock();
    const { actor, escalations } = start(clock);
    clock.increment(30_000);
    actor.send({ type: "ACK", by: "nurse-1", at: clock.now() });
    clock.increment(600_000);
    expect(escalations).toEqual([]);
    expect(actor.getSnapshot().value).toBe("acknowledged");
    expect(actor.getSnapshot().context).toMatchObject({
      acknowledgedBy: "nurse-1",
      acknowledgedAt: 30_000,
      escalateAt: null,
    });
  });

  it("does not escalate low priority until a duplicate raises it to high", () => {
    const clock = new SimulatedClock();
    const { actor, escalations } = start(clock, "low");
    clock.increment(600_000);
    expect(escalations).toEqual([]);
    actor.send({ type: "REPEAT", priority: "high", at: clock.now() });
    clock.increment(60_000);
    expect(escalations).toEqual([1]);
  });

  it("still escalates after its persisted snapshot is restored in a new actor", () => {
    const clock = new SimulatedClock();
    const first = start(clock);
    clock.increment(20_000);
    const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()));
    first.actor.stop();

    // "Restart": a new machine and actor on the same clock, from the stored snapshot.
    const machine = createAlertMachine(clock);
    const restored = restoreAlertActor(machine, persisted);
    const escalations: number[] = [];
    restored.on("escalated", (e) => escalations.push(e.tier));
    restored.start();
    clock.increment(39_999);
    expect(escalations).toEqual([]);
    clock.increment(1);
    expect(escalations).toEqual([1]);
  });

  it("escalates at once when restored after its deadline passed while down", () => {
    const clock = new SimulatedClock();
    const first = start(clock);
    const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()));
    first.actor.stop();
    clock.increment(90_000);
    const restored = restoreAlertActor(createAlertMachine(clock), persisted);
    const escalations: number[] = [];
    restored.on("escalated", (e) => escalations.push(e.tier));
    restored.start();
    clock.increment(0);
    expect(escalations).toEqual([1]);
    expect(restored.getSnapshot().context.escalateAt).toBe(150_000);
  });
});
