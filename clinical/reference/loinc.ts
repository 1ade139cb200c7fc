import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/**
 * Loader for `loinc.json` (clinical/reference/data): LOINC codes, UCUM units, normal ranges, critical
 * values and decision thresholds. Numbers are read at run time, never copied into code.
 */

/**
 * `clinical/reference/data`, the project's own copy of the reference JSON files (first copied from
 * the team's shared reference folder, extended here since). `HMS_REFERENCE_DIR` overrides it.
 */
export function defaultReferenceDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "data");
}

/** Code system for observations that have no confirmed LOINC code (loinc.json `loinc: null`) and for score inputs. */
export const HMS_OBSERVATION_SYSTEM = "https://hms-a2a.dev/fhir/CodeSystem/observation";

const BoundSchema = z.object({
  low: z.number().nullable().optional(),
  high: z.number().nullable().optional(),
  unit: z.string().nullable().optional(),
  source: z.string().optional(),
  confidence: z.string().optional(),
  note: z.string().optional(),
});
export type ReferenceBound = z.infer<typeof BoundSchema>;

/**
 * A normal range for part of the population (sex, age in whole years, pregnancy). A field left
 * out falls back to the entry's `normal_range`; the first matching bound in file order wins, so
 * the file lists the narrowest populations first.
 */
const PopulationBoundSchema = BoundSchema.extend({
  sex: z.enum(["male", "female"]).optional(),
  /** Inclusive, whole years. */
  age_min: z.number().int().min(0).optional(),
  /** Inclusive, whole years. */
  age_max: z.number().int().min(0).optional(),
  /** true: pregnant only; false: not pregnant only; absent: either. */
  pregnant: z.boolean().optional(),
  /** Where the upper limit comes from when it differs from the lower limit's source. */
  high_source: z.string().optional(),
  high_confidence: z.string().optional(),
});
export type PopulationBound = z.infer<typeof PopulationBoundSchema>;

/** Pre-treatment screening tests an entry reports (protocol/clinical/patient.ts ScreeningTest). */
const ScreeningTestKeySchema = z.enum(["igra", "tst", "hbsag", "anti-hbc", "hbv-dna", "hcg"]);

const LoincEntrySchema = z.object({
  key: z.string(),
  loinc: z.string().nullable(),
  display: z.string(),
  ucum: z.string().nullable(),
  normal_range: BoundSchema.optional(),
  critical_low: BoundSchema.optional(),
  critical_high: BoundSchema.optional(),
  decision_thresholds: z.array(BoundSchema).optional(),
  target_trough: z.array(BoundSchema).optional(),
  /** Ranges that differ by sex, age or pregnancy (e.g. haemoglobin); see {@link PopulationBoundSchema}. */
  normal_range_by_population: z.array(PopulationBoundSchema).optional(),
  /** "qualitative": the result is a coded or text value (positive / negative), not a quantity. */
  result_type: z.enum(["quantitative", "qualitative"]).optional(),
  /** The screening test this entry reports, when it is one the rules read. */
  screening: ScreeningTestKeySchema.optional(),
  /** Other LOINC codes read as the same test (e.g. another method of the same analyte). */
  alt_codes: z
    .array(
      z.object({
        code: z.string(),
        display: z.string(),
        ucum: z.string().nullable().optional(),
        source: z.string().optional(),
        confidence: z.string().optional(),
      }),
    )
    .optional(),
});
export type LoincEntry = z.infer<typeof LoincEntrySchema> & { group: "labs" | "vital_signs" };

const LoincFileSchema = z.object({
  loinc_system: z.string(),
  ucum_system: z.string(),
  labs: z.array(LoincEntrySchema),
  vital_signs: z.array(LoincEntrySchema),
  diagnosis_codes: z.array(z.object({ system: z.string(), code: z.string(), display: z.string() })),
});

export interface LoincReference {
  loincSystem: string;
  ucumSystem: string;
  entries: readonly LoincEntry[];
  diagnosisCodes: readonly { system: string; code: string; display: string }[];
  /** The entry for a loinc.json key; throws on an unknown key (a typo should fail loudly). */
  byKey(key: string): LoincEntry;
  /** The entry whose LOINC code or alternative code (or local code = key) matches, if any. */
  byCode(system: string | undefined, code: string): LoincEntry | undefined;
  /** The coding to write for a key: LOINC when loinc.json has a code, else the local system with the key. */
  codingFor(key: string): { system: string; code: string; display: string };
}

const cache = new Map<string, LoincReference>();

/** Loads loinc.json from `dir` (default {@link defaultReferenceDir}); cached per directory. */
export function loadLoinc(dir: string = defaultReferenceDir()): LoincReference {
  const hit = cache.get(dir);
  if (hit) return hit;
  const file = LoincFileSchema.parse(JSON.parse(readFileSync(join(dir, "loinc.json"), "utf8")));
  const entries: LoincEntry[] = [
    ...file.labs.map((e) => ({ ...e, group: "labs" as const })),
    ...file.vital_signs.map((e) => ({ ...e, group: "vital_signs" as const })),
  ];
  const keyMap = new Map(entries.map((e) => [e.key, e]));
  const ref: LoincReference = {
    loincSystem: file.loinc_system,
    ucumSystem: file.ucum_system,
    entries,
    diagnosisCodes: file.diagnosis_codes,
    byKey(key) {
      const e = keyMap.get(key);
      if (!e) throw new Error(`loinc.json has no entry "${key}"`);
      return e;
    },
    byCode(system, code) {
      if (system === HMS_OBSERVATION_SYSTEM) return keyMap.get(code);
      if (system !== undefined && system !== file.loinc_system) return undefined;
      return entries.find((e) => e.loinc === code) ?? entries.find((e) => e.alt_codes?.some((a) => a.code === code));
    },
    codingFor(key) {
      const e = ref.byKey(key);
      return e.loinc
        ? { system: file.loinc_system, code: e.loinc, display: e.display }
        : { system: HMS_OBSERVATION_SYSTEM, code: e.key, display: e.display };
    },
  };
  cache.set(dir, ref);
  return ref;
}

/**
 * Local codes (system {@link HMS_OBSERVATION_SYSTEM}) for observations loinc.json has no code for:
 * score input panels (components coded by scores.json component ids) and genetic markers.
 */
export const HMS_CODES = {
  cdaiInputs: "cdai-inputs",
  hbiInputs: "hbi-inputs",
  /** CDAI component: clinician-recorded standard weight in kg. */
  standardWeight: "standard_weight",
  hlaDqa105: "hla-dqa1-05-carrier",
  nod2: "nod2-variants",
} as const;
