import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ScheduleSchema } from "../../protocol/clinical/regimen.js";
import { defaultReferenceDir } from "./loinc.js";
import { drugRef, loadDrugs, type DrugSafety } from "./drugs.js";

const ref = loadDrugs();
const ids = ref.drugs.map((d) => d.id);

/** A source must name where the fact was read: a section number, table, guideline, consensus or label part. */
const NAMES_A_PLACE = /\d|section|guideline|consensus|table|monograph|label|contraindications|limitations/i;

function sources(id: string): string[] {
  const s = ref.safety(id);
  return [
    ...ref.regimens(id).map((r) => r.source),
    ...Object.values(s).flatMap((f) => (f ? [f.source] : [])),
    ...ref.interactionRules(id).map((r) => r.source),
  ];
}

/** The file without the loader, to write broken copies of it. */
function rawFile(): { drugs: Record<string, unknown>[] } {
  return JSON.parse(readFileSync(join(defaultReferenceDir(), "drugs.json"), "utf8"));
}

function loadCopy(edit: (file: { drugs: Record<string, unknown>[] }) => void) {
  const dir = mkdtempSync(join(tmpdir(), "drugs-"));
  const file = rawFile();
  edit(file);
  writeFileSync(join(dir, "drugs.json"), JSON.stringify(file));
  return () => loadDrugs(dir);
}

describe("drugs.json label data", () => {
  it("has the 15 drugs, each with regimens, safety and interaction rules (regimens empty only for mesalamine)", () => {
    expect(ids).toHaveLength(15);
    for (const id of ids) {
      const regs = ref.regimens(id);
      if (id === "mesalamine") {
        expect(regs).toEqual([]);
        expect(ref.byId(id).regimens_note?.text).toMatch(/not|against/i);
      } else {
        expect(regs.length, id).toBeGreaterThan(0);
      }
      const s = ref.safety(id);
      for (const field of [
        "latent_tb",
        "hepatitis_b",
        "serious_infection",
        "pregnancy",
        "lactation",
        "live_vaccines",
        "hypersensitivity",
      ] as const) {
        expect(s[field], `${id}.${field}`).toBeDefined();
      }
      expect(ref.interactionRules(id).length, id).toBeGreaterThan(0);
    }
  });

  it("names a section or guideline in every source and gives every fact a confidence", () => {
    for (const id of ids) {
      for (const src of sources(id)) expect(src, id).toMatch(NAMES_A_PLACE);
      const facts = [
        ...ref.regimens(id),
        ...Object.values(ref.safety(id)).filter((f) => f !== undefined),
        ...ref.interactionRules(id),
      ];
      for (const f of facts) expect(["verified", "verified-secondary", "unverified"]).toContain(f.confidence);
    }
  });

  it("gives every regimen a frequency the shared Schedule schema accepts, unique ids, and `next` within the drug", () => {
    for (const id of ids) {
      const regs = ref.regimens(id);
      const regIds = new Set(regs.map((r) => r.id));
      expect(regIds.size, id).toBe(regs.length);
      for (const r of regs) {
        expect(ScheduleSchema.safeParse(r.frequency).success, `${id}.${r.id}`).toBe(true);
        if (r.next !== undefined) {
          expect(regIds.has(r.next), `${id}.${r.id}.next`).toBe(true);
          expect(r.next).not.toBe(r.id);
        }
        if (r.dose_range) {
          expect(r.dose_range[0]).toBeLessThanOrEqual(r.dose_range[1]);
          expect(r.dose).toBeGreaterThanOrEqual(r.dose_range[0]);
          expect(r.dose).toBeLessThanOrEqual(r.dose_range[1]);
        }
      }
    }
  });

  it("never chains `next` into a loop", () => {
    for (const id of ids) {
      for (const start of ref.regimens(id)) {
        const seen = new Set<string>();
        let cur: string | undefined = start.id;
        while (cur !== undefined) {
          expect(seen.has(cur), `${id}: loop at ${cur}`).toBe(false);
          seen.add(cur);
          cur = ref.regimen(id, cur)?.next;
        }
      }
    }
  });

  it("doses methotrexate once weekly in every regimen (daily methotrexate is the known fatal error)", () => {
    const regs = ref.regimens("methotrexate");
    expect(regs.length).toBeGreaterThan(0);
    for (const r of regs) expect(r.frequency).toEqual({ kind: "every", weeks: 1 });
  });

  it("has an infliximab 10 mg/kg step that applies only after loss of response, reached from maintenance", () => {
    const esc = ref.regimen("infliximab", "escalation-10mgkg-q8w");
    expect(esc).toMatchObject({ phase: "escalation", dose: 10, unit: "mg/kg", applies_when: "loss-of-response" });
    expect(esc?.frequency).toEqual({ kind: "every", weeks: 8 });
    expect(ref.regimen("infliximab", "maintenance")).toMatchObject({ dose: 5, start_week: 14, next: esc?.id });
  });

  it("covers every body weight with the ustekinumab IV induction tiers (260 / 390 / 520 mg)", () => {
    const tiers = ref.regimen("ustekinumab", "induction")?.weight_tiers ?? [];
    expect(tiers.map((t) => t.dose)).toEqual([260, 390, 520]);
    expect(tiers.at(0)?.min_kg_exclusive).toBeUndefined();
    expect(tiers.at(-1)?.max_kg).toBeUndefined();
    tiers.slice(1).forEach((t, i) => expect(t.min_kg_exclusive).toBe(tiers[i]?.max_kg));
    const tierFor = (kg: number) =>
      tiers.filter((t) => (t.min_kg_exclusive ?? -Infinity) < kg && kg <= (t.max_kg ?? Infinity));
    for (const kg of [40, 55, 55.1, 85, 85.1, 150]) expect(tierFor(kg), `${kg} kg`).toHaveLength(1);
    expect(tierFor(55)).toMatchObject([{ dose: 260 }]);
    expect(tierFor(85.1)).toMatchObject([{ dose: 520 }]);
  });

  it("limits the upadacitinib 45 mg induction to 12 weeks, and its 30 mg maintenance to inadequate response", () => {
    expect(ref.regimen("upadacitinib", "induction")).toMatchObject({
      dose: 45,
      max_weeks: 12,
      frequency: { kind: "daily" },
    });
    expect(ref.regimen("upadacitinib", "maintenance-30mg")?.applies_when).toBe("inadequate-response");
  });

  it("limits budesonide to ileal / right-colon disease and prednisone to 40-60 mg/day with a taper", () => {
    expect(ref.safety("budesonide").disease_location?.montreal_allowed).toEqual(["L1", "L3"]);
    expect(ref.regimen("budesonide", "induction")?.max_weeks).toBe(8);
    expect(ref.regimen("prednisone", "induction")?.dose_range).toEqual([40, 60]);
    expect(ref.regimen("prednisone", "taper")?.taper).toBeDefined();
  });

  it("carries the class facts the rules read", () => {
    const s = (id: string): DrugSafety => ref.safety(id);
    for (const id of [
      "infliximab",
      "adalimumab",
      "ustekinumab",
      "risankizumab",
      "guselkumab",
      "mirikizumab",
      "upadacitinib",
    ])
      expect(s(id).latent_tb.action, id).toBe("treat-first");
    expect(s("methotrexate").pregnancy.action).toBe("contraindicated");
    expect(s("upadacitinib").pregnancy.action).toBe("contraindicated");
    expect(s("upadacitinib").age?.caution_from_age).toBe(65);
    expect(s("azathioprine").hypersensitivity).toMatchObject({ cross_reactive: ["mercaptopurine"] });
    expect(s("mercaptopurine").hypersensitivity).toMatchObject({ cross_reactive: ["azathioprine"] });
    expect(s("azathioprine").hypersensitivity.reactions).toContain("pancreatitis");
    expect(s("infliximab").hypersensitivity.cross_reactive).toEqual([]);
    for (const id of ids) for (const other of s(id).hypersensitivity.cross_reactive) expect(ids).toContain(other);
  });

  it("matches interaction partners on lower-case names: febuxostat, allopurinol, trimethoprim, strong CYP3A4 inhibitors", () => {
    const rule = (id: string, name: string) => ref.interactionRules(id).find((r) => r.with.includes(name));
    for (const id of ["azathioprine", "mercaptopurine"]) {
      expect(rule(id, "febuxostat")?.action).toBe("contraindicated");
      expect(rule(id, "allopurinol")).toMatchObject({ action: "reduce-dose", dose_fraction: [0.25, 0.33] });
      expect(rule(id, "trimethoprim")?.action).toBe("monitor");
    }
    expect(rule("methotrexate", "co-trimoxazole")?.action).toBe("avoid");
    const keto = rule("upadacitinib", "ketoconazole");
    expect(keto?.action).toBe("reduce-dose");
    for (const [regimenId, dose] of Object.entries(keto?.regimen_doses ?? {})) {
      const r = ref.regimen("upadacitinib", regimenId);
      expect(r, regimenId).toBeDefined();
      expect(dose).toBeLessThanOrEqual(r!.dose);
    }
    expect(rule("upadacitinib", "azathioprine")?.action).toBe("avoid");
    for (const id of ids)
      for (const r of ref.interactionRules(id)) for (const w of r.with) expect(w).toBe(w.toLowerCase());
  });
});

describe("drugs.ts accessors", () => {
  it("cites the exact entry with drugRef", () => {
    const regs = ref.regimens("infliximab");
    regs.forEach((r, i) => expect(r.ref).toBe(drugRef("infliximab", `regimens[${i}]`)));
    expect(ref.regimen("infliximab", "escalation-10mgkg-q8w")?.ref).toBe("drugs.json#infliximab.regimens[2]");
    expect(ref.safety("upadacitinib").age?.ref).toBe("drugs.json#upadacitinib.safety.age");
    expect(ref.safety("infliximab").age).toBeUndefined();
    ref
      .interactionRules("azathioprine")
      .forEach((r, i) => expect(r.ref).toBe(drugRef("azathioprine", `interaction_rules[${i}]`)));
  });

  it("answers undefined for an unknown regimen id and throws for an unknown drug", () => {
    expect(ref.regimen("infliximab", "unobtainium")).toBeUndefined();
    expect(() => ref.regimens("unobtainium")).toThrow(/no drug/);
    expect(() => ref.safety("unobtainium")).toThrow(/no drug/);
    expect(() => ref.interactionRules("unobtainium")).toThrow(/no drug/);
    expect(ref.byId("infliximab").induction).toBeDefined();
    expect(ref.findEntry("methotrexate", "contraindications", /pregnan/i)).toBeGreaterThanOrEqual(0);
  });

  it("rejects a file whose `next` points outside the drug, a daily-weekly mix-up in the schema, or missing safety", () => {
    expect(
      loadCopy((f) => {
        const [, reg] = f.drugs.find((d) => d.id === "infliximab")!.regimens as { next?: string }[];
        if (!reg) throw new Error("infliximab has a second regimen");
        reg.next = "escalation-20mgkg";
      }),
    ).toThrow(/next/);
    expect(
      loadCopy((f) => {
        const [reg] = f.drugs.find((d) => d.id === "methotrexate")!.regimens as { frequency: unknown }[];
        if (!reg) throw new Error("methotrexate has a regimen");
        reg.frequency = { kind: "every", weeks: 0 };
      }),
    ).toThrow();
    expect(
      loadCopy((f) => {
        delete f.drugs.find((d) => d.id === "guselkumab")!.safety;
      }),
    ).toThrow();
    expect(
      loadCopy((f) => {
        f.drugs.find((d) => d.id === "vedolizumab")!.regimens = [];
      }),
    ).toThrow(/regimens_note/);
  });
});
