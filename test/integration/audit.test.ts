import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendEntry, verifyChain } from "../../clinical/audit/index.js";
import { auditVerifyCommand } from "../../cli/audit.js";
import type { AuditRecord } from "../../protocol/clinical/consent.js";
import { AUDIT_STREAM, JetStreamAuditLog, connectBus, type Bus, type EmbeddedNats } from "../../runtime/index.js";
import { natsForSuite, quietLogger } from "../support/nats.js";

const chain = { seal: appendEntry, verify: verifyChain };
const rec = (i: number, requester = "dr.lee"): AuditRecord => ({
  time: new Date(Date.UTC(2026, 0, 15, 9, 0, i)).toISOString(),
  requester,
  roles: ["clinician"],
  purposeOfUse: "TREAT",
  patientId: `pt-${i % 5}`,
  action: "read",
  categories: ["observations"],
  what: `Observation?subject=Patient/pt-${i % 5}`,
  outcome: "success",
  severity: "normal",
});

let nats: EmbeddedNats;
let bus: Bus;
const open = (tenant: string, b: Bus = bus) =>
  JetStreamAuditLog.open({ js: b.js, jsm: b.jsm, tenant, chain, logger: quietLogger });
const verifyCli = async (tenant: string) => {
  const lines: string[] = [];
  const code = await auditVerifyCommand({ natsUrl: nats.url, tenant, print: (l) => void lines.push(l) });
  return { code, text: lines.join("\n") };
};

beforeAll(async () => {
  nats = await natsForSuite();
  bus = await connectBus({ url: nats.url, name: "audit-test", logger: quietLogger });
});
afterAll(async () => {
  await bus?.close();
  await nats?.close();
});

describe("audit chain in JetStream", () => {
  it("stores entries in order and the verify command says OK", async () => {
    const log = await open("t-ok");
    for (let i = 0; i < 5; i++) await log.append(rec(i));
    const entries = await log.read();
    expect(entries.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(await log.query({ patientId: "pt-1" })).toHaveLength(1);
    expect(await log.verify()).toEqual({ ok: true, checked: 5 });
    const r = await verifyCli("t-ok");
    expect(r.code).toBe(0);
    expect(r.text).toMatch(/OK .*5 entries/);
  });

  it("keeps one unforked chain when two consent instances append at once", async () => {
    const other = await connectBus({ url: nats.url, name: "audit-test-2", logger: quietLogger });
    try {
      const [a, b] = [await open("t-race"), await open("t-race", other)];
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).append(rec(i, i % 2 ? "inst-a" : "inst-b"))),
      );
      const entries = await a.read();
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(await b.verify()).toEqual({ ok: true, checked: 20 });
    } finally {
      await other.close();
    }
  });

  it("names an entry replaced in the stream (deleted and republished with another requester)", async () => {
    const log = await open("t-replace");
    for (let i = 0; i < 6; i++) await log.append(rec(i));
    const victim = await bus.jsm.streams.getMessage(AUDIT_STREAM, { next_by_subj: log.subject, seq: 1 } as never);
    // Walk to entry 3 of this tenant's chain.
    let m = victim!;
    while (m.json<{ seq: number }>().seq !== 3)
      m = (await bus.jsm.streams.getMessage(AUDIT_STREAM, { next_by_subj: log.subject, seq: m.seq + 1 } as never))!;
    const forged = { ...m.json<object>(), requester: "mallory" };
    await bus.jsm.streams.deleteMessage(AUDIT_STREAM, m.seq);
    await bus.js.publish(log.subject, JSON.stringify(forged));
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 3 });
    const r = await verifyCli("t-replace");
    expect(r.code).toBe(1);
    expect(r.text).toContain("entry 3");
  });

  it("detects a forged entry published onto the chain", async () => {
    const log = await open("t-forge");
    for (let i = 0; i < 3; i++) await log.append(rec(i));
    const last = (await log.read()).at(-1)!;
    await bus.js.publish(
      log.subject,
      JSON.stringify({ ...rec(9, "mallory"), seq: 3, prevHash: last.hash, hash: "f".repeat(64) }),
    );
    expect(await log.verify()).toEqual({ ok: false, checked: 3, firstBadSeq: 3, problem: "altered" });
    expect((await verifyCli("t-forge")).code).toBe(1);
  });

  it("detects the last entry removed", async () => {
    const log = await open("t-tail");
    for (let i = 0; i < 3; i++) await log.append(rec(i));
    const head = await bus.jsm.streams.getMessage(AUDIT_STREAM, { last_by_subj: log.subject });
    await bus.jsm.streams.deleteMessage(AUDIT_STREAM, head!.seq);
    expect(await log.verify()).toMatchObject({ ok: false, firstBadSeq: 2, problem: "removed" });
    expect((await verifyCli("t-tail")).text).toContain("entry 2 removed");
  });
});
