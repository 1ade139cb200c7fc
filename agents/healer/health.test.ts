import { describe, expect, it } from "vitest";
import { DEFAULT_HEALTH_POLICY, evaluateHealth, reduceHealth, type HealthBook, type HealthEvent } from "./health.js";

const policy = {
  ...DEFAULT_HEALTH_POLICY,
  heartbeatIntervalMs: 10_000,
  unhealthyAfterFailures: 3,
  circuit: { failureThreshold: 4, resetTimeoutMs: 30_000 },
};
const run = (events: HealthEvent[]) => events.reduce<HealthBook>((b, e) => reduceHealth(b, e, policy), {});
const at = (book: HealthBook, now: number, c = "ehr") => evaluateHealth(book[c], c, now, policy);

describe("health tracker", () => {
  it("is unknown before anything is heard", () => {
    expect(at({}, 0)).toMatchObject({ status: "unknown", lastCheck: null, responseTimeMs: null, circuit: "closed" });
  });

  it("goes healthy → degraded → unhealthy as heartbeats stop, and back on the next one", () => {
    const book = run([{ type: "heartbeat", component: "ehr", at: 0 }]);
    expect(at(book, 10_000).status).toBe("healthy");
    expect(at(book, 16_000)).toMatchObject({ status: "degraded", reason: expect.stringMatching(/late/) });
    expect(at(book, 31_000)).toMatchObject({ status: "unhealthy", reason: "no heartbeat for 31 s" });
    const back = reduceHealth(book, { type: "heartbeat", component: "ehr", at: 40_000 }, policy);
    expect(at(back, 40_000).status).toBe("healthy");
  });

  it("is degraded on a high error rate or slow calls, unhealthy after failures in a row", () => {
    const calls = (oks: boolean[], ms = 10): HealthEvent[] =>
      oks.map((ok, i) => ({ type: "call", component: "ehr", at: i, ok, ms }));
    expect(at(run(calls([true, true, true, false])), 10)).toMatchObject({ status: "degraded", errorRate: 0.25 });
    expect(at(run(calls([true, true], 5_000)), 10)).toMatchObject({ status: "degraded", responseTimeMs: 5_000 });
    expect(at(run(calls([true, false, false, false])), 10)).toMatchObject({
      status: "unhealthy",
      consecutiveFailures: 3,
    });
    expect(at(run(calls([false, false, false, ...Array<boolean>(13).fill(true)])), 20).status).toBe("healthy");
  });

  it("opens the circuit after repeated failures, half-opens after the timeout, and closes on a success", () => {
    let book = run([0, 1, 2, 3].map((i) => ({ type: "call", component: "fhir", at: i, ok: false, ms: 1 })));
    expect(at(book, 10, "fhir").circuit).toBe("open");
    expect(at(book, 30_003, "fhir").circuit).toBe("half-open");
    book = reduceHealth(book, { type: "call", component: "fhir", at: 30_004, ok: true, ms: 1 }, policy);
    expect(at(book, 30_005, "fhir")).toMatchObject({ circuit: "closed", consecutiveFailures: 0 });
  });
});
