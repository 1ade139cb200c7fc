import pino from "pino";
import { afterAll, assert, beforeAll, describe, expect, it, vi } from "vitest";
import { appendEntry } from "../../clinical/audit/index.js";
import type { AuditEntry } from "../../protocol/clinical/consent.js";
import { FhirClient, startFhirServer, type FhirServer } from "../../runtime/embedded/fhir/index.js";
import { AuditMirror } from "./audit-mirror.js";

const logger = pino({ level: "silent" });
let server: FhirServer;
beforeAll(async () => {
  server = await startFhirServer({ logger });
});
afterAll(() => server?.close());

function chain(n: number, patientId = "pt-mirror"): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      appendEntry(out.at(-1), {
        time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        requester: "dr.lee",
        roles: ["clinician"],
        purposeOfUse: "TREAT",
        patientId,
        action: "read",
        categories: ["observations"],
        what: `read ${i}`,
        outcome: "success",
        severity: "normal",
      }),
    );
  }
  return out;
}
const chainSeqs = async (fhir: FhirClient) =>
  (await fhir.searchAll("AuditEvent", { _count: 1000 }, 1000))
    .map((r) =>
      Number(
        (r.entity as { what: { identifier?: { value: string } } }[]).find((e) => e.what.identifier)?.what.identifier
          ?.value,
      ),
    )
    .sort((a, b) => a - b);

describe("AuditMirror", () => {
  it("writes the entries of one turn in one batch request, and later ones in the next", async () => {
    const fhir = new FhirClient({ baseUrl: server.baseUrl, logger });
    const batch = vi.spyOn(fhir, "batch");
    const mirror = new AuditMirror(fhir, logger);
    const [a, b, c, d] = chain(4);
    assert(a && b && c && d);
    mirror.add(a);
    mirror.add(b);
    mirror.add(c);
    await mirror.flush();
    expect(batch).toHaveBeenCalledTimes(1);
    mirror.add(d);
    await mirror.flush();
    expect(batch).toHaveBeenCalledTimes(2);
    expect(await chainSeqs(fhir)).toEqual([a.seq, b.seq, c.seq, d.seq]);
  });

  it("logs and drops what a dead FHIR server cannot take, without failing its caller", async () => {
    const warn = vi.fn();
    const log = { ...logger, warn } as unknown as typeof logger;
    const dead = new FhirClient({ baseUrl: "http://127.0.0.1:9/fhir/R4", logger, retries: 0, timeoutMs: 500 });
    const mirror = new AuditMirror(dead, log);
    const [e] = chain(1, "pt-dead");
    assert(e);
    mirror.add(e);
    await expect(mirror.flush()).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ seqs: [e.seq] }), "audit mirror to FHIR failed");
  });
});
