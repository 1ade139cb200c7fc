import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  BusClient,
  connectBus,
  startAgent,
  type Bus,
  type EmbeddedNats,
  type RunningAgent,
} from "../../runtime/index.js";
import { inspectCommand } from "../../cli/inspect.js";
import type { InspectorRecord } from "../../inspector/index.js";
import { natsForSuite, quietLogger } from "../support/nats.js";
import { REPO } from "../support/spawn.js";
import { testAgent } from "../support/test-agent.js";
import { chattyAgent } from "../support/chatty-agent.js";

/** A synthetic patient's identifiers, read from the example bundle. */
function patient(file: string) {
  const bundle = JSON.parse(readFileSync(join(REPO, "examples/patients", file), "utf8")) as {
    entry: Array<{ resource: Record<string, unknown> }>;
  };
  const p = bundle.entry.find((e) => e.resource.resourceType === "Patient")!.resource as {
    id: string;
    name: [{ family: string; given: [string, ...string[]] }, ...unknown[]];
    identifier: [{ value: string }, ...unknown[]];
  };
  return { id: p.id, name: `${p.name[0].given[0]} ${p.name[0].family}`, mrn: p.identifier[0].value };
}
const A = patient("pt-age-over-89.json");
const B = patient("pt-pregnant.json");

let nats: EmbeddedNats;
let agents: RunningAgent[];
let bus: Bus;
let client: BusClient;
const KEY = "test-pseudonym-key";

beforeAll(async () => {
  nats = await natsForSuite();
  agents = [
    await startAgent(testAgent, { natsUrl: nats.url, logger: quietLogger }),
    await startAgent(chattyAgent, { natsUrl: nats.url, logger: quietLogger }),
  ];
  bus = await connectBus({ url: nats.url, name: "inspector-tail-test" });
  client = new BusClient(bus.nc, bus.kv.cards, "default");
});
afterAll(async () => {
  await bus?.close();
  for (const a of agents ?? []) await a.close();
  await nats?.close();
});

const relay = (p: { id: string; name: string; mrn: string }) =>
  client.callForTask(
    "chatty",
    "relay_note",
    { patientId: p.id, note: `${p.name} ${p.mrn} feels better`, steps: 2 },
    { principal: { subject: "dr-test", roles: ["clinician"], purposeOfUse: "TREAT" } },
  );

/** Runs `hms inspect --json` in-process; resolves once it is live. */
async function tail(flags: Partial<Parameters<typeof inspectCommand>[0]>) {
  const lines: string[] = [];
  const ac = new AbortController();
  let live!: (n: number) => void;
  const isLive = new Promise<number>((r) => (live = r));
  const done = inspectCommand({
    natsUrl: nats.url,
    logger: quietLogger,
    json: true,
    pseudonymKey: KEY,
    out: (l) => lines.push(l),
    signal: ac.signal,
    onLive: live,
    ...flags,
  });
  const replayed = await Promise.race([isLive, done.then(() => -1)]);
  return {
    lines,
    records: () => lines.map((l) => JSON.parse(l) as InspectorRecord),
    replayed,
    stop: async () => (ac.abort(), await done),
  };
}

const created = (rs: InspectorRecord[]) =>
  rs.filter((r) => r.event === "task.created").map((r) => `${r.from}->${r.to}:${r.method}`);
const done = (rs: InspectorRecord[], taskId: string) => rs.some((r) => r.taskId === taskId && r.state === "COMPLETED");

describe("hms inspect (terminal tail)", () => {
  it("replays from a sequence the messages sent before the tail started", async () => {
    const before = await relay(A);
    const t = await tail({ since: "1" });
    try {
      expect(t.replayed).toBeGreaterThan(0);
      const rs = t.records();
      expect(done(rs, before.task.id)).toBe(true);
      expect(created(rs)).toEqual([
        "client->chatty:relay_note",
        "chatty->testbed:echo_text",
        "chatty->testbed:count_slowly",
      ]);
      expect(rs.filter((r) => r.event === "rpc.reply" && r.method === "SendMessage").length).toBe(3);
    } finally {
      await t.stop();
    }
  });

  it("shows a running conversation in order, and filters narrow it", async () => {
    const all = await tail({});
    const onlyEcho = await tail({ method: "echo_text" });
    const onlyB = await tail({ patient: B.id });
    const onlyTestbed = await tail({ agent: "testbed", event: "task.status" });
    try {
      const [a, b] = await Promise.all([relay(A), relay(B)]);
      await vi.waitFor(() => expect(done(all.records(), a.task.id) && done(all.records(), b.task.id)).toBe(true), {
        timeout: 10_000,
      });
      await vi.waitFor(() => expect(done(onlyB.records(), b.task.id)).toBe(true), { timeout: 10_000 });
      const rs = all.records();
      // One conversation, in order: the relay starts, calls echo, then count, then completes.
      const conv = rs.filter((r) => r.traceId === rs.find((x) => x.taskId === a.task.id)!.traceId && r.kind === "task");
      const steps = conv.map((r) => `${r.event}:${r.method}:${r.state ?? ""}`);
      const at = (s: string) => steps.indexOf(s);
      expect(at("task.created:relay_note:SUBMITTED")).toBe(0);
      expect(at("task.created:echo_text:SUBMITTED")).toBeLessThan(at("task.status:echo_text:COMPLETED"));
      expect(at("task.status:echo_text:COMPLETED")).toBeLessThan(at("task.created:count_slowly:SUBMITTED"));
      expect(at("task.status:count_slowly:COMPLETED")).toBeLessThan(at("task.status:relay_note:COMPLETED"));
      expect(conv.map((r) => r.at)).toEqual([...conv.map((r) => r.at)].sort());

      await vi.waitFor(() => expect(onlyEcho.records().filter((r) => r.state === "COMPLETED").length).toBe(2), {
        timeout: 5_000,
      });
      expect(new Set(onlyEcho.records().map((r) => r.method))).toEqual(new Set(["echo_text"]));
      const bRecs = onlyB.records();
      expect(new Set(bRecs.map((r) => r.patient)).size).toBe(1);
      expect(bRecs.some((r) => r.taskId === a.task.id)).toBe(false);
      expect(bRecs.filter((r) => r.event === "task.created").length).toBe(3);
      await vi.waitFor(() => expect(onlyTestbed.records().filter((r) => r.state === "COMPLETED").length).toBe(4), {
        timeout: 5_000,
      });
      expect(
        onlyTestbed.records().every((r) => r.event === "task.status" && (r.from === "testbed" || r.to === "testbed")),
      ).toBe(true);

      // Redaction: no identifier of either patient reaches the terminal.
      const text = all.lines.join("\n");
      for (const s of [A.id, A.name, A.mrn, B.id, B.name, B.mrn]) expect(text).not.toContain(s);
      expect(text).toContain("[redacted]");
    } finally {
      await Promise.all([all.stop(), onlyEcho.stop(), onlyB.stop(), onlyTestbed.stop()]);
    }
  });

  it("prints one task's conversation in order with timings", async () => {
    const r = await relay(A);
    const lines: string[] = [];
    await inspectCommand({
      natsUrl: nats.url,
      logger: quietLogger,
      task: r.task.id,
      out: (l) => lines.push(l),
      color: false,
      pseudonymKey: KEY,
    });
    expect(lines[1]).toBe("participants: client, chatty, testbed");
    const body = lines.filter((l) => l.startsWith("+"));
    expect(body[0]).toMatch(/^\+\s+0ms .*client → chatty .*task\.created +relay_note/);
    expect(body.filter((l) => l.includes("task.created")).map((l) => /(\S+ → \S+)/.exec(l)![1])).toEqual([
      "client → chatty",
      "chatty → testbed",
      "chatty → testbed",
    ]);
    expect(lines.some((l) => /chatty → testbed {2}echo_text {2}COMPLETED {2}\d+ms/.test(l))).toBe(true);
    expect(lines.join("\n")).not.toContain(A.name);
  });
});
