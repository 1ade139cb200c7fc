import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { defaultReferenceDir } from "../../clinical/reference/loinc.js";

/** The parts of shared/reference/drugs.json the EHR agent reads: ids, names, classes, interaction texts. */
const DrugsFileSchema = z.object({
  drugs: z.array(z.object({ id: z.string(), name: z.string(), class: z.string(), aliases: z.array(z.string()).default([]), interactions: z.array(z.object({ text: z.string() })).default([]) })),
});

export interface DrugCatalog {
  byId(id: string): { id: string; name: string; class: string } | undefined;
  /** Finds a drugs.json drug by id, name or alias (case-insensitive). */
  match(codeOrName: string): { id: string; name: string; class: string } | undefined;
  /** True when a drug name appears in any drugs.json interaction text (e.g. "allopurinol"). */
  interacts(name: string): boolean;
}

const cache = new Map<string, DrugCatalog>();

export function loadDrugCatalog(dir: string = defaultReferenceDir()): DrugCatalog {
  const hit = cache.get(dir);
  if (hit) return hit;
  const f = DrugsFileSchema.parse(JSON.parse(readFileSync(join(dir, "drugs.json"), "utf8")));
  const texts = f.drugs.flatMap((d) => d.interactions.map((i) => i.text.toLowerCase()));
  const cat: DrugCatalog = {
    byId: (id) => f.drugs.find((d) => d.id === id),
    match: (s) => {
      const q = s.trim().toLowerCase();
      return f.drugs.find((d) => d.id === q || d.name.toLowerCase() === q || d.aliases.some((a) => a.toLowerCase() === q));
    },
    interacts: (name) => {
      const q = name.trim().toLowerCase();
      return q.length > 2 && texts.some((t) => t.includes(q));
    },
  };
  cache.set(dir, cat);
  return cat;
}
