import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { InMemoryAuditLog } from "../../clinical/audit/index.js";
import { decideAccess, fromFhirConsent, toFhirConsent } from "../../clinical/consent/index.js";
import { deidentifyResources, MapPseudonymStore, pseudonymFor } from "../../clinical/deid/index.js";
import { loadSafeHarbor } from "../../clinical/reference/safe-harbor.js";
import {
  AccessRequestSchema,
  ConsentRecordSchema,
  type ConsentDecision,
  type ConsentRecord,
} from "../../protocol/clinical/consent.js";
import { HmsError } from "../../protocol/errors.js";
import type { Principal } from "../../protocol/principal.js";
import { FhirClient, startFhirServer, type FhirJson, type FhirServer } from "../../runtime/embedded/fhir/index.js";
import {
  CarePlanWriteSchema,
  ObservationQuerySchema,
  PatientSearchInputSchema,
  SyncInputSchema,
} from "../../protocol/clinical/ehr.js";
import { EhrService, type Caller } from "./service.js";

// A stand-in for ctx.call("consent", ...) built from the same clinical modules the consent agent runs
// (agents never import each other), with consents stored on the same FHIR server.
const SEED = join(import.meta.dirname, "..", "..", "examples", "patients");
const logger = pino({ level: "silent" });
const now = () => new Date("2026-01-15T12:00:00Z");
const fast = { retries: 1, backoffMs: 5, timeoutMs: 2_000 };

let server: FhirServer;
let ehr: EhrService;
let audit: InMemoryAuditLog;
let consentFhir: FhirClient;
const pseudonyms = new MapPseudonymStore();

const consent = {
  async record(r: Omit<ConsentRecord, "id">, _by: Principal) {
    await consentFhir.create(toFhirConsent(ConsentRecordSchema.parse(r)));
  },
  async checkAccess(req: ReturnType<typeof AccessRequestSchema.parse>): Promise<ConsentDecision> {
    const consents = (await consentFhir.searchAll("Consent", { patient: `Patient/${req.patientId}` }, 100)).map(
      fromFhirConsent,
    );
    const d = decideAccess(req, consents, now());
    await audit.append({
      time: now().toISOString(),
      requester: req.requester,
      roles: req.roles,
      purposeOfUse: req.purposeOfUse,
      patientId: req.patientId,
      action: d.breakGlass ? "break-glass" : req.action,
      categories: req.categories,
      what: req.what ?? "",
      outcome: d.permit ? "success" : "denied",
      severity: d.breakGlass ? "high" : "normal",
      ...(d.breakGlass ? { reason: req.reason } : {}),
    });
    return d;
  },
  async deidentify(input: { patientId: string; resources: FhirJson[] }) {
    const pseudonym = await pseudonymFor(pseudonyms, input.patientId);
    return deidentifyResources(input.resources, {
      pseudonym,
      patientId: input.patientId,
      safeHarbor: loadSafeHarbor(),
      asOf: now(),
    });
  },
};

const clinician: Principal = { subject: "dr.lee", roles: ["clinician"], purposeOfUse: "TREAT" };
const researcher: Principal = { subject: "r.sun", roles: ["researcher"], purposeOfUse: "HRESCH" };
const admin: Principal = { subject: "ms.admin", roles: ["admin"], purposeOfUse: "HOPERAT" };

function caller(principal: Principal, taskId = "task-1"): Caller {
  return {
    principal,
    taskId,
    call: async <T>(agentId: string, verb: string, input: unknown): Promise<T> => {
      expect(agentId).toBe("consent");
      if (verb === "check_access") return (await consent.checkAccess(AccessRequestSchema.parse(input))) as T;
      if (verb === "deidentify")
        return (await consent.deidentify(input as { patientId: string; resources: FhirJson[] })) as T;
      throw new Error(`unexpected call ${verb}`);
    },
  };
}

beforeAll(async () => {
  server = await startFhirServer({ seedDir: SEED, logger });
  audit = new InMemoryAuditLog();
  consentFhir = new FhirClient({ baseUrl: server.baseUrl, logger, ...fast });
  ehr = new EhrService({ fhir: new FhirClient({ baseUrl: server.baseUrl, logger, ...fast }), logger, now });
});
afterAll(() => server?.close());

const errorOf = async (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e as HmsError,
  );

describe("EHR agent logic over the embedded FHIR server", () => {
  it("gives a clinician the identified summary and audits the read", async () => {
    const s = await ehr.getSummary("pt-moderate-ileal-tpmt-im", caller(clinician));
    expect(s.demographics.name).toBeTruthy();
    expect(s.activity.cdai).toMatchObject({ value: 344, band: "moderate" });
    expect(s.sources).toContain("Patient/pt-moderate-ileal-tpmt-im");
    const [last] = await audit.query({ patientId: "pt-moderate-ileal-tpmt-im", limit: 1 });
    expect(last).toMatchObject({ requester: "dr.lee", action: "read", outcome: "success", purposeOfUse: "TREAT" });
  });

  it("refuses a researcher without opt-in, then gives de-identified data under a stable pseudonym", async () => {
    const denied = await errorOf(ehr.getSummary("pt-pregnant", caller(researcher)));
    expect(denied.code).toBe("CONSENT_DENIED");
    await consent.record(
      {
        patientId: "pt-pregnant",
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
    const a = await ehr.getSummary("pt-pregnant", caller(researcher));
    const b = await ehr.getSummary("pt-pregnant", caller(researcher));
    expect(a.deidentified).toBe(true);
    expect(a.patientId).toMatch(/^anon-/);
    expect(b.patientId).toBe(a.patientId);
    expect(a.demographics.name).toBeUndefined();
    expect(JSON.stringify(a)).not.toContain("pt-pregnant");
    expect(a.comorbidities.pregnant).toBe(true);
  });

  it("honours a patient's deny, and lets break-the-glass through with a high-severity audit", async () => {
    await consent.record(
      {
        patientId: "pt-vte-history",
        status: "active",
        decision: "deny",
        actorRoles: [],
        actorSubjects: ["dr.lee"],
        purposes: [],
        categories: [],
        actions: [],
      },
      admin,
    );
    expect((await errorOf(ehr.getSummary("pt-vte-history", caller(clinician)))).code).toBe("CONSENT_DENIED");
    const glass: Principal = { ...clinician, purposeOfUse: "ETREAT", reason: "haemodynamically unstable GI bleed" };
    const s = await ehr.getSummary("pt-vte-history", caller(glass));
    expect(s.comorbidities.vteHistory).toBe(true);
    const [last] = await audit.query({ patientId: "pt-vte-history", limit: 1 });
    expect(last).toMatchObject({
      action: "break-glass",
      severity: "high",
      outcome: "success",
      reason: "haemodynamically unstable GI bleed",
    });
  });

  it("bounds observation queries and filters by loinc.json key", async () => {
    const all = await ehr.getObservations(
      ObservationQuerySchema.parse({ patientId: "pt-allopurinol" }),
      caller(clinician),
    );
    expect(all.observations).toHaveLength(20);
    const calpro = await ehr.getObservations(
      ObservationQuerySchema.parse({ patientId: "pt-allopurinol", code: "fecal_calprotectin" }),
      caller(clinician),
    );
    expect(calpro.observations.map((o) => o.key)).toEqual([
      "fecal_calprotectin",
      "fecal_calprotectin",
      "fecal_calprotectin",
    ]);
    expect(calpro.observations[0]).toMatchObject({ value: 620, interpretation: "high" });
  });

  it("finds a patient by MRN", async () => {
    const mrn = (await ehr.getSummary("pt-hepatitis-b", caller(clinician))).demographics.mrn!;
    const res = await ehr.searchPatients(PatientSearchInputSchema.parse({ identifier: mrn }), caller(clinician));
    expect(res.patients.map((p) => p.patientId)).toEqual(["pt-hepatitis-b"]);
  });

  it("writes a care plan once however often the task is retried", async () => {
    const input = CarePlanWriteSchema.parse({
      patientId: "pt-moderate-ileal-tpmt-im",
      regimen: [
        { drug: "ustekinumab", dose: 390, unit: "mg", route: "IV", frequency: "single induction dose" },
        { drug: "azathioprine", dose: 1.5, unit: "mg/kg", frequency: "daily" },
      ],
      findings: [
        {
          severity: "moderate",
          code: "pgx-dose",
          message: "TPMT intermediate: reduce thiopurine dose",
          drugs: ["azathioprine"],
        },
      ],
      basedOn: ["Patient/pt-moderate-ileal-tpmt-im"],
    });
    const first = await ehr.writeCarePlan(input, caller(clinician, "task-care-1"));
    const again = await ehr.writeCarePlan(input, caller(clinician, "task-care-1"));
    expect(first.created).toBe(true);
    expect(again).toEqual({ ...first, created: false });
    const plans = await new FhirClient({ baseUrl: server.baseUrl, logger }).search("CarePlan", {
      subject: "Patient/pt-moderate-ileal-tpmt-im",
      status: "draft",
    });
    expect(plans.entry).toHaveLength(1);
    const other = await ehr.writeCarePlan(input, caller(clinician, "task-care-2"));
    expect(other.carePlanRef).not.toBe(first.carePlanRef);
    expect(
      (await errorOf(ehr.writeCarePlan(input, caller({ subject: "n.ray", roles: ["nurse"], purposeOfUse: "TREAT" }))))
        .code,
    ).toBe("CONSENT_DENIED");
  });

  it("publishes changes since the last sync", async () => {
    const published: unknown[] = [];
    const publish = async (_t: string, d: unknown) => void published.push(d);
    const start = await ehr.syncChanges(SyncInputSchema.parse({ since: new Date().toISOString() }), publish);
    expect(start.changes).toEqual([]);
    await ehr.writeCarePlan(
      CarePlanWriteSchema.parse({ patientId: "pt-mild-colonic", regimen: [{ drug: "budesonide" }] }),
      caller(clinician, "task-sync"),
    );
    const next = await ehr.syncChanges(SyncInputSchema.parse({}), publish);
    expect(next.changes.map((c) => c.resourceType)).toEqual(expect.arrayContaining(["CarePlan", "MedicationRequest"]));
    expect(next.changes.every((c) => c.patientId === "pt-mild-colonic")).toBe(true);
    // The topic carries the clinically relevant ones in the alert agent's ehr-change shape.
    const medicationRequests = next.changes.filter((c) => c.resourceType === "MedicationRequest").map((c) => c.ref);
    expect(published).toEqual(
      medicationRequests.map((ref) =>
        expect.objectContaining({ patientId: "pt-mild-colonic", change: "medication-change", ref }),
      ),
    );
  });
});

describe("EHR agent when the FHIR server is down", () => {
  it("fails with DEPENDENCY_FAILED naming the server, and recovers when it is back", async () => {
    const own = await startFhirServer({ logger });
    const port = Number(new URL(own.baseUrl).port);
    const permit: ConsentDecision = {
      patientId: "pt-x",
      permit: true,
      reason: "test",
      obligations: [],
      categories: ["observations"],
      breakGlass: false,
      consentRefs: [],
    };
    const c: Caller = { principal: clinician, taskId: "t", call: async <T>() => permit as T };
    const svc = new EhrService({
      fhir: new FhirClient({
        baseUrl: own.baseUrl,
        logger,
        retries: 1,
        backoffMs: 5,
        breakerThreshold: 2,
        halfOpenAfterMs: 100,
      }),
      logger,
      now,
    });
    const q = ObservationQuerySchema.parse({ patientId: "pt-x" });
    expect((await svc.getObservations(q, c)).observations).toEqual([]);
    await own.close();
    const err = await errorOf(svc.getObservations(q, c));
    expect(err).toBeInstanceOf(HmsError);
    expect(err.code).toBe("DEPENDENCY_FAILED");
    expect(err.message).toContain(own.baseUrl);
    const open = await errorOf(svc.getObservations(q, c));
    expect(open.message).toContain("circuit open");
    const back = await startFhirServer({ logger, port });
    try {
      await vi.waitFor(async () => expect((await svc.getObservations(q, c)).observations).toEqual([]), {
        timeout: 5_000,
        interval: 50,
      });
    } finally {
      await back.close();
    }
  });
});
