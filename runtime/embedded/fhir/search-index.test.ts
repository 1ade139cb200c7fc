import "./websocket-stub.js";
import { FhirRouter, MemoryRepository } from "@medplum/fhir-router";
import pino from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../cli/config.js";
import { FhirEngine } from "./engine.js";
import { seedFromDir } from "./seed.js";

/** The same searches against Medplum's unmodified repository: the narrowed engine must agree. */
let engine: FhirEngine;
let plain: { router: FhirRouter; repo: MemoryRepository };

beforeAll(async () => {
  engine = new FhirEngine();
  await seedFromDir(engine, `${REPO_ROOT}/examples/patients`, pino({ level: "silent" }));
  plain = { router: new FhirRouter(), repo: new MemoryRepository() };
  // Copy the seeded store resource by resource, in store order.
  const internals = engine.repo as unknown as { resources: Map<string, Map<string, { resourceType: string }>> };
  for (const byId of internals.resources.values())
    for (const r of byId.values()) await plain.repo.updateResource(r as never);
});

const ids = (b: { entry?: { resource?: { id?: string } }[]; total?: number }) => ({
  ids: (b.entry ?? []).map((e) => e.resource?.id),
  total: b.total,
});

/** Each query answers the same (ids, order, total) from the engine and from Medplum's full scan. */
async function same(queries: string[]): Promise<void> {
  for (const q of queries) {
    const [path = "", search = ""] = q.split("?");
    const ours = await engine.handle("GET", path, `?${search}`, undefined, {});
    const [, theirs] = await plain.router.handleRequest(
      { method: "GET", url: q, pathname: "", params: {}, query: {}, body: undefined, headers: {} } as never,
      plain.repo,
    );
    expect(ours.status, q).toBe(200);
    expect(ids(ours.body as never), q).toEqual(ids(theirs as never));
  }
}

describe("embedded FHIR searches by patient", () => {
  const patients = ["pt-hepatitis-b", "pt-age-over-89", "pt-allopurinol", "no-such-patient"];
  const queries = (id: string) => [
    `Observation?subject=Patient/${id}&_sort=-date&_count=1000`,
    `Observation?subject=Patient/${id}&_sort=date&_count=5&_offset=2`,
    `Observation?patient=Patient/${id}&_count=1000`,
    `Observation?subject=Patient/${id}&code=http://loinc.org|1988-5&_sort=-date&_count=3`,
    `Condition?subject=Patient/${id}&_count=1000`,
    `MedicationStatement?subject=Patient/${id}&_count=1000`,
    `AllergyIntolerance?patient=Patient/${id}&_count=1000`,
    `Device?patient=Patient/${id}&_count=1000`,
  ];
  it("return the same resources, order and totals as Medplum's full scan", async () => {
    await same(patients.flatMap(queries));
  });

  it("sorts by the current version of a resource after it changes (sort keys are per version)", async () => {
    const q = "Observation?subject=Patient/pt-hepatitis-b&_sort=-date&_count=1000";
    const [path = "", search = ""] = q.split("?");
    const before = ids((await engine.handle("GET", path, `?${search}`, undefined, {})).body as never).ids;
    expect(before.length).toBeGreaterThan(2);
    // Move the oldest observation to the future: it must now come first, in both engines.
    const oldest = (await engine.handle("GET", `Observation/${before.at(-1)}`, "", undefined, {}))
      .body as unknown as Record<string, unknown> & { id: string };
    const moved = { ...oldest, effectiveDateTime: "2099-01-01T00:00:00Z", effectivePeriod: undefined };
    expect((await engine.handle("PUT", `Observation/${oldest.id}`, "", moved, {})).status).toBe(200);
    await plain.repo.updateResource(moved as never);
    const ours = ids((await engine.handle("GET", path, `?${search}`, undefined, {})).body as never).ids;
    const [, theirs] = await plain.router.handleRequest(
      { method: "GET", url: q, pathname: "", params: {}, query: {}, body: undefined, headers: {} } as never,
      plain.repo,
    );
    expect(ours[0]).toBe(oldest.id);
    expect(ours).toEqual(ids(theirs as never).ids);
  });

  // Token searches with a system are narrowed too (case-insensitively, as Medplum matches tokens).
  const tokenQueries = [
    "Patient?identifier=https://hms-a2a.dev/fhir/sid/mrn|MRN2082153",
    "Patient?identifier=HTTPS://HMS-A2A.DEV/fhir/sid/mrn|mrn2082153",
    "Patient?identifier=https://hms-a2a.dev/fhir/sid/mrn|no-such-mrn",
    "Patient?identifier=MRN2082153",
    "Observation?code=http://loinc.org|1988-5&_count=1000",
    "Observation?code=HTTP://LOINC.ORG|1988-5&_count=1000",
    "Observation?code=1988-5&_count=1000",
    "Observation?code=http://loinc.org|1988-5&subject=Patient/pt-hepatitis-b&_count=1000",
    "Observation?subject=patient/PT-HEPATITIS-B&_count=1000",
    "Observation?identifier=urn:test:index|obs-1",
  ];

  it("narrow token searches with a system, ignoring case, with the same results as the full scan", async () => {
    await same(tokenQueries);
    const mrn = await engine.handle(
      "GET",
      "Patient",
      "?identifier=HTTPS://HMS-A2A.DEV/fhir/sid/mrn|mrn2082153",
      undefined,
      {},
    );
    expect(ids(mrn.body as never).ids).toEqual(["pt-hepatitis-b"]);
  });

  it("keep the index in step with creates, updates, deletes and a rolled-back transaction", async () => {
    const obs = (id: string, value: string, code = "1988-5") => ({
      resourceType: "Observation",
      id,
      status: "final",
      identifier: [{ system: "urn:test:index", value }],
      code: { coding: [{ system: "http://loinc.org", code }] },
      subject: { reference: "Patient/pt-hepatitis-b" },
      effectiveDateTime: "2025-06-01T00:00:00Z",
    });
    const write = async (r: ReturnType<typeof obs>) => {
      expect((await engine.handle("PUT", `Observation/${r.id}`, "", r, {})).status).toBeLessThan(300);
      await plain.repo.updateResource(r as never);
    };
    await write(obs("idx-1", "obs-1"));
    await write(obs("idx-2", "obs-2"));
    await same(tokenQueries);
    // An update that changes the identifier and the code: old strings must no longer find it.
    await write(obs("idx-1", "obs-1b", "718-7"));
    await same([
      ...tokenQueries,
      "Observation?identifier=urn:test:index|obs-1b",
      "Observation?code=http://loinc.org|718-7&_count=1000",
    ]);
    expect(
      ids((await engine.handle("GET", "Observation", "?identifier=urn:test:index|obs-1", undefined, {})).body as never)
        .ids,
    ).toEqual([]);
    // A delete.
    expect((await engine.handle("DELETE", "Observation/idx-2", "", undefined, {})).status).toBeLessThan(300);
    await plain.repo.deleteResource("Observation", "idx-2");
    await same([...tokenQueries, "Observation?identifier=urn:test:index|obs-2"]);
    // A transaction whose second entry fails is rolled back as a whole: nothing of it is found.
    const tx = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { resource: obs("ignored", "obs-tx"), request: { method: "POST", url: "Observation" } },
        {
          resource: { resourceType: "Observation", status: "not-a-status" },
          request: { method: "POST", url: "Observation" },
        },
      ],
    };
    expect((await engine.handle("POST", "", "", tx, {})).status).toBeGreaterThanOrEqual(400);
    expect(
      ids((await engine.handle("GET", "Observation", "?identifier=urn:test:index|obs-tx", undefined, {})).body as never)
        .ids,
    ).toEqual([]);
    await same([...tokenQueries, "Observation?identifier=urn:test:index|obs-1b"]);
    // ...and the index still follows writes after the rollback.
    await write(obs("idx-3", "obs-3"));
    expect(
      ids((await engine.handle("GET", "Observation", "?identifier=urn:test:index|obs-3", undefined, {})).body as never)
        .ids,
    ).toEqual(["idx-3"]);
  });
});
