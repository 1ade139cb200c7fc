import fc from "fast-check";
import { assert, describe, expect, it } from "vitest";
import type { AuditEntry, AuditRecord } from "../../protocol/clinical/consent.js";
import { detectIncidents, hashRecord, InMemoryAuditLog, toFhirAuditEvent, verifyChain } from "./index.js";

const rec = (i: number, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  time: new Date(Date.UTC(2026, 0, 15, 9, 0, i)).toISOString(),
  requester: "dr.lee",
  roles: ["clinician"],
  purposeOfUse: "TREAT",
  patientId: `pt-${i % 7}`,
  action: "read",
  categories: ["observations"],
  what: `Observation?subject=Patient/pt-${i % 7}`,
  outcome: "success",
  severity: "normal",
  ...extra,
});

async function chainOf(n: number): Promise<InMemoryAuditLog> {
  const log = new InMemoryAuditLog();
  for (let i = 0; i < n; i++) await log.append(rec(i));
  return log;
}

describe("audit hash chain", () => {
  it("verifies an untouched chain", async () => {
    const log = await chainOf(10);
    expect(verifyChain(await log.read(), { head: await log.head() })).toEqual({ ok: true, checked: 10 });
  });

  it("detects any single altered entry and names it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 9 }), fc.boolean(), async (k, rehash) => {
        const log = await chainOf(10);
        const e = log.entries[k];
        assert(e);
        e.requester = "mallory";
        if (rehash)
          e.hash = hashRecord(e.prevHash, {
            ...e,
            seq: undefined,
            prevHash: undefined,
            hash: undefined,
          } as unknown as AuditRecord);
        const status = verifyChain(await log.read(), { head: await log.head() });
        return !status.ok && status.firstBadSeq === k && status.problem === "altered";
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  it("detects a removed entry, including the last one", async () => {
    const log = await chainOf(6);
    const head = await log.head();
    const all = await log.read();
    expect(verifyChain([...all.slice(0, 3), ...all.slice(4)], { head })).toMatchObject({
      ok: false,
      firstBadSeq: 3,
      problem: "removed",
    });
    expect(verifyChain(all.slice(0, 5), { head })).toMatchObject({ ok: false, firstBadSeq: 5, problem: "removed" });
  });

  it("mirrors an entry as a FHIR AuditEvent carrying its hash", async () => {
    const log = await chainOf(1);
    const [entry] = log.entries;
    assert(entry);
    const ev = toFhirAuditEvent(entry) as {
      entity: { detail: { type: string; valueString: string }[] }[];
      outcome: string;
      action: string;
    };
    expect(ev).toMatchObject({ resourceType: "AuditEvent", outcome: "0", action: "R" });
    expect(ev.entity[1]?.detail[0]).toEqual({ type: "hash", valueString: entry.hash });
  });
});

describe("incident detection", () => {
  const entries = (records: AuditRecord[]): AuditEntry[] =>
    records.map((r, seq) => ({ ...r, seq, prevHash: "0".repeat(64), hash: "0".repeat(64) }));

  it("raises one alert at the fifth denial by one requester", () => {
    const denied = Array.from({ length: 7 }, (_, i) => rec(i, { requester: "eve", outcome: "denied" }));
    const incidents = detectIncidents(entries(denied));
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ kind: "repeated-denials", requester: "eve", count: 5 });
    expect(detectIncidents(entries(denied.slice(0, 4)))).toEqual([]);
  });

  it("raises an alert when one requester reads more than 50 patients", () => {
    const reads = Array.from({ length: 51 }, (_, i) => rec(i, { requester: "bulk", patientId: `pt-${i}` }));
    expect(detectIncidents(entries(reads.slice(0, 50)))).toEqual([]);
    expect(detectIncidents(entries(reads))).toMatchObject([
      { kind: "bulk-patient-access", requester: "bulk", count: 51 },
    ]);
  });
});
