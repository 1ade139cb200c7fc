import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { defaultReferenceDir } from "./loinc.js";

/** Loader for `clinical/reference/data/safe-harbor.json` (45 CFR 164.514(b)(2)). */
const SafeHarborFileSchema = z.object({
  source: z.string(),
  identifiers: z.array(z.object({ key: z.string(), name: z.string(), detail: z.string().optional() })).length(18),
  restricted_zip3_prefixes: z.object({
    values: z.array(z.string().regex(/^\d{3}$/)),
    replace_with: z.string(),
    source: z.string(),
  }),
  age_rule: z.object({ over: z.number().int(), category: z.string() }),
});

export interface SafeHarborReference {
  source: string;
  identifiers: readonly { key: string; name: string; detail?: string }[];
  restrictedZip3: ReadonlySet<string>;
  /** What a restricted ZIP3 becomes ("000"). */
  zipReplacement: string;
  /** Ages strictly above this are aggregated (89). */
  ageOver: number;
  /** Label of the aggregated category ("90 or older"). */
  ageCategory: string;
}

const cache = new Map<string, SafeHarborReference>();

export function loadSafeHarbor(dir: string = defaultReferenceDir()): SafeHarborReference {
  const hit = cache.get(dir);
  if (hit) return hit;
  const f = SafeHarborFileSchema.parse(JSON.parse(readFileSync(join(dir, "safe-harbor.json"), "utf8")));
  const ref: SafeHarborReference = {
    source: f.source,
    identifiers: f.identifiers,
    restrictedZip3: new Set(f.restricted_zip3_prefixes.values),
    zipReplacement: f.restricted_zip3_prefixes.replace_with,
    ageOver: f.age_rule.over,
    ageCategory: f.age_rule.category,
  };
  cache.set(dir, ref);
  return ref;
}
