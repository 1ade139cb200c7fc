import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildBundle, DEFAULT_SEED, mulberry32, SPECS } from "../../scripts/gen-patients.js";

const DIR = import.meta.dirname;
const files = readdirSync(DIR)
  .filter((f) => f.startsWith("pt-") && f.endsWith(".json"))
  .sort();

/** The parts of a MedicationStatement the dosage test reads. */
interface Statement {
  resourceType: string;
  id: string;
  status?: string;
  dosage?: {
    doseAndRate?: { doseQuantity?: { value?: number } }[];
    route?: { coding?: { code?: string }[] };
    timing?: { repeat?: { periodUnit?: string } };
  }[];
}

/** The parts of a bundle entry the identifier test reads (the Patient's fields are on the first entry). */
interface Entry {
  request?: unknown;
  resource: {
    resourceType: string;
    id: string;
    name?: { family?: string }[];
    birthDate?: string;
    identifier?: { value?: string }[];
    address?: { postalCode?: string }[];
    telecom?: { system: string }[];
  };
}

describe("synthetic patients", () => {
  it("has at least 24 bundles, one per spec, each listed in the README", () => {
    expect(files.length).toBeGreaterThanOrEqual(24);
    expect(files).toEqual(SPECS.map((s) => `${s.id}.json`).sort());
    const readme = readFileSync(join(DIR, "README.md"), "utf8");
    for (const s of SPECS) expect(readme).toContain(`\`${s.id}\``);
  });

  it("is exactly what the seeded generator writes", () => {
    const rand = mulberry32(DEFAULT_SEED);
    for (const spec of SPECS) {
      const expected = `${JSON.stringify(buildBundle(spec, rand), null, 1)}\n`;
      expect(readFileSync(join(DIR, `${spec.id}.json`), "utf8"), spec.id).toBe(expected);
    }
  });

  it("writes a dose, route and timing for every drug a patient takes now", () => {
    for (const f of files) {
      const b = JSON.parse(readFileSync(join(DIR, f), "utf8")) as { entry: { resource: Statement }[] };
      for (const { resource: r } of b.entry)
        if (r.resourceType === "MedicationStatement" && r.status === "active") {
          const d = r.dosage?.[0];
          expect(d?.doseAndRate?.[0]?.doseQuantity?.value, r.id).toBeGreaterThan(0);
          expect(d?.route?.coding?.[0]?.code, r.id).toBeTruthy();
          expect(d?.timing?.repeat?.periodUnit, r.id).toMatch(/^(d|wk)$/);
        }
    }
  });

  it("gives every patient the identifiers de-identification must remove, with PUTs on stable ids", () => {
    for (const f of files) {
      const b = JSON.parse(readFileSync(join(DIR, f), "utf8")) as { entry: Entry[] };
      expect(b).toMatchObject({ resourceType: "Bundle", type: "transaction" });
      const p = b.entry[0]?.resource;
      expect(p).toMatchObject({ resourceType: "Patient", id: f.replace(".json", "") });
      expect(
        p?.name?.[0]?.family && p.birthDate && p.identifier?.[0]?.value && p.address?.[0]?.postalCode,
      ).toBeTruthy();
      expect(p?.telecom?.map((t) => t.system).sort()).toEqual(["email", "phone"]);
      for (const e of b.entry)
        expect(e.request).toEqual({ method: "PUT", url: `${e.resource.resourceType}/${e.resource.id}` });
    }
  });
});
