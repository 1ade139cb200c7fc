import { SimulatedClock } from "xstate";
import { describe, expect, it } from "vitest";
import { createBatcher } from "./batcher.js";

describe("observation batcher", () => {
  it("flushes when the batch is full", async () => {
    const flushed: number[][] = [];
    const b = createBatcher<number>({
      flush: async (xs) => void flushed.push(xs),
      maxSize: 3,
      maxDelayMs: 1000,
      clock: new SimulatedClock(),
    });
    b.add(1, 2, 3, 4);
    await b.drain();
    expect(flushed).toEqual([[1, 2, 3], [4]]);
  });

  it("flushes a partial batch once the delay has passed on the clock", async () => {
    const clock = new SimulatedClock();
    const flushed: number[][] = [];
    const b = createBatcher<number>({
      flush: async (xs) => void flushed.push(xs),
      maxSize: 10,
      maxDelayMs: 500,
      clock,
    });
    b.add(1);
    clock.increment(499);
    expect(flushed).toEqual([]);
    b.add(2);
    clock.increment(1);
    await b.drain();
    expect(flushed).toEqual([[1, 2]]);
    expect(b.pending()).toBe(0);
  });

  it("reports a failed flush with its items and keeps going", async () => {
    const failed: number[][] = [];
    const flushed: number[][] = [];
    let first = true;
    const b = createBatcher<number>({
      flush: async (xs) => {
        if (first) {
          first = false;
          throw new Error("fhir down");
        }
        flushed.push(xs);
      },
      maxSize: 1,
      clock: new SimulatedClock(),
      onError: (_e, xs) => failed.push(xs),
    });
    b.add(1, 2);
    await b.close();
    expect(failed).toEqual([[1]]);
    expect(flushed).toEqual([[2]]);
    expect(() => b.add(3)).toThrow(/closed/);
  });
});
