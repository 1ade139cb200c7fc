import pino from "pino";
import { afterAll, assert, beforeAll, describe, expect, it } from "vitest";
import { InMemoryAuditLog } from "../../clinical/audit/index.js";
import { MapPseudonymStore } from "../../clinical/deid/index.js";
import type { AccessRequest, AuditIncident } from "../../protocol/clinical/consent.js";
import type { Principal } from "../../protocol/principal.js";
import { FhirClient, startFhirServer, type FhirServer } from "../../runtime/embedded/fhir/index.js";
import { AuditQueryInputSchema, ConsentService } from "./service.js";

const logger = pino({ level: "silent" });
const admin: Principal = { subject: "ms.admin", roles: ["admin"], purposeOfUse: "HOPERAT" };
const readReq = (r: Partial<AccessRequest> = {}): AccessRequest => ({
  requester: "dr.lee",
  roles: ["clinician"],
  patientId: "pt-1",
  categories: ["observations"],
  action: "read",
  purposeOfUse: "TREAT",
  ...r,
});

let server: FhirServer;
let fhir: FhirClient;
let audit: InMemoryAuditLog;
let service: ConsentService;
let clock = new Date("2026-01-15T12:00:00Z");
const incidents: AuditIncident[] = [];

beforeAll(async () => {
  server = await startFhirServer({ logger });
  fhir = new FhirClient({ baseUrl: server.baseUrl, logger, retries: 0 });
  await fhir.update({ resourceType: "Patient", id: "pt-1" });
  audit = new InMemoryAuditLog();
  service = new ConsentService({
    fhir,
    audit,
    pseudonyms: new MapPseudonymStore(),
    logger,
    now: () => clock,
    onIncident: async (i) => void incidents.push(i),
  });
});
afterAll(() => server?.close());

describe("consent agent logic", () => {
  it("announces a revoke to the other instances, which refuse on their next check", async () => {
    const announced: string[] = [];
    const other = new ConsentService({
      fhir,
      audit,
      pseudonyms: new MapPseudonymStore(),
      logger,
      now: () => clock,
      consentCacheTtlMs: 60_000,
    });
    const here = new ConsentService({
      fhir,
      audit,
      pseudonyms: new MapPseudonymStore(),
      logger,
      now: () => clock,
      consentCacheTtlMs: 60_000,
      onConsentChange: async (id) => {
        announced.push(id);
        other.invalidateConsents(id); // what the topic subscription does in the agent
      },
    });
    await fhir.update({ resourceType: "Patient", id: "pt-2" });
    const research = readReq({ requester: "dr.rao", roles: ["researcher"], purposeOfUse: "HRESCH", patientId: "pt-2" });
    const optIn = await here.record(
      {
        patientId: "pt-2",
        status: "active",
        decision: "permit",
        actorRoles: ["researcher"],
        actorSubjects: [],
        purposes: ["HRESCH"],
        categories: [],
        actions: [],
      },
      admin,
    );
    expect((await other.checkAccess(research)).permit).toBe(true); // now cached by `other`
    await here.revoke(optIn.id!, admin, "withdrawn");
    expect(announced).toEqual(["pt-2", "pt-2"]);
    expect((await other.checkAccess(research)).permit).toBe(false);
  });

  it("stores consents as FHIR Consent and stops honouring them once revoked", async () => {
    const deny = await service.record(
      {
        patientId: "pt-1",
        status: "active",
        decision: "deny",
        actorRoles: ["nurse"],
        actorSubjects: [],
        purposes: [],
        categories: ["observations"],
        actions: ["read"],
      },
      admin,
    );
    expect(deny.id).toBeTruthy();
    const stored = await fhir.search("Consent", { patient: "Patient/pt-1", status: "active" });
    expect(stored.entry?.map((e) => e.resource?.id)).toEqual([deny.id]);
    const nurse = readReq({ requester: "n.ray", roles: ["nurse"] });
    expect((await service.checkAccess(nurse)).permit).toBe(false);
    await service.revoke(deny.id!, admin, "patient changed their mind");
    expect((await service.checkAccess(nurse)).permit).toBe(true);
  });

  it("stops honouring a research opt-in after its period ends", async () => {
    await service.record(
      {
        patientId: "pt-1",
        status: "active",
        decision: "permit",
        actorRoles: ["researcher"],
        actorSubjects: [],
        purposes: ["HRESCH"],
        categories: [],
        actions: [],
        period: { start: "2025-01-01", end: "2026-06-30" },
      },
      admin,
    );
    const research = readReq({ requester: "r.sun", roles: ["researcher"], purposeOfUse: "HRESCH" });
    expect(await service.checkAccess(research)).toMatchObject({ permit: true, obligations: ["de-identify"] });
    clock = new Date("2026-07-01T00:00:00Z");
    try {
      expect(await service.checkAccess(research)).toMatchObject({
        permit: false,
        reason: expect.stringContaining("expired"),
      });
    } finally {
      clock = new Date("2026-01-15T12:00:00Z");
    }
  });

  it("audits every decision, mirrors it to FHIR AuditEvent, and verifies the chain", async () => {
    const d = await service.checkAccess(readReq());
    const entries = await audit.read(d.auditSeq);
    expect(entries[0]).toMatchObject({ seq: d.auditSeq, requester: "dr.lee", outcome: "success", patientId: "pt-1" });
    // The mirror is off the decision path: it catches up, in one batch for entries made together.
    await Promise.all([service.checkAccess(readReq()), service.checkAccess(readReq())]);
    await service.flushAuditMirror();
    const events = await fhir.search("AuditEvent", { _count: 1000 });
    expect(events.entry!.length).toBe(audit.entries.length);
    const res = await service.queryAudit(AuditQueryInputSchema.parse({ patientId: "pt-1", verify: true }));
    expect(res.chain).toMatchObject({ ok: true });
    expect(res.entries[0]?.seq).toBeGreaterThan(res.entries.at(-1)!.seq);
  });

  it("reports the first altered audit entry", async () => {
    const target = audit.entries[1];
    assert(target);
    const original = target.requester;
    target.requester = "mallory";
    try {
      const res = await service.queryAudit(AuditQueryInputSchema.parse({ verify: true, limit: 1 }));
      expect(res.chain).toMatchObject({ ok: false, firstBadSeq: target.seq, problem: "altered" });
    } finally {
      target.requester = original;
    }
  });

  it("raises one security incident when a requester is denied five times", async () => {
    const before = incidents.length;
    const probe = readReq({ requester: "eve", roles: ["nurse"], categories: ["genomics"] });
    for (let i = 0; i < 6; i++) expect((await service.checkAccess(probe)).permit).toBe(false);
    expect(incidents.slice(before)).toMatchObject([{ kind: "repeated-denials", requester: "eve", count: 5 }]);
  });

  it("fails closed when consents cannot be read", async () => {
    const down = new ConsentService({
      fhir: new FhirClient({ baseUrl: "http://127.0.0.1:9/fhir/R4", logger, retries: 0, timeoutMs: 500 }),
      audit: new InMemoryAuditLog(),
      pseudonyms: new MapPseudonymStore(),
      logger,
      mirrorAuditToFhir: false,
    });
    await expect(down.checkAccess(readReq())).rejects.toMatchObject({ code: "DEPENDENCY_FAILED" });
  });
});
