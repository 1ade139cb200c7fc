import { join } from "node:path";
import { afterAll, assert, beforeAll, describe, expect, it, vi } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { consentAgent } from "../../agents/consent/index.js";
import { ehrAgent } from "../../agents/ehr/index.js";
import { auditVerifyCommand } from "../../cli/audit.js";
import type {
  AuditChainStatus,
  AuditEntry,
  AuditIncident,
  ConsentDecision,
  ConsentRecord,
} from "../../protocol/clinical/consent.js";
import type { CarePlanWriteResult } from "../../protocol/clinical/ehr.js";
import type { PatientSummary } from "../../protocol/clinical/patient.js";
import { HmsError, type Principal } from "../../protocol/index.js";
import {
  AUDIT_STREAM,
  auditSubject,
  startHost,
  type AgentDef,
  type EmbeddedNats,
  type Host,
} from "../../runtime/index.js";
import { buildMcpServer } from "../../runtime/mcp/index.js";
import { startFhirServer, type FhirServer } from "../../runtime/embedded/fhir/index.js";
import { natsForSuite, quietLogger } from "../support/nats.js";
import { REPO } from "../support/spawn.js";

// The consent and EHR agents on a real nats-server, against the embedded FHIR server over HTTP,
// reached only through real clients: the A2A bus client and the MCP SDK client.

const SEED = join(REPO, "examples", "patients");
// The synthetic patients' dates are relative to 2026-01-15 (examples/patients/README.md).
const now = () => new Date("2026-01-15T12:00:00Z");
const fhirOpts = { timeoutMs: 2_000, retries: 1, backoffMs: 10, breakerThreshold: 50, halfOpenAfterMs: 200 };

const clinician: Principal = { subject: "dr.lee", roles: ["clinician"], purposeOfUse: "TREAT" };
const researcher: Principal = { subject: "r.sun", roles: ["researcher"], purposeOfUse: "HRESCH" };
const admin: Principal = { subject: "admin.kim", roles: ["admin"], purposeOfUse: "HOPERAT" };

let nats: EmbeddedNats;
let fhir: FhirServer;
let fhirPort: number;
let host: Host;
let defs: AgentDef[];
let mcpClinician: Client;
let mcpResearcher: Client;

const call = <T>(agentId: string, verb: string, input: unknown, principal: Principal, messageId?: string) =>
  host.client.call<T>(agentId, verb, input, { principal, timeoutMs: 15_000, ...(messageId ? { messageId } : {}) });
const summaryOf = async (patientId: string, p: Principal = clinician) =>
  (await call<{ summary: PatientSummary }>("ehr", "get_patient_summary", { patientId }, p)).summary;
/**
 * The typed error of a failed call: an HmsError from a failed task, or the stable code a JSON-RPC
 * error carries in `data.code` (input rejected before a task exists, -32602).
 */
const failure = async (p: Promise<unknown>): Promise<{ code: string; message: string }> =>
  p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => {
      if (e instanceof HmsError) return e;
      const code = (e as { data?: { code?: string } }).data?.code;
      return code ? { code, message: (e as Error).message } : HmsError.from(e);
    },
  );
const fhirGet = async <T>(path: string): Promise<T> =>
  (await fetch(`${fhir.baseUrl}/${path}`, { headers: { accept: "application/fhir+json" } })).json() as Promise<T>;
const auditOf = async (patientId: string) =>
  (
    await call<{ entries: AuditEntry[]; chain?: AuditChainStatus }>(
      "consent",
      "query_audit",
      { patientId, limit: 1000 },
      admin,
    )
  ).entries;
const record = (c: Partial<ConsentRecord> & Pick<ConsentRecord, "patientId" | "decision">) =>
  call<{ consent: ConsentRecord }>(
    "consent",
    "record",
    { actorRoles: [], actorSubjects: [], purposes: [], categories: [], actions: [], ...c },
    admin,
  );

async function mcpAs(principal: Principal): Promise<Client> {
  const server = buildMcpServer({
    agents: defs,
    call: (a, v, i, o) => host.client.call(a, v, i, { principal: o.principal, signal: o.signal, timeoutMs: 15_000 }),
    principalOf: () => principal,
    logger: quietLogger,
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: `ehr-consent-${principal.subject}`, version: "1.0.0" });
  await client.connect(clientSide);
  return client;
}

beforeAll(async () => {
  nats = await natsForSuite();
  fhir = await startFhirServer({ seedDir: SEED, logger: quietLogger });
  fhirPort = Number(new URL(fhir.baseUrl).port);
  // Built as cli/agents.ts builds them, with a fixed clock and a fast-failing FHIR client.
  defs = [
    consentAgent({ fhirBaseUrl: fhir.baseUrl, logger: quietLogger, now, fhir: fhirOpts }),
    ehrAgent({ fhirBaseUrl: fhir.baseUrl, logger: quietLogger, now, fhir: fhirOpts }),
  ];
  host = await startHost({ agents: defs, natsUrl: nats.url, logger: quietLogger });
  mcpClinician = await mcpAs(clinician);
  mcpResearcher = await mcpAs(researcher);
}, 30_000);

afterAll(async () => {
  await mcpClinician?.close();
  await mcpResearcher?.close();
  await host?.close();
  await fhir?.close();
  await nats?.close();
});

describe("patient summaries over the bus and over MCP", () => {
  it("summarises named patients as their charts say (A2A client)", async () => {
    const tpmt = await summaryOf("pt-moderate-ileal-tpmt-im");
    expect(tpmt).toMatchObject({
      patientId: "pt-moderate-ileal-tpmt-im",
      deidentified: false,
      demographics: { age: 29, sex: "male" },
      diagnosis: { montreal: { age: "A2", location: "L1", behaviour: "B2", perianal: false } },
      activity: { cdai: { value: 344, band: "moderate" }, band: "moderate" },
      genotype: { tpmt: "*1/*3A", nudt15: "*1/*1" },
      pharmacogenomics: { tpmtPhenotype: "intermediate", nudt15Phenotype: "normal" },
    });

    const severe = await summaryOf("pt-severe-ileocolonic-perianal");
    expect(severe).toMatchObject({
      demographics: { age: 31, sex: "female" },
      diagnosis: { montreal: { location: "L3", behaviour: "B3", perianal: true } },
      activity: { band: "severe" },
      genotype: { hlaDqa105: true },
    });
    expect(severe.treatmentHistory).toContainEqual(
      expect.objectContaining({ drug: "infliximab", response: "loss-of-response" }),
    );

    const hf = await summaryOf("pt-heart-failure-nyha3");
    expect(hf).toMatchObject({
      demographics: { age: 62, sex: "male" },
      comorbidities: { heartFailureNyha: 3 },
      diagnosis: { montreal: { age: "A3", location: "L3" } },
    });

    const missing = await summaryOf("pt-missing-labs");
    expect(missing.activity.cdai.status).toBe("missing");
    expect(missing.activity.hbi.status).toBe("computed");
    expect(missing.genotype).toMatchObject({ tpmt: null, nudt15: null });
  });

  it("gives the same summary through the MCP tool ehr_get_patient_summary", async () => {
    const viaBus = await summaryOf("pt-moderate-tpmt-poor");
    const r = await mcpClinician.callTool({
      name: "ehr_get_patient_summary",
      arguments: { patientId: "pt-moderate-tpmt-poor" },
    });
    expect(r.isError).toBeFalsy();
    const summary = (r.structuredContent as { summary: PatientSummary }).summary;
    expect(summary).toEqual(viaBus);
    expect(summary).toMatchObject({
      genotype: { tpmt: "*3A/*3A" },
      pharmacogenomics: { tpmtPhenotype: "poor", thiopurineDoseFraction: 0 },
      diagnosis: { montreal: { location: "L3" } },
    });
  });

  it("gives a researcher with the patient's opt-in de-identified data only", async () => {
    const id = "pt-age-over-89";
    const patient = await fhirGet<{
      name: { family: string; given: string[] }[];
      identifier: { value: string }[];
      birthDate: string;
      address?: { line?: string[]; city?: string; postalCode?: string }[];
      telecom?: { value: string }[];
    }>(`Patient/${id}`);
    await record({ patientId: id, decision: "permit", actorRoles: ["researcher"], purposes: ["HRESCH"] });
    const before = await auditOf(id);
    const r = await mcpResearcher.callTool({ name: "ehr_get_patient_summary", arguments: { patientId: id } });
    expect(r.isError).toBeFalsy();
    // One access, one audit entry: the de-identification is part of the audited read.
    const after = await auditOf(id);
    expect(after).toHaveLength(before.length + 1);
    expect(after[0]).toMatchObject({
      requester: "r.sun",
      roles: ["researcher"],
      purposeOfUse: "HRESCH",
      action: "read",
      outcome: "success",
    });
    const summary = (r.structuredContent as { summary: PatientSummary }).summary;
    expect(summary).toMatchObject({ deidentified: true, demographics: { age: 90, ageTopCoded: true } });
    expect(summary.patientId).not.toBe(id);
    const text = JSON.stringify(r);
    const identifiers = [
      id,
      patient.birthDate,
      ...patient.name.flatMap((n) => [n.family, ...n.given]),
      ...patient.identifier.map((i) => i.value),
      ...(patient.address ?? []).flatMap((a) => [...(a.line ?? []), a.city ?? "", a.postalCode ?? ""]),
      ...(patient.telecom ?? []).map((t) => t.value),
    ].filter((s) => s && s.length > 2);
    expect(identifiers.length).toBeGreaterThan(3);
    for (const s of identifiers) expect(text).not.toContain(s);
  });
});

describe("consent decisions over the bus", () => {
  it("refuses a patient's deny, then lets break-the-glass through with a high-severity audit", async () => {
    await record({ patientId: "pt-vte-history", decision: "deny", actorSubjects: ["dr.lee"] });
    const denied = await failure(summaryOf("pt-vte-history"));
    expect(denied.code).toBe("CONSENT_DENIED");
    expect(denied.message).toContain("patient consent denies");

    const viaMcp = await mcpClinician.callTool({
      name: "ehr_get_patient_summary",
      arguments: { patientId: "pt-vte-history" },
    });
    expect(viaMcp.isError).toBe(true);
    expect(JSON.stringify(viaMcp.content)).toContain("CONSENT_DENIED");

    const glass: Principal = { ...clinician, purposeOfUse: "ETREAT", reason: "unstable GI bleed, patient unconscious" };
    const s = await summaryOf("pt-vte-history", glass);
    expect(s.comorbidities.vteHistory).toBe(true);
    const [last] = await auditOf("pt-vte-history");
    expect(last).toMatchObject({
      action: "break-glass",
      severity: "high",
      outcome: "success",
      requester: "dr.lee",
      reason: "unstable GI bleed, patient unconscious",
    });
  });

  it("refuses research under an expired opt-in", async () => {
    await record({
      patientId: "pt-pregnant",
      decision: "permit",
      actorRoles: ["researcher"],
      purposes: ["HRESCH"],
      period: { start: "2024-01-01", end: "2025-12-31" },
    });
    const e = await failure(summaryOf("pt-pregnant", researcher));
    expect(e.code).toBe("CONSENT_DENIED");
    expect(e.message).toContain("expired");
  });

  it("permits research under an opt-in and refuses the very next call once it is revoked", async () => {
    const id = "pt-remission-azathioprine";
    const { consent } = await record({
      patientId: id,
      decision: "permit",
      actorRoles: ["researcher"],
      purposes: ["HRESCH"],
    });
    expect((await summaryOf(id, researcher)).deidentified).toBe(true);
    await call("consent", "revoke", { consentId: consent.id, reason: "patient withdrew" }, admin);
    const e = await failure(summaryOf(id, researcher));
    expect(e.code).toBe("CONSENT_DENIED");
    expect(e.message).toContain("revoked");
  });

  it("raises a security incident at the fifth denied attempt by one requester", async () => {
    const incidents: AuditIncident[] = [];
    const sub = host.bus.nc.subscribe(`a2a.v1.${host.tenant}.topic.security-incident.consent`, {
      callback: (_e, m) => void incidents.push(m.json<AuditIncident>()),
    });
    const snoop: Principal = { subject: "eve", roles: ["researcher"], purposeOfUse: "HRESCH" };
    for (const p of [
      "pt-mild-colonic",
      "pt-allopurinol",
      "pt-hepatitis-b",
      "pt-upper-gi-l4",
      "pt-latent-tb-untreated",
    ]) {
      const d = await call<ConsentDecision>(
        "consent",
        "check_access",
        {
          requester: "eve",
          roles: ["researcher"],
          patientId: p,
          categories: ["observations"],
          action: "read",
          purposeOfUse: "HRESCH",
        },
        snoop,
      );
      expect(d.permit).toBe(false);
    }
    await host.bus.nc.flush();
    await vi.waitFor(() => expect(incidents).toHaveLength(1), { timeout: 5_000, interval: 20 });
    sub.unsubscribe();
    expect(incidents[0]).toMatchObject({ kind: "repeated-denials", requester: "eve", count: 5 });
  });
});

describe("the audit trail", () => {
  it("leaves exactly one audit entry per access, in the stream and mirrored to FHIR", async () => {
    const id = "pt-multiple-sclerosis";
    const before = await auditOf(id);
    const r = await host.client.callForTask<{ summary: PatientSummary }>(
      "ehr",
      "get_patient_summary",
      { patientId: id },
      { principal: clinician },
    );
    const after = await auditOf(id);
    expect(after).toHaveLength(before.length + 1);
    const entry = after[0];
    assert(entry);
    expect(entry).toMatchObject({
      requester: "dr.lee",
      roles: ["clinician"],
      purposeOfUse: "TREAT",
      patientId: id,
      action: "read",
      outcome: "success",
      taskId: r.task.id,
    });
    expect(entry.what).toContain(`Patient/${id}`);

    type AuditEvents = {
      entry?: {
        resource: {
          entity: { what: { identifier?: { value: string } }; detail?: { type: string; valueString: string }[] }[];
        };
      }[];
    };
    // The FHIR mirror follows the chain off the decision path: it catches up within moments.
    const mirroredOf = (b: AuditEvents) =>
      (b.entry ?? []).filter((e) =>
        e.resource.entity.some((x) => x.detail?.some((d) => d.type === "hash" && d.valueString === entry.hash)),
      );
    await expect
      .poll(async () => mirroredOf(await fhirGet<AuditEvents>(`AuditEvent?_count=1000`)).length, { timeout: 5_000 })
      .toBe(1);
    const bundle = await fhirGet<AuditEvents>(`AuditEvent?_count=1000`);
    const forPatient = (bundle.entry ?? []).filter((e) =>
      e.resource.entity.some((x) => (x.what as { reference?: string }).reference === `Patient/${id}`),
    );
    expect(forPatient).toHaveLength(after.length);
  });

  it("answers consent_query_audit from the stream with the chain verified", async () => {
    const r = await call<{ entries: AuditEntry[]; chain: AuditChainStatus }>(
      "consent",
      "query_audit",
      { requester: "dr.lee", verify: true, limit: 5 },
      admin,
    );
    expect(r.entries.length).toBe(5);
    expect(r.entries.every((e) => e.requester === "dr.lee")).toBe(true);
    expect(r.chain.ok).toBe(true);
    const info = await host.bus.jsm.streams.info(AUDIT_STREAM, { subjects_filter: auditSubject(host.tenant) });
    expect(r.chain.checked).toBe(info.state.messages);
  });

  it("detects one audit entry altered in the stream, with the verify command and consent_query_audit", async () => {
    const lines: string[] = [];
    expect(await auditVerifyCommand({ natsUrl: nats.url, tenant: host.tenant, print: (l) => void lines.push(l) })).toBe(
      0,
    );
    // Replace entry 2: delete its message and publish a copy naming someone else.
    const subject = auditSubject(host.tenant);
    let m = (await host.bus.jsm.streams.getMessage(AUDIT_STREAM, { next_by_subj: subject, seq: 1 } as never))!;
    while (m.json<AuditEntry>().seq !== 2)
      m = (await host.bus.jsm.streams.getMessage(AUDIT_STREAM, { next_by_subj: subject, seq: m.seq + 1 } as never))!;
    await host.bus.jsm.streams.deleteMessage(AUDIT_STREAM, m.seq);
    await host.bus.js.publish(subject, JSON.stringify({ ...m.json<AuditEntry>(), requester: "someone.else" }));

    expect(await auditVerifyCommand({ natsUrl: nats.url, tenant: host.tenant, print: (l) => void lines.push(l) })).toBe(
      1,
    );
    expect(lines.at(-1)).toContain("entry 2");
    const r = await call<{ chain: AuditChainStatus }>("consent", "query_audit", { verify: true, limit: 1 }, admin);
    expect(r.chain).toMatchObject({ ok: false, firstBadSeq: 2 });
  });
});

describe("care-plan writes", () => {
  it("creates one CarePlan when ehr_write_care_plan is sent twice with the same message id", async () => {
    const input = {
      patientId: "pt-moderate-nudt15-im",
      regimen: [{ drug: "ustekinumab", dose: 90, unit: "mg", route: "subcutaneous", frequency: "every 8 weeks" }],
    };
    const first = await host.client.callForTask<CarePlanWriteResult>("ehr", "write_care_plan", input, {
      principal: clinician,
      messageId: "plan-nudt15-write-1",
    });
    const again = await host.client.callForTask<CarePlanWriteResult>("ehr", "write_care_plan", input, {
      principal: clinician,
      messageId: "plan-nudt15-write-1",
    });
    expect(again.task.id).toBe(first.task.id);
    expect(again.output).toEqual(first.output);
    expect(first.output).toMatchObject({
      created: true,
      carePlanRef: expect.stringMatching(/^CarePlan\//),
      provenanceRef: expect.stringMatching(/^Provenance\//),
    });
    expect(first.output?.medicationRequestRefs).toHaveLength(1);
    const plans = await fhirGet<{ entry?: unknown[] }>("CarePlan?subject=Patient/pt-moderate-nudt15-im");
    expect(plans.entry ?? []).toHaveLength(1);
  });
});

describe("typed errors for bad input", () => {
  it("answers an unknown patient with NOT_FOUND over the bus and over MCP", async () => {
    expect((await failure(summaryOf("pt-nobody"))).code).toBe("NOT_FOUND");
    const r = await mcpClinician.callTool({ name: "ehr_get_patient_summary", arguments: { patientId: "pt-nobody" } });
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toContain("NOT_FOUND");
  });

  it("answers a malformed id and invalid search parameters with INVALID_INPUT naming the field", async () => {
    const bad = await failure(summaryOf("not a valid id!"));
    expect(bad.code).toBe("INVALID_INPUT");
    expect(bad.message).toContain("patientId");
    const noCriteria = await failure(call("ehr", "search_patients", { count: 5 }, clinician));
    expect(noCriteria.code).toBe("INVALID_INPUT");
    const badDate = await failure(
      call("ehr", "get_observations", { patientId: "pt-mild-colonic", since: "last tuesday" }, clinician),
    );
    expect(badDate.code).toBe("INVALID_INPUT");
    expect(badDate.message).toContain("since");

    const r = await mcpClinician.callTool({ name: "ehr_search_patients", arguments: { birthdate: "15/01/1990" } });
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toContain("birthdate");
    const m = await mcpClinician.callTool({ name: "ehr_get_patient_summary", arguments: { patientId: "../Patient" } });
    expect(m.isError).toBe(true);
    expect(JSON.stringify(m.content)).toContain("patientId");
  });
});

describe("FHIR server outage", () => {
  it("fails with DEPENDENCY_FAILED naming the server, and recovers when it returns on the same port", async () => {
    const baseUrl = fhir.baseUrl;
    await fhir.close();
    const e = await failure(summaryOf("pt-mild-colonic"));
    expect(e.code).toBe("DEPENDENCY_FAILED");
    expect(e.message).toContain(baseUrl);
    const viaMcp = await mcpClinician.callTool({
      name: "ehr_get_patient_summary",
      arguments: { patientId: "pt-mild-colonic" },
    });
    expect(viaMcp.isError).toBe(true);
    expect(JSON.stringify(viaMcp.content)).toContain("DEPENDENCY_FAILED");

    fhir = await startFhirServer({ seedDir: SEED, logger: quietLogger, port: fhirPort });
    expect(fhir.baseUrl).toBe(baseUrl);
    const s = await vi.waitFor(() => summaryOf("pt-mild-colonic"), { timeout: 10_000, interval: 100 });
    expect(s.diagnosis.montreal.location).toBe("L2");
  });
});
