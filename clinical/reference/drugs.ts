import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { defaultReferenceDir } from "./loinc.js";

/**
 * Loader for `clinical/reference/data/drugs.json`. Entries are kept as the file has them (with their
 * source and confidence); rules and the optimizer point back to them with `drugRef(...)`.
 */

const SourcedSchema = z
  .object({ text: z.string(), source: z.string(), confidence: z.string(), severity: z.string().optional() })
  .passthrough();
export type SourcedText = z.infer<typeof SourcedSchema>;

const DoseSchema = z
  .object({
    dose: z.number().optional(),
    dose_range: z.array(z.number()).optional(),
    dose_options: z.array(z.number()).optional(),
    unit: z.string().optional(),
    route: z.string().optional(),
    interval_weeks: z.number().optional(),
    max_duration_weeks: z.number().optional(),
    taper: z.string().optional(),
    source: z.string().optional(),
    confidence: z.string().optional(),
  })
  .passthrough();

const DrugSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    aliases: z.array(z.string()).default([]),
    class: z.string(),
    route: z.array(z.string()),
    weight_based: z.boolean(),
    induction: z.unknown().optional(),
    maintenance: z.unknown().optional(),
    dose_escalation: DoseSchema.extend({
      text: z.string(),
      max_dose: z.number().optional(),
      max_unit: z.string().optional(),
    }).optional(),
    taper: SourcedSchema.optional(),
    max_daily_dose: z
      .object({ induction_mg: z.number(), maintenance_mg: z.number(), source: z.string(), confidence: z.string() })
      .optional(),
    contraindications: z.array(SourcedSchema),
    interactions: z.array(SourcedSchema),
    monitoring: z.array(SourcedSchema),
    guideline_positioning: z.array(SourcedSchema).default([]),
  })
  .passthrough();
export type DrugEntry = z.infer<typeof DrugSchema>;

const DrugsFileSchema = z.object({ drugs: z.array(DrugSchema) });

export interface DrugsReference {
  drugs: readonly DrugEntry[];
  /** The entry for an id; throws on an unknown id (a typo should fail loudly). */
  byId(id: string): DrugEntry;
  has(id: string): boolean;
  /** Index of the first `field` entry whose text matches `re`, or -1. */
  findEntry(
    id: string,
    field: "contraindications" | "interactions" | "monitoring" | "guideline_positioning",
    re: RegExp,
  ): number;
}

/** `drugs.json#<id>.<path>`: how findings and model numbers cite an entry. */
export function drugRef(id: string, path: string): string {
  return `drugs.json#${id}.${path}`;
}

const cache = new Map<string, DrugsReference>();

/** Loads and checks drugs.json from `dir` (default `clinical/reference/data`); cached per dir. */
export function loadDrugs(dir: string = defaultReferenceDir()): DrugsReference {
  const hit = cache.get(dir);
  if (hit) return hit;
  const file = DrugsFileSchema.parse(JSON.parse(readFileSync(join(dir, "drugs.json"), "utf8")));
  const byId = new Map(file.drugs.map((d) => [d.id, d]));
  const ref: DrugsReference = {
    drugs: file.drugs,
    byId(id) {
      const d = byId.get(id);
      if (!d) throw new Error(`drugs.json has no drug "${id}"`);
      return d;
    },
    has: (id) => byId.has(id),
    findEntry(id, field, re) {
      const list = (byId.get(id)?.[field] ?? []) as SourcedText[];
      return list.findIndex((e) => re.test(e.text));
    },
  };
  cache.set(dir, ref);
  return ref;
}
