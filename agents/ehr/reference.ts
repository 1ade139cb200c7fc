import { defaultReferenceDir, loadDrugs } from "../../clinical/index.js";

/** What the EHR agent needs of drugs.json: matching medication codes/names, classes, interactions. */
export interface DrugCatalog {
  /** Finds a drugs.json drug by id, name or alias (case-insensitive). */
  match(codeOrName: string): { id: string; name: string; class: string } | undefined;
  /** True when a drug name appears in any drugs.json interaction text or interaction rule (e.g. "allopurinol", "febuxostat"). */
  interacts(name: string): boolean;
}

const cache = new Map<string, DrugCatalog>();

/** A view over the one drugs.json loader (clinical/reference/drugs.ts). */
export function loadDrugCatalog(dir: string = defaultReferenceDir()): DrugCatalog {
  const hit = cache.get(dir);
  if (hit) return hit;
  const drugs = loadDrugs(dir).drugs;
  // Free-text interactions and the names in the structured interaction rules (`interaction_rules[].with`).
  const texts = drugs.flatMap((d) => [
    ...d.interactions.map((i) => i.text.toLowerCase()),
    ...d.interaction_rules.flatMap((r) => r.with.map((w) => w.toLowerCase())),
  ]);
  const cat: DrugCatalog = {
    match: (s) => {
      const q = s.trim().toLowerCase();
      return drugs.find(
        (d) => d.id === q || d.name.toLowerCase() === q || d.aliases.some((a) => a.toLowerCase() === q),
      );
    },
    interacts: (name) => {
      const q = name.trim().toLowerCase();
      return q.length > 2 && texts.some((t) => t.includes(q));
    },
  };
  cache.set(dir, cat);
  return cat;
}
