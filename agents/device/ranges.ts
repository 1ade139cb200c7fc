import { HmsError } from "../../protocol/index.js";
import { defaultReferenceDir, loadLoinc, type LoincReference, type ReferenceBound } from "../../clinical/index.js";

/**
 * The device agent's view of loinc.json (through the one loader, clinical/reference/loinc.ts): the
 * lab and vital-sign entries with their normal and critical limits, and interpretation of a value
 * against them.
 */

/** A limit with absent bounds as null (so "no bound" and "bound not recorded" read the same). */
export interface Limit {
  low: number | null;
  high: number | null;
  unit: string;
  source: string;
}

export interface LoincEntry {
  key: string;
  loinc: string | null;
  display: string;
  ucum: string | null;
  normal_range?: Limit;
  critical_low?: Limit;
  critical_high?: Limit;
  group: "lab" | "vital";
}

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
export const INTERPRETATION_CODES: Record<
  Exclude<RangeInterpretation, "unknown">,
  { code: string; display: string }
> = {
  low: { code: "L", display: "Low" },
  normal: { code: "N", display: "Normal" },
  high: { code: "H", display: "High" },
  "critical-low": { code: "LL", display: "Critical low" },
  "critical-high": { code: "HH", display: "Critical high" },
};

export const V3_INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

export { defaultReferenceDir };

const limit = (b: ReferenceBound | undefined): Limit | undefined =>
  b ? { low: b.low ?? null, high: b.high ?? null, unit: b.unit ?? "", source: b.source ?? "" } : undefined;

/** The table over a loaded reference. */
export function loincTableFrom(ref: LoincReference): LoincTable {
  const entries: LoincEntry[] = ref.entries.map((e) => ({
    key: e.key,
    loinc: e.loinc,
    display: e.display,
    ucum: e.ucum,
    normal_range: limit(e.normal_range),
    critical_low: limit(e.critical_low),
    critical_high: limit(e.critical_high),
    group: e.group === "labs" ? "lab" : "vital",
  }));
  const keys = new Map(entries.map((e) => [e.key, e]));
  const codes = new Map<string, LoincEntry>();
  for (const e of entries) if (e.loinc && !codes.has(e.loinc)) codes.set(e.loinc, e);
  return {
    loincSystem: ref.loincSystem,
    ucumSystem: ref.ucumSystem,
    entries,
    byKey: (key) => keys.get(key),
    byLoinc: (code) => codes.get(code),
  };
}

/**
 * Reads `<referenceDir>/loinc.json`.
 * @param referenceDir - defaults to `clinical/reference/data` (the caller passes HMS_REFERENCE_DIR when set).
 */
export function loadLoincTable(referenceDir: string = defaultReferenceDir()): LoincTable {
  try {
    return loincTableFrom(loadLoinc(referenceDir));
  } catch (cause) {
    throw new HmsError(
      "DEPENDENCY_FAILED",
      `cannot load loinc.json from ${referenceDir}: ${(cause as Error).message}`,
      { cause, data: { dependency: "reference", dir: referenceDir } },
    );
  }
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
