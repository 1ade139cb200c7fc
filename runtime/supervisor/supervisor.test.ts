import { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import { SimulatedClock } from "xstate";
import { assert, describe, expect, it } from "vitest";
import { createSupervisor, type ChildLike, type SupervisorEvent } from "./index.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function waitFor(
  sup: ReturnType<typeof createSupervisor>,
  pred: (e: SupervisorEvent) => boolean,
): Promise<SupervisorEvent> {
  return new Promise((resolve) => {
    const off = sup.on((e) => {
      if (pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}

describe("process supervisor", () => {
  it("retries a child that crashes on start with growing back-off, then gives up with an event", async () => {
    await using sup = createSupervisor({
      policy: { maxRestarts: 3, periodMs: 60_000, initialBackoffMs: 5, factor: 2, maxBackoffMs: 1_000 },
    });
    const events: SupervisorEvent[] = [];
    sup.on((e) => events.push(e));
    const gaveUp = waitFor(sup, (e) => e.type === "gave-up");
    sup.start({ id: "crasher", command: process.execPath, args: [fixture("crash-on-start.mjs")] });
    expect(await gaveUp).toMatchObject({ type: "gave-up", id: "crasher", restartsInPeriod: 3 });
    expect(events.filter((e) => e.type === "started")).toHaveLength(4);
    expect(events.filter((e) => e.type === "exited").every((e) => e.type === "exited" && e.code === 1)).toBe(true);
    expect(events.flatMap((e) => (e.type === "restart-scheduled" ? [e.delayMs] : []))).toEqual([5, 10, 20]);
    expect(sup.status("crasher")).toMatchObject({ state: "failed", restarts: 3, lastExit: { code: 1 } });
  });

  it("stops a healthy child on request without restarting it", async () => {
    await using sup = createSupervisor({ policy: { initialBackoffMs: 5 } });
    const started = waitFor(sup, (e) => e.type === "started");
    sup.start({ id: "worker", command: process.execPath, args: [fixture("long-running.mjs")] });
    expect((await started) as { pid: number }).toMatchObject({ pid: expect.any(Number) });
    const events: SupervisorEvent[] = [];
    sup.on((e) => events.push(e));
    await sup.stop("worker");
    expect(events.map((e) => e.type)).toEqual(["exited", "stopped"]);
    expect(sup.status("worker")!.state).toBe("stopped");
  });

  it("reports a command that cannot be spawned as a failed start and gives up in time", async () => {
    await using sup = createSupervisor({ policy: { maxRestarts: 1, periodMs: 60_000, initialBackoffMs: 1 } });
    const gaveUp = waitFor(sup, (e) => e.type === "gave-up");
    sup.start({ id: "ghost", command: "/nonexistent/hms-binary" });
    expect(await gaveUp).toMatchObject({ id: "ghost", restartsInPeriod: 1 });
  });

  it("follows the restart schedule on a simulated clock and forgets old restarts after the period", () => {
    const clock = new SimulatedClock();
    const children: (EventEmitter & ChildLike)[] = [];
    const spawn = () => {
      const c = Object.assign(new EventEmitter(), { pid: children.length + 1, kill: () => true });
      children.push(c);
      return c;
    };
    const child = (i: number) => {
      const c = children[i];
      assert(c, `child ${i} was spawned`);
      return c;
    };
    const sup = createSupervisor({
      spawn,
      clock,
      policy: { maxRestarts: 2, periodMs: 10_000, initialBackoffMs: 100, factor: 3, maxBackoffMs: 250 },
    });
    const events: SupervisorEvent[] = [];
    sup.on((e) => events.push(e));
    sup.start({ id: "a", command: "x" });
    child(0).emit("exit", 1, null);
    expect(sup.status("a")!.state).toBe("backoff");
    clock.increment(99);
    expect(children).toHaveLength(1);
    clock.increment(1);
    expect(children).toHaveLength(2);
    child(1).emit("exit", null, "SIGSEGV");
    clock.increment(250); // 100 * 3 capped at 250
    expect(children).toHaveLength(3);
    clock.increment(20_000);
    // The earlier restarts are outside the period now: this crash is restarted again.
    child(2).emit("exit", 1, null);
    clock.increment(100);
    expect(children).toHaveLength(4);
    expect(events.some((e) => e.type === "gave-up")).toBe(false);
    // A transient child that exits normally is not restarted.
    sup.start({ id: "t", command: "x", restart: "transient" });
    child(4).emit("exit", 0, null);
    expect(sup.status("t")!.state).toBe("exited");
  });
});
