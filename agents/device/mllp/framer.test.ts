import fc from "fast-check";
import { assert, describe, expect, it } from "vitest";
import { frameMllp, MllpFramer, type FrameEvent } from "./framer.js";

const frames = (events: FrameEvent[]) =>
  events.filter((e) => e.kind === "frame").map((e) => (e as { payload: Buffer }).payload.toString());

describe("MLLP framer", () => {
  it("joins a frame split across chunks, even between FS and CR", () => {
    const f = new MllpFramer();
    const bytes = frameMllp("MSH|abc");
    const out = [
      ...f.push(bytes.subarray(0, 3)),
      ...f.push(bytes.subarray(3, bytes.length - 1)),
      ...f.push(bytes.subarray(bytes.length - 1)),
    ];
    expect(frames(out)).toEqual(["MSH|abc"]);
  });

  it("yields every frame of a chunk that holds several", () => {
    const f = new MllpFramer();
    expect(frames(f.push(Buffer.concat([frameMllp("one"), frameMllp("two"), frameMllp("three")])))).toEqual([
      "one",
      "two",
      "three",
    ]);
  });

  it("skips garbage before the start byte", () => {
    const f = new MllpFramer();
    const out = f.push(Buffer.concat([Buffer.from("GET / HTTP/1.1\r\n"), frameMllp("ok")]));
    expect(frames(out)).toEqual(["ok"]);
    expect(out[0]).toMatchObject({ kind: "garbage" });
  });

  it("restarts on a new start byte inside an unfinished frame", () => {
    const f = new MllpFramer();
    expect(frames(f.push(Buffer.concat([Buffer.from([0x0b]), Buffer.from("trunc"), frameMllp("whole")])))).toEqual([
      "whole",
    ]);
  });

  it("drops a frame whose FS is not followed by CR", () => {
    const f = new MllpFramer();
    const out = f.push(Buffer.concat([Buffer.from([0x0b, 0x41, 0x1c, 0x41]), frameMllp("next")]));
    expect(frames(out)).toEqual(["next"]);
    expect(out.some((e) => e.kind === "malformed")).toBe(true);
  });

  it("reports an oversized frame and ignores the rest", () => {
    const f = new MllpFramer(10);
    const out = f.push(frameMllp("x".repeat(11)));
    expect(out).toEqual([{ kind: "oversized", bytes: 11 }]);
    expect(f.push(frameMllp("small"))).toEqual([]);
  });

  it("finds the same frames however the stream is cut into chunks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom("A", "|", "^", "\r", "é", "1") }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 30 }),
        (msgs, cuts) => {
          const stream = Buffer.concat(msgs.map((m) => frameMllp(m)));
          const f = new MllpFramer();
          const out: FrameEvent[] = [];
          let i = 0;
          let k = 0;
          while (i < stream.length) {
            const n = cuts[k++ % cuts.length];
            assert(n !== undefined);
            out.push(...f.push(stream.subarray(i, i + n)));
            i += n;
          }
          expect(frames(out)).toEqual(msgs);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
