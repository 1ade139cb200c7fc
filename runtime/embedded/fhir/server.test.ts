import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as fhir4 from "fhir/r4.js";
import { Client } from "fhir-kit-client";
import pino from "pino";
import { afterAll, assert, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_PAGE_SIZE, runFhirCli, startFhirServer, type FhirServer } from "./index.js";

const SEED = join(import.meta.dirname, "..", "..", "..", "examples", "patients");
const LOINC = "http://loinc.org";
type Bundle<R extends fhir4.FhirResource = fhir4.FhirResource> = {
  resourceType: string;
  total?: number;
  entry?: { resource: R; response?: { status: string; location?: string } }[];
};

let server: FhirServer;
let fhir: Client;

beforeAll(async () => {
  server = await startFhirServer({ seedDir: SEED, logger: pino({ level: "silent" }) });
  fhir = new Client({ baseUrl: server.baseUrl });
});
afterAll(() => server?.close());

const search = async <R extends fhir4.FhirResource = fhir4.FhirResource>(
  resourceType: string,
  searchParams: Record<string, string | number | boolean | (string | number | boolean)[]>,
) => (await fhir.search({ resourceType, searchParams })) as unknown as Bundle<R>;
const ids = (b: Bundle) => (b.entry ?? []).map((e) => e.resource.id as string);
/** The status and OperationOutcome of a request that must fail. */
async function httpError(p: Promise<unknown>): Promise<{ status: number; data: fhir4.OperationOutcome }> {
  try {
    await p;
  } catch (err) {
    const r = (err as { response: { status: number; data: unknown } }).response;
    const data = (typeof r.data === "string" ? JSON.parse(r.data) : r.data) as fhir4.OperationOutcome;
    return { status: r.status, data };
  }
  throw new Error("expected the request to fail");
}

describe("embedded FHIR server", () => {
  it("serves the seeded synthetic patients by id, MRN, name and birth date", async () => {
    const p = (await fhir.read({ resourceType: "Patient", id: "pt-moderate-ileal-tpmt-im" })) as fhir4.Patient;
    expect(p.resourceType).toBe("Patient");
    const mrn = p.identifier?.[0];
    const family = p.name?.[0]?.family;
    assert(mrn?.system && mrn.value && family && p.birthDate);
    expect(ids(await search("Patient", { identifier: `${mrn.system}|${mrn.value}` }))).toEqual([p.id]);
    expect(ids(await search("Patient", { name: family }))).toContain(p.id);
    expect(ids(await search("Patient", { birthdate: p.birthDate }))).toContain(p.id);
  });

  it("answers with application/fhir+json", async () => {
    const res = await fetch(`${server.baseUrl}/Patient/pt-pregnant`);
    expect(res.headers.get("content-type")).toMatch(/^application\/fhir\+json/);
    expect(res.headers.get("etag")).toMatch(/^W\//);
  });

  it("searches observations by subject, LOINC code, date range, sort and count", async () => {
    const calpro = await search<fhir4.Observation>("Observation", {
      subject: "Patient/pt-moderate-ileal-tpmt-im",
      code: `${LOINC}|38445-3`,
      _sort: "-date",
      _count: 2,
    });
    expect(calpro.entry).toHaveLength(2);
    const [newest, older] = calpro.entry!.map((e) => e.resource);
    assert(newest?.effectiveDateTime && older?.effectiveDateTime);
    expect(newest.effectiveDateTime > older.effectiveDateTime).toBe(true);
    expect(newest.valueQuantity).toMatchObject({ value: 620, code: "ug/g" });
    const recent = await search<fhir4.Observation>("Observation", {
      subject: "Patient/pt-moderate-ileal-tpmt-im",
      date: ["ge2025-12-01", "le2026-02-01"],
      _count: 100,
    });
    expect(recent.entry!.length).toBeGreaterThan(5);
    for (const e of recent.entry!)
      expect(e.resource.effectiveDateTime).toSatisfy((d?: string) => !!d && d >= "2025-12-01");
  });

  it("treats subject=<bare id> as Patient/<id> instead of silently returning nothing", async () => {
    const bare = await search("Observation", { subject: "pt-pregnant", _count: 5 });
    expect(bare.entry).toHaveLength(5);
  });

  it("searches conditions, medications and allergies by subject and status", async () => {
    expect(
      ids(await search("Condition", { subject: "Patient/pt-heart-failure-nyha3", "clinical-status": "active" })).sort(),
    ).toEqual([
      "pt-heart-failure-nyha3-crohns",
      "pt-heart-failure-nyha3-heartfailurenyha3",
      "pt-heart-failure-nyha3-hypertension",
    ]);
    expect(
      ids(
        await search("MedicationStatement", { subject: "Patient/pt-severe-ileocolonic-perianal", status: "stopped" }),
      ),
    ).toEqual(["pt-severe-ileocolonic-perianal-med-0"]);
    expect(
      ids(await search("MedicationRequest", { subject: "Patient/pt-severe-ileocolonic-perianal", status: "active" })),
    ).toEqual([]);
    expect(
      ids(
        await search("AllergyIntolerance", { patient: "Patient/pt-moderate-hla-dqa1-05", "clinical-status": "active" }),
      ),
    ).toEqual(["pt-moderate-hla-dqa1-05-allergy-0"]);
  });

  it("applies a default page size when no _count is given", async () => {
    const all = await search("Observation", {});
    expect(all.entry).toHaveLength(DEFAULT_PAGE_SIZE);
  });

  it("links to the next page until the last one, and every page together is the whole result", async () => {
    const subject = "Patient/pt-moderate-ileal-tpmt-im";
    const whole = await search("Observation", { subject, _sort: "-date", _count: 1000 });
    const seen: string[] = [];
    let page = (await search("Observation", { subject, _sort: "-date", _count: 10 })) as Bundle & {
      link?: { relation: string; url: string }[];
    };
    for (;;) {
      seen.push(...ids(page));
      expect(page.link?.find((l) => l.relation === "self")?.url).toContain(server.baseUrl);
      const next = page.link?.find((l) => l.relation === "next");
      if (!next) break;
      page = (await (await fetch(next.url)).json()) as typeof page;
    }
    expect(whole.total).toBeGreaterThan(20);
    expect(seen).toEqual(ids(whole));
  });

  it("applies the same query rules to the reads inside a batch", async () => {
    const batch = (url: string) =>
      fetch(server.baseUrl, {
        method: "POST",
        headers: { "content-type": "application/fhir+json" },
        body: JSON.stringify({ resourceType: "Bundle", type: "batch", entry: [{ request: { method: "GET", url } }] }),
      });
    const bad = await batch("Observation?colour=blue");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain(
      'Bundle.entry[0].request.url: Unknown search parameter \\"colour\\"',
    );
    type Inner = Bundle & { link?: { relation: string }[] };
    const ok = (await (await batch("Observation?subject=pt-moderate-ileal-tpmt-im&_count=2")).json()) as {
      entry: { resource: Inner }[];
    };
    const [first] = ok.entry;
    assert(first);
    const inner = first.resource;
    expect(inner.entry).toHaveLength(2);
    expect(
      (inner.entry ?? []).map((e) => (e.resource as { subject: { reference: string } }).subject.reference),
    ).toEqual(["Patient/pt-moderate-ileal-tpmt-im", "Patient/pt-moderate-ileal-tpmt-im"]);
    expect((inner.link ?? []).map((l) => l.relation)).toEqual(["self", "next"]);
  });

  it("finds resources by _lastUpdated", async () => {
    const before = new Date().toISOString();
    await fhir.update({
      resourceType: "Patient",
      id: "pt-lastupdated",
      body: { resourceType: "Patient", id: "pt-lastupdated", gender: "female" },
    });
    expect(ids(await search("Patient", { _lastUpdated: `ge${before}` }))).toEqual(["pt-lastupdated"]);
  });

  it("runs a transaction with urn:uuid references", async () => {
    const res = (await fhir.transaction({
      body: {
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          {
            fullUrl: "urn:uuid:7c1f4c0e-0000-4000-8000-000000000001",
            resource: { resourceType: "Patient", gender: "male" },
            request: { method: "POST", url: "Patient" },
          },
          {
            resource: {
              resourceType: "Observation",
              status: "final",
              code: { text: "note" },
              subject: { reference: "urn:uuid:7c1f4c0e-0000-4000-8000-000000000001" },
            },
            request: { method: "POST", url: "Observation" },
          },
        ],
      },
    })) as unknown as Bundle;
    const location = res.entry?.[0]?.response?.location;
    assert(location);
    const patientRef = location.replace(/\/_history.*/, "");
    expect(ids(await search("Observation", { subject: patientRef }))).toHaveLength(1);
  });

  it("rolls back the whole transaction when one entry fails", async () => {
    const err = await httpError(
      fhir.transaction({
        body: {
          resourceType: "Bundle",
          type: "transaction",
          entry: [
            {
              resource: { resourceType: "Patient", id: "pt-tx-atomic", gender: "male" },
              request: { method: "PUT", url: "Patient/pt-tx-atomic" },
            },
            {
              resource: { resourceType: "Patient", id: "pt-tx-atomic-2", gender: "male" },
              request: { method: "PUT", url: "Patient/pt-tx-atomic-2" },
            },
            {
              resource: { resourceType: "Patient", id: "pt-pregnant", gender: "male" },
              request: { method: "PUT", url: "Patient/pt-pregnant", ifMatch: 'W/"not-the-version"' },
            },
          ],
        },
      }),
    );
    expect(err.status).toBeGreaterThanOrEqual(400);
    expect(err.data.resourceType).toBe("OperationOutcome");
    expect((await httpError(fhir.read({ resourceType: "Patient", id: "pt-tx-atomic" }))).status).toBe(404);
  });

  it("creates once when the same conditional create is sent twice", async () => {
    const body = { resourceType: "Patient", identifier: [{ system: "urn:test", value: "cond-1" }] };
    const options = { headers: { "If-None-Exist": "identifier=urn:test|cond-1" } };
    const a = (await fhir.create({ resourceType: "Patient", body, options })) as fhir4.Patient;
    const b = (await fhir.create({ resourceType: "Patient", body, options })) as fhir4.Patient;
    expect(b.id).toBe(a.id);
    expect(ids(await search("Patient", { identifier: "urn:test|cond-1" }))).toEqual([a.id]);
  });

  it("answers bad input with an OperationOutcome naming the problem", async () => {
    const invalid = await httpError(
      fhir.create({ resourceType: "Patient", body: { resourceType: "Patient", birthDate: "15/01/2026" } }),
    );
    expect(invalid.status).toBe(400);
    expect(invalid.data.issue[0]?.details?.text).toContain("birthDate");
    const unknownParam = await httpError(
      fhir.search({ resourceType: "Observation", searchParams: { colour: "blue" } }),
    );
    expect(unknownParam).toMatchObject({ status: 400, data: { resourceType: "OperationOutcome" } });
    expect(unknownParam.data.issue[0]?.details?.text).toContain("colour");
    const missing = await httpError(fhir.read({ resourceType: "Patient", id: "does-not-exist" }));
    expect(missing).toMatchObject({ status: 404, data: { resourceType: "OperationOutcome" } });
    const res = await fetch(`${server.baseUrl}/Patient`, {
      method: "POST",
      headers: { "content-type": "application/fhir+json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as fhir4.Resource).resourceType).toBe("OperationOutcome");
  });

  it("loads a seed bundle idempotently", async () => {
    const count = async () =>
      (await search("Observation", { subject: "Patient/pt-allopurinol", _count: 1000 })).entry!.length;
    const before = await count();
    const bundle = JSON.parse(readFileSync(join(SEED, "pt-allopurinol.json"), "utf8"));
    await fhir.transaction({ body: bundle });
    expect(await count()).toBe(before);
    const patients = await search<fhir4.Patient>("Patient", { _count: 1000 });
    expect(
      patients.entry!.filter((e) => e.resource.id?.startsWith("pt-") && e.resource.identifier?.[0]?.type).length,
    ).toBeGreaterThanOrEqual(24);
  });

  it("runs from the CLI entry until told to stop", async () => {
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    let url = "";
    const running = runFhirCli({ logger: pino({ level: "silent" }), until, onListening: (u) => (url = u) });
    await vi.waitFor(() => expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir\/R4$/));
    expect((await fetch(`${url}/metadata`)).status).toBe(200);
    stop();
    await running;
    await expect(fetch(`${url}/metadata`)).rejects.toThrow();
  });
});
