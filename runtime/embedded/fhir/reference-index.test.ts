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
  for (const byId of internals.resources.values()) for (const r of byId.values()) await plain.repo.updateResource(r as never);
});

const ids = (b: { entry?: { resource?: { id?: string } }[]; total?: number }) => ({ ids: (b.entry ?? []).map((e) => e.resource?.id), total: b.total });

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
    for (const id of patients) for (const q of queries(id)) {
      const [path, search] = q.split("?");
      const ours = await engine.handle("GET", path, `?${search}`, undefined, {});
      const [, theirs] = await plain.router.handleRequest({ method: "GET", url: q, pathname: "", params: {}, query: {}, body: undefined, headers: {} } as never, plain.repo);
      expect(ours.status, q).toBe(200);
      expect(ids(ours.body as never), q).toEqual(ids(theirs as never));
    }
  });

  it("sorts by the current version of a resource after it changes (sort keys are per version)", async () => {
    const q = "Observation?subject=Patient/pt-hepatitis-b&_sort=-date&_count=1000";
    const [path, search] = q.split("?");
    const before = ids((await engine.handle("GET", path, `?${search}`, undefined, {})).body as never).ids;
    expect(before.length).toBeGreaterThan(2);
    // Move the oldest observation to the future: it must now come first, in both engines.
    const oldest = (await engine.handle("GET", `Observation/${before.at(-1)}`, "", undefined, {})).body as unknown as Record<string, unknown>;
    const moved = { ...oldest, effectiveDateTime: "2099-01-01T00:00:00Z", effectivePeriod: undefined };
    expect((await engine.handle("PUT", `Observation/${oldest.id}`, "", moved, {})).status).toBe(200);
    await plain.repo.updateResource(moved as never);
    const ours = ids((await engine.handle("GET", path, `?${search}`, undefined, {})).body as never).ids;
    const [, theirs] = await plain.router.handleRequest({ method: "GET", url: q, pathname: "", params: {}, query: {}, body: undefined, headers: {} } as never, plain.repo);
    expect(ours[0]).toBe(oldest.id);
    expect(ours).toEqual(ids(theirs as never).ids);
  });
});
