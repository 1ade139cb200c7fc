import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { HmsError, invalidInput } from "../../protocol/errors.js";
import { defaultReferenceDir } from "../../clinical/reference/loinc.js";

/**
 * Loads the observation entries of loinc.json (labs and vital signs) and interprets a value against
 * their normal and critical limits. A small loader of our own until clinical/reference/loinc.ts
 * lands; it reads only the fields the device agent needs.
 */

const LimitSchema = z.object({ low: z.number().nullable(), high: z.number().nullable(), unit: z.string(), source: z.string() }).passthrough();

const EntrySchema = z.object({
  key: z.string(),
  loinc: z.string().nullable(),
  display: z.string(),
  ucum: z.string().nullable(),
  normal_range: LimitSchema.optional(),
  critical_low: LimitSchema.optional(),
  critical_high: LimitSchema.optional(),
}).passthrough();

const LoincFileSchema = z.object({
  loinc_system: z.string(),
  ucum_system: z.string(),
  labs: z.array(EntrySchema),
  vital_signs: z.array(EntrySchema),
}).passthrough();

export type LoincEntry = z.infer<typeof EntrySchema> & { group: "lab" | "vital" };

export interface LoincTable {
  loincSystem: string;
  ucumSystem: string;
  entries: readonly LoincEntry[];
  byKey(key: string): LoincEntry | undefined;
  byLoinc(code: string): LoincEntry | undefined;
}

/** Interpretation in the words of PatientSummary's InterpretationSchema. */
export type RangeInterpretation = "low" | "normal" | "high" | "critical-low" | "critical-high" | "unknown";

/** HL7 v3 ObservationInterpretation codes (terminology.hl7.org CodeSystem v3-ObservationInterpretation). */
export const INTERPRETATION_CODES: Record<Exclude<RangeInterpretation, "unknown">, { code: string; display: string }> = {
  "low": { code: "L", display: "Low" },
  "normal": { code: "N", display: "Normal" },
  "high": { code: "H", display: "High" },
  "critical-low": { code: "LL", display: "Critical low" },
  "critical-high": { code: "HH", display: "Critical high" },
};

export const V3_INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

export { defaultReferenceDir };

/** Builds a table from the parsed contents of loinc.json (exposed for tests with hand-made data). */
export function loincTableFrom(json: unknown): LoincTable {
  const parsed = LoincFileSchema.safeParse(json);
  if (!parsed.success) throw invalidInput(parsed.error, "loinc.json");
  const entries: LoincEntry[] = [
    ...parsed.data.labs.map((e) => ({ ...e, group: "lab" as const })),
    ...parsed.data.vital_signs.map((e) => ({ ...e, group: "vital" as const })),
  ];
  const keys = new Map(entries.map((e) => [e.key, e]));
  const codes = new Map<string, LoincEntry>();
  for (const e of entries) if (e.loinc && !codes.has(e.loinc)) codes.set(e.loinc, e);
  return {
    loincSystem: parsed.data.loinc_system,
    ucumSystem: parsed.data.ucum_system,
    entries,
    byKey: (key) => keys.get(key),
    byLoinc: (code) => codes.get(code),
  };
}

/**
 * Reads `<referenceDir>/loinc.json`.
 * @param referenceDir - defaults to `<repo>/../shared/reference` (the caller passes HMS_REFERENCE_DIR when set).
 */
export function loadLoincTable(referenceDir: string = defaultReferenceDir()): LoincTable {
  const file = join(referenceDir, "loinc.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new HmsError("DEPENDENCY_FAILED", `cannot read reference file ${file}`, { cause, data: { dependency: "reference", file } });
  }
  return loincTableFrom(JSON.parse(text));
}

/**
 * Interprets a value against an entry's limits. Critical limits are inclusive (loinc.json records
 * NEWS2 and lab call-back bands as "<= x" / ">= x"); the normal range is inclusive at both ends.
 * A unit other than the entry's UCUM unit gives "unknown": we never guess a conversion.
 */
export function interpretValue(entry: LoincEntry, value: number, ucum: string): RangeInterpretation {
  if (!Number.isFinite(value) || entry.ucum === null || ucum !== entry.ucum) return "unknown";
  const cl = entry.critical_low;
  if (cl && cl.unit === ucum && cl.high !== null && value <= cl.high) return "critical-low";
  const ch = entry.critical_high;
  if (ch && ch.unit === ucum && ch.low !== null && value >= ch.low) return "critical-high";
  const n = entry.normal_range;
  if (!n || n.unit !== ucum || (n.low === null && n.high === null)) return "unknown";
  if (n.low !== null && value < n.low) return "low";
  if (n.high !== null && value > n.high) return "high";
  return "normal";
}

export function isCritical(i: RangeInterpretation): i is "critical-low" | "critical-high" {
  return i === "critical-low" || i === "critical-high";
}
