import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideRestart, type RestartPolicy } from "./intensity.js";

const policy: RestartPolicy = {
  maxRestarts: 3,
  periodMs: 10_000,
  initialBackoffMs: 100,
  maxBackoffMs: 1_000,
  factor: 2,
};

describe("restart intensity", () => {
  it("backs off exponentially, then gives up past max restarts in the period", () => {
    expect(decideRestart([], 0, policy)).toEqual({ action: "restart", delayMs: 100, attempt: 1 });
    expect(decideRestart([0], 1, policy)).toEqual({ action: "restart", delayMs: 200, attempt: 2 });
    expect(decideRestart([0, 1], 2, policy)).toEqual({ action: "restart", delayMs: 400, attempt: 3 });
    expect(decideRestart([0, 1, 2], 3, policy)).toEqual({ action: "give-up", restartsInPeriod: 3 });
  });

  it("forgets restarts older than the period", () => {
    expect(decideRestart([0, 1, 2], 10_001, policy)).toMatchObject({ action: "restart", attempt: 2 });
    expect(decideRestart([0, 1, 2], 20_000, policy)).toMatchObject({ action: "restart", attempt: 1 });
  });

  it("never waits longer than the cap and never allows more than max restarts in any window", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50_000 }), { maxLength: 30 }), (gaps) => {
        const history: number[] = [];
        let t = 0;
        for (const g of gaps) {
          t += g;
          const d = decideRestart(history, t, policy);
          if (d.action === "restart") {
            expect(d.delayMs).toBeLessThanOrEqual(policy.maxBackoffMs);
            history.push(t);
          }
          expect(history.filter((h) => t - h < policy.periodMs).length).toBeLessThanOrEqual(policy.maxRestarts);
        }
      }),
      { seed: 5, numRuns: 200 },
    );
  });
});
