import { connect, type Socket } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createOruHandler } from "../hl7/handler.js";
import { PCD01_ORU } from "../hl7/fixtures.js";
import type { MappedReading } from "../hl7/oru.js";
import { getValue, parseHl7 } from "../hl7/parser.js";
import { loadLoincTable } from "../ranges.js";
import { frameMllp, MllpFramer } from "./framer.js";
import { startMllpListener, type MllpListener } from "./listener.js";

const table = loadLoincTable();

/** A test client: sends bytes, collects framed replies, and knows when the server closed it. */
class Client {
  readonly replies: string[] = [];
  readonly closed: Promise<void>;
  private readonly framer = new MllpFramer();
  private waiters: (() => void)[] = [];
  private constructor(private readonly socket: Socket) {
    socket.on("data", (b: Buffer) => {
      for (const e of this.framer.push(b)) if (e.kind === "frame") this.replies.push(e.payload.toString());
      this.waiters.forEach((w) => w());
    });
    this.closed = new Promise((r) => socket.on("close", () => r()));
    socket.on("error", () => {});
  }
  static open(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => resolve(new Client(s)));
      s.once("error", reject);
    });
  }
  send(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === "string" ? frameMllp(bytes) : bytes);
  }
  /** Resolves when `n` replies in total have arrived. */
  until(n: number): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.replies.length >= n) resolve(this.replies.slice());
      };
      this.waiters.push(check);
      void this.closed.then(() =>
        this.replies.length >= n
          ? resolve(this.replies.slice())
          : reject(new Error(`closed after ${this.replies.length} replies`)),
      );
      check();
    });
  }
  end(): void {
    this.socket.destroy();
  }
}

const msa = (ack: string | undefined) => {
  if (ack === undefined) throw new Error("no ACK");
  const r = parseHl7(ack);
  if (!r.ok) throw new Error(`ACK did not parse: ${r.error.message}`);
  const seg = r.message.segments.find((s) => s.name === "MSA");
  return { code: getValue(seg, 1), controlId: getValue(seg, 2), text: getValue(seg, 3) };
};

describe("MLLP listener over a real TCP socket", () => {
  let listener: MllpListener;
  const delivered: MappedReading[][] = [];

  beforeAll(async () => {
    const handler = createOruHandler({ table, deliver: (r) => void delivered.push(r), now: () => 0 });
    listener = await startMllpListener({ onMessage: handler, maxFrameBytes: 64 * 1024, idleTimeoutMs: 10_000 });
  });
  afterAll(() => listener.close());

  it("acknowledges a valid PCD-01 message with AA and hands its readings on", async () => {
    const c = await Client.open(listener.port);
    const before = delivered.length;
    c.send(PCD01_ORU);
    const [ack] = await c.until(1);
    expect(msa(ack)).toMatchObject({ code: "AA", controlId: "CTRL-1" });
    expect(delivered.length).toBe(before + 1);
    expect(delivered.at(-1)!.map((r) => r.key)).toEqual(["heart_rate", "spo2", "systolic_bp", "body_temperature"]);
    c.end();
  });

  it("answers in order when several frames arrive in one write, split oddly", async () => {
    const c = await Client.open(listener.port);
    const bytes = Buffer.concat([1, 2, 3].map((i) => frameMllp(PCD01_ORU.replace("CTRL-1", `CTRL-B${i}`))));
    c.send(bytes.subarray(0, 17));
    c.send(bytes.subarray(17));
    const acks = await c.until(3);
    expect(acks.map((a) => msa(a).controlId)).toEqual(["CTRL-B1", "CTRL-B2", "CTRL-B3"]);
    c.end();
  });

  it("answers AE with the reason for a bad segment and AR for non-HL7, then keeps serving", async () => {
    const c = await Client.open(listener.port);
    c.send(PCD01_ORU.replace("|72|", "|7x2|"));
    c.send("this is not HL7 at all");
    c.send(PCD01_ORU.replace("ORU^R01^ORU_R01", "ADT^A01^ADT_A01"));
    c.send(`${PCD01_ORU}zz|bad`);
    c.send(PCD01_ORU);
    const acks = (await c.until(5)).map(msa);
    expect(acks[0]).toMatchObject({ code: "AE", controlId: "CTRL-1" });
    expect(acks[0]?.text).toMatch(/not numeric/);
    expect(acks[1]?.code).toBe("AR");
    expect(acks[2]?.code).toBe("AR");
    expect(acks[3]?.code).toBe("AE");
    expect(acks[4]?.code).toBe("AA");
    c.end();
  });

  it("ignores a truncated frame and garbage, and answers the next whole frame", async () => {
    const c = await Client.open(listener.port);
    const whole = frameMllp(PCD01_ORU);
    c.send(Buffer.concat([Buffer.from("\x00\xffGET / HTTP/1.1\r\n\r\n"), whole.subarray(0, 40), whole]));
    const [ack] = await c.until(1);
    expect(msa(ack).code).toBe("AA");
    c.end();
  });

  it("closes a connection that sends an oversized frame, and serves new ones", async () => {
    const c = await Client.open(listener.port);
    c.send(Buffer.concat([Buffer.from([0x0b]), Buffer.alloc(70 * 1024, 0x41)]));
    await c.closed;
    const d = await Client.open(listener.port);
    d.send(PCD01_ORU);
    expect(msa((await d.until(1))[0]).code).toBe("AA");
    d.end();
  });

  it("closes idle connections", async () => {
    await using idle = await startMllpListener({ onMessage: () => "x", idleTimeoutMs: 50 });
    const c = await Client.open(idle.port);
    await c.closed;
    await vi.waitFor(() => expect(idle.connections()).toBe(0), { timeout: 5_000 });
  });

  it("survives random bytes and random frames, and still acknowledges a valid message after each", async () => {
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.string({ maxLength: 200 }).map((s) => frameMllp(s)),
      fc
        .tuple(fc.integer({ min: 0, max: PCD01_ORU.length }), fc.string({ maxLength: 20 }))
        .map(([cut, junk]) => frameMllp(PCD01_ORU.slice(0, cut) + junk)),
    );
    await fc.assert(
      fc.asyncProperty(bytesArb, async (noise) => {
        const c = await Client.open(listener.port);
        // A dangling start byte in the noise would swallow our probe: end any open frame first.
        c.send(Buffer.concat([noise, Buffer.from([0x1c, 0x0d])]));
        c.send(PCD01_ORU.replace("CTRL-1", "PROBE"));
        const race = await Promise.race([
          c.closed.then(() => "closed" as const),
          (async () => {
            for (;;) {
              const replies = await c.until(c.replies.length + 1);
              const codes = replies.map((r) => {
                try {
                  return msa(r);
                } catch {
                  return { code: "?", controlId: "" };
                }
              });
              if (codes.some((m) => m.controlId === "PROBE")) return codes;
            }
          })(),
        ]);
        if (race === "closed") {
          // Only an oversized frame may close the connection; this listener's limit is above any noise here.
          throw new Error("listener closed the connection");
        }
        const probe = race.find((m) => m.controlId === "PROBE")!;
        expect(probe.code).toBe("AA");
        for (const m of race) expect(["AA", "AE", "AR"]).toContain(m.code);
        c.end();
      }),
      { seed: 7, numRuns: 60 },
    );
    const c = await Client.open(listener.port);
    c.send(PCD01_ORU);
    expect(msa((await c.until(1))[0]).code).toBe("AA");
    c.end();
  });
});
