import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HmsError } from "../../../protocol/errors.js";
import { FhirClient, searchUrl, startFhirServer, type FhirBundle, type FhirServer } from "./index.js";

const SEED = join(import.meta.dirname, "..", "..", "..", "examples", "patients");
const logger = pino({ level: "silent" });
const PATIENT = "pt-moderate-ileal-tpmt-im";

let server: FhirServer;
let fhir: FhirClient;
beforeAll(async () => {
  server = await startFhirServer({ seedDir: SEED, logger });
  fhir = new FhirClient({ baseUrl: server.baseUrl, logger, retries: 1, backoffMs: 5, timeoutMs: 2_000 });
});
afterAll(() => server?.close());

describe("FhirClient batch reads", () => {
  it("answers a read and searches of one batch in order, the same as asking one by one", async () => {
    const subject = `Patient/${PATIENT}`;
    const [patient, conditions, observations] = await fhir.batchGet([
      `Patient/${PATIENT}`,
      searchUrl("Condition", { subject }),
      searchUrl("Observation", { subject, _sort: "-date", _count: 500 }),
    ]);
    expect(patient).toMatchObject({ resourceType: "Patient", id: PATIENT });
    const alone = await fhir.searchAll("Observation", { subject, _sort: "-date", _count: 500 }, 500);
    expect((observations as FhirBundle).entry?.map((e) => e.resource?.id)).toEqual(alone.map((r) => r.id));
    expect(alone.length).toBeGreaterThan(5);
    expect(
      (conditions as FhirBundle).entry?.every(
        (e) => (e.resource as { subject?: { reference?: string } }).subject?.reference === subject,
      ),
    ).toBe(true);
  });

  it("gives a failed entry its own error and still answers the others", async () => {
    const [missing, found] = await fhir.batchGet(["Patient/pt-nobody-here", `Patient/${PATIENT}`]);
    expect(missing).toBeInstanceOf(HmsError);
    expect(missing).toMatchObject({ code: "NOT_FOUND" });
    expect((missing as HmsError).message).toContain("Patient/pt-nobody-here");
    expect(found).toMatchObject({ id: PATIENT });
  });

  it("follows the next pages of a batched search up to the bound", async () => {
    const subject = `Patient/${PATIENT}`;
    const all = await fhir.searchAll("Observation", { subject, _sort: "-date", _count: 500 }, 500);
    const [first] = await fhir.batchGet([searchUrl("Observation", { subject, _sort: "-date", _count: 3 })]);
    expect((first as FhirBundle).entry).toHaveLength(3);
    const seven = await fhir.collect("Observation", first as FhirBundle, 7);
    expect(seven.map((r) => r.id)).toEqual(all.slice(0, 7).map((r) => r.id));
  });

  it("repeats a search parameter given several values", () => {
    expect(
      searchUrl("Observation", { subject: "Patient/a b", date: ["ge2025-01-01", "le2025-12-31"], _count: 5 }),
    ).toBe("Observation?subject=Patient%2Fa+b&date=ge2025-01-01&date=le2025-12-31&_count=5");
  });
});
