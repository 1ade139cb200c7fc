import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import type * as fhir4 from "fhir/r4.js";
import { assert, describe, expect, it } from "vitest";
import { loadSafeHarbor } from "../reference/safe-harbor.js";
import {
  dateOffsetFor,
  deidentifyResources,
  FilePseudonymStore,
  MapPseudonymStore,
  pseudonymFor,
  shiftDate,
  zip3,
  AGE_EXTENSION,
  AGE_TOP_CODED_EXTENSION,
} from "./index.js";

const PATIENTS = join(import.meta.dirname, "..", "..", "examples", "patients");
const safeHarbor = loadSafeHarbor();
const asOf = new Date("2026-01-15T12:00:00Z");
type Resource = fhir4.FhirResource;
type Bundle = { entry: { resource: Resource }[] };
const bundles = readdirSync(PATIENTS)
  .filter((f) => f.endsWith(".json"))
  .map((f) => JSON.parse(readFileSync(join(PATIENTS, f), "utf8")) as Bundle);
const resourcesOf = (b: Bundle) => b.entry.map((e) => e.resource);
/** deidentifyResources answers plain FHIR JSON; read it as FHIR resources. */
const asResources = (rs: readonly object[]) => rs as readonly Resource[];
const isPatient = (r: Resource): r is fhir4.Patient => r.resourceType === "Patient";

/** Every identifying string of the synthetic patient (names, MRN, phone, email, street, city, ZIP, dates, serials). */
function identifiersOf(resources: Resource[]): string[] {
  const p = resources.find(isPatient);
  assert(p?.identifier && p.telecom && p.name && p.address);
  const ids: (string | undefined)[] = [
    p.id,
    p.birthDate,
    ...p.identifier.map((i) => i.value),
    ...p.telecom.map((t) => t.value),
  ];
  for (const n of p.name) ids.push(n.family, ...(n.given ?? []));
  for (const a of p.address) ids.push(...(a.line ?? []), a.city, a.postalCode);
  for (const d of resources.filter((r): r is fhir4.Device => r.resourceType === "Device"))
    ids.push(
      d.serialNumber,
      ...(d.udiCarrier ?? []).flatMap((u) => [u.deviceIdentifier, u.carrierHRF]),
      ...(d.deviceName ?? []).map((n) => n.name),
    );
  for (const r of resources) {
    if ("effectiveDateTime" in r) ids.push(r.effectiveDateTime);
    if ("onsetDateTime" in r) ids.push(r.onsetDateTime);
    if ("effectivePeriod" in r) ids.push(r.effectivePeriod?.start);
  }
  return ids.filter((x): x is string => !!x);
}

describe("Safe Harbor de-identification", () => {
  it("covers at least 24 synthetic patients", () => expect(bundles.length).toBeGreaterThanOrEqual(24));

  it("removes every identifier of every synthetic patient while keeping codes and values", () => {
    for (const b of bundles) {
      const input = resourcesOf(b);
      const { resources } = deidentifyResources(input, { pseudonym: "anon-0123456789abcdef", safeHarbor, asOf });
      const text = JSON.stringify(resources);
      for (const id of identifiersOf(input)) expect(text, `${input[0]?.id}: leaked "${id}"`).not.toContain(id);
      const values = (rs: readonly Resource[]) =>
        rs
          .filter((r): r is fhir4.Observation => r.resourceType === "Observation")
          .map((o) => [
            o.code.coding?.[0]?.code,
            o.valueQuantity?.value ?? o.valueCodeableConcept?.text ?? o.valueBoolean ?? o.component?.length,
          ]);
      expect(values(asResources(resources))).toEqual(values(input));
      expect(resources.length).toBe(input.length);
    }
  });

  it("keeps every date interval true by shifting all dates of a patient by one offset", () => {
    const [bundle] = bundles;
    assert(bundle);
    const input = resourcesOf(bundle);
    const { resources, dateOffsetDays } = deidentifyResources(input, { pseudonym: "anon-aaaa", safeHarbor, asOf });
    expect(dateOffsetDays).not.toBe(0);
    const days = (s: string | undefined) => Date.parse(s?.slice(0, 10) ?? "") / 86_400_000;
    const effective = (rs: readonly Resource[]) =>
      rs.flatMap((r) => ("effectiveDateTime" in r && r.effectiveDateTime ? [r.effectiveDateTime] : []));
    const datesIn = effective(input);
    const datesOut = effective(asResources(resources));
    expect(datesOut).toHaveLength(datesIn.length);
    datesIn.forEach((d, i) => expect(days(datesOut[i]) - days(d)).toBe(dateOffsetDays));
  });

  it("redacts identifier shapes in free text and drops relatives", () => {
    const input: Record<string, unknown>[] = [
      { resourceType: "Patient", id: "p1", gender: "female" },
      {
        resourceType: "Observation",
        id: "o1",
        status: "final",
        code: { text: "note" },
        subject: { reference: "Patient/p1" },
        valueString:
          "call 555-201-3344 or mail a.b@example.org, portal https://me.example.org/x from 10.1.2.3, SSN 123-45-6789; dose 2-3 mg/kg",
      },
      { resourceType: "RelatedPerson", id: "r1", patient: { reference: "Patient/p1" }, name: [{ family: "Mother" }] },
    ];
    const { resources, applied } = deidentifyResources(input, { pseudonym: "anon-x", safeHarbor, asOf });
    expect(resources.map((r) => r.resourceType)).toEqual(["Patient", "Observation"]);
    expect(resources[1]?.valueString).toBe(
      "call [redacted] or mail [redacted], portal [redacted] from [redacted], SSN [redacted]; dose 2-3 mg/kg",
    );
    expect(applied).toEqual(expect.arrayContaining(["D", "F", "G", "N", "O"]));
  });

  it("reports a patient over 89 as 90 or older with no birth date", () => {
    const input = resourcesOf(bundles.find((b) => b.entry[0]?.resource.id === "pt-age-over-89")!);
    const p = asResources(deidentifyResources(input, { pseudonym: "anon-old", safeHarbor, asOf }).resources).find(
      isPatient,
    );
    assert(p);
    expect(p.birthDate).toBeUndefined();
    expect(p.extension).toEqual([
      { url: AGE_EXTENSION, valueInteger: 90 },
      { url: AGE_TOP_CODED_EXTENSION, valueBoolean: true },
    ]);
  });

  it("turns a ZIP on the restricted list into 000 and keeps other ZIP3s", () => {
    const input = resourcesOf(bundles.find((b) => b.entry[0]?.resource.id === "pt-restricted-zip")!);
    const p = asResources(deidentifyResources(input, { pseudonym: "anon-zip", safeHarbor, asOf }).resources).find(
      isPatient,
    );
    expect(p?.address?.[0]?.postalCode).toBe("000");
    expect(zip3("62704", safeHarbor)).toBe("627");
    expect(zip3("82301", safeHarbor)).toBe("000");
  });

  it("shifts dates by exactly the offset for any date and offset", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: -180, max: 180 }), (d, off) => {
        const iso = new Date(Date.UTC(1930, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);
        const shifted = shiftDate(`${iso}T09:00:00Z`, off);
        return (Date.parse(shifted) - Date.parse(`${iso}T09:00:00Z`)) / 86_400_000 === off;
      }),
      { numRuns: 200, seed: 42 },
    );
    expect(dateOffsetFor("anon-1")).toBe(dateOffsetFor("anon-1"));
  });

  it("gives a patient the same random pseudonym after a restart", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "pseudo-")), "p.json");
    const first = await pseudonymFor(new FilePseudonymStore(file), "pt-a");
    expect(first).toMatch(/^anon-[0-9a-f]{16}$/);
    expect(await pseudonymFor(new FilePseudonymStore(file), "pt-a")).toBe(first);
    const mem = new MapPseudonymStore();
    const [a, b] = await Promise.all([pseudonymFor(mem, "pt-b"), pseudonymFor(mem, "pt-b")]);
    expect(a).toBe(b);
    expect(a).not.toBe(first);
  });
});
