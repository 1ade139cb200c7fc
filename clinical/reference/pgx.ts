import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { defaultReferenceDir } from "./loinc.js";

/** Loader for `clinical/reference/data/pharmacogenomics.json` (CPIC thiopurine tables, other markers). */

const PhenotypeRowSchema = z
  .object({
    phenotype: z.string(),
    example_diplotypes: z.array(z.string()).optional(),
    source: z.string(),
    confidence: z.string(),
  })
  .passthrough();

const RecommendationSchema = z.object({
  drug: z.string(),
  tpmt_phenotype: z.string(),
  nudt15_phenotype: z.string(),
  recommendation: z.string(),
  starting_dose_percent_of_normal: z.tuple([z.number(), z.number()]).nullable(),
  cpic_strength: z.string(),
  source: z.string(),
  confidence: z.string(),
});
export type CpicRecommendation = z.infer<typeof RecommendationSchema>;

const MarkerSchema = z
  .object({
    marker: z.string(),
    drugs: z.array(z.string()),
    effect: z.string(),
    evidence: z
      .object({ numbers: z.record(z.string(), z.unknown()), source: z.string(), confidence: z.string() })
      .passthrough(),
    consistency: z.array(z.object({ text: z.string(), source: z.string(), confidence: z.string() })).optional(),
    clinical_use: z.string(),
  })
  .passthrough();
export type PgxMarker = z.infer<typeof MarkerSchema>;

const PgxFileSchema = z.object({
  cpic_thiopurines: z
    .object({
      guideline: z.string(),
      phenotypes: z.object({ TPMT: z.array(PhenotypeRowSchema), NUDT15: z.array(PhenotypeRowSchema) }).passthrough(),
      recommendations: z.array(RecommendationSchema),
    })
    .passthrough(),
  other_markers: z.array(MarkerSchema),
});

export interface PgxReference {
  guideline: string;
  phenotypes: { TPMT: z.infer<typeof PhenotypeRowSchema>[]; NUDT15: z.infer<typeof PhenotypeRowSchema>[] };
  recommendations: readonly CpicRecommendation[];
  markers: readonly PgxMarker[];
  /** The marker whose name starts with `prefix` (e.g. "HLA-DQA1*05", "NOD2"); throws when absent. */
  marker(prefix: string): PgxMarker;
}

const cache = new Map<string, PgxReference>();

/** Loads and checks pharmacogenomics.json; cached per dir. */
export function loadPgx(dir: string = defaultReferenceDir()): PgxReference {
  const hit = cache.get(dir);
  if (hit) return hit;
  const f = PgxFileSchema.parse(JSON.parse(readFileSync(join(dir, "pharmacogenomics.json"), "utf8")));
  const ref: PgxReference = {
    guideline: f.cpic_thiopurines.guideline,
    phenotypes: f.cpic_thiopurines.phenotypes,
    recommendations: f.cpic_thiopurines.recommendations,
    markers: f.other_markers,
    marker(prefix) {
      const m = f.other_markers.find((x) => x.marker.startsWith(prefix));
      if (!m) throw new Error(`pharmacogenomics.json has no marker "${prefix}"`);
      return m;
    },
  };
  cache.set(dir, ref);
  return ref;
}
