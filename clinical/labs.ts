import type { LabValue } from "../protocol/index.js";
import type { LoincEntry, PopulationBound, ReferenceBound } from "./reference/loinc.js";

export type Interpretation = LabValue["interpretation"];

/** Who the value belongs to, for ranges that differ by sex, age or pregnancy. Every field is optional. */
export interface LabPatient {
  sex?: "male" | "female" | "other" | "unknown";
  /** Whole years; when unknown, adult ranges apply and child ranges do not. */
  age?: number;
  pregnant?: boolean;
}

/** The normal range in force: the entry's `normal_range`, or the first population bound that fits the patient. */
export interface AppliedRange {
  low?: number | null;
  high?: number | null;
  /** Which population the range is for ("male, 15 y and over"), or "all" for the entry's own range. */
  population: string;
  source?: string;
}

/**
 * Interprets a value against loinc.json: critical bounds first (inclusive, as the institutional
 * lists read "<=7.0" / ">=20"), then the normal range (exclusive: at the limit is normal). The
 * normal range is the patient's population range when the entry has one (haemoglobin: WHO
 * thresholds by sex, age and pregnancy), else the entry's `normal_range`. Without `patient` (or
 * with sex unknown) the entry's own range applies, as before.
 * A value in another unit than the entry's UCUM unit is "unknown" rather than misread.
 */
export function interpretLab(
  entry: LoincEntry,
  value: number,
  unit: string,
  patient: LabPatient = {},
): { interpretation: Interpretation; meaning?: string } {
  if (entry.ucum && unit !== entry.ucum)
    return { interpretation: "unknown", meaning: `unit ${unit} differs from loinc.json unit ${entry.ucum}` };
  const meaning = decisionMeaning(entry, value);
  const cl = entry.critical_low?.high;
  if (typeof cl === "number" && value <= cl) return { interpretation: "critical-low", meaning };
  const ch = entry.critical_high?.low;
  if (typeof ch === "number" && value >= ch) return { interpretation: "critical-high", meaning };
  const n = normalRangeFor(entry, patient);
  if (!n || (typeof n.low !== "number" && typeof n.high !== "number")) return { interpretation: "unknown", meaning };
  const why = n.population === "all" ? undefined : rangeMeaning(entry, n, value);
  const joined = [meaning, why].filter(Boolean).join("; ") || undefined;
  const out = (interpretation: Interpretation) => ({ interpretation, ...(joined ? { meaning: joined } : {}) });
  if (typeof n.low === "number" && value < n.low) return out("low");
  if (typeof n.high === "number" && value > n.high) return out("high");
  return { interpretation: "normal", ...(meaning ? { meaning } : {}) };
}

/** The normal range for this patient: the first fitting population bound over the entry's `normal_range`. */
export function normalRangeFor(entry: LoincEntry, patient: LabPatient = {}): AppliedRange | undefined {
  const base = entry.normal_range;
  const pop = entry.normal_range_by_population?.find((b) => fits(b, patient));
  if (!pop) return base ? { low: base.low, high: base.high, population: "all", source: base.source } : undefined;
  return {
    low: pop.low !== undefined ? pop.low : base?.low,
    high: pop.high !== undefined ? pop.high : base?.high,
    population: populationOf(pop),
    source: pop.source,
  };
}

function fits(b: PopulationBound, p: LabPatient): boolean {
  if (b.sex && p.sex !== b.sex) return false;
  if (b.pregnant === true && !p.pregnant) return false;
  if (b.pregnant === false && p.pregnant) return false;
  if (p.age === undefined) return b.age_max === undefined;
  if (b.age_min !== undefined && p.age < b.age_min) return false;
  if (b.age_max !== undefined && p.age > b.age_max) return false;
  return true;
}

function populationOf(b: PopulationBound): string {
  const parts = [
    b.sex,
    b.age_min !== undefined && b.age_max !== undefined
      ? `${b.age_min}-${b.age_max} y`
      : b.age_min !== undefined
        ? `${b.age_min} y and over`
        : b.age_max !== undefined
          ? `under ${b.age_max + 1} y`
          : undefined,
    b.pregnant === true ? "pregnant" : b.pregnant === false ? "not pregnant" : undefined,
  ];
  return parts.filter(Boolean).join(", ");
}

function rangeMeaning(entry: LoincEntry, n: AppliedRange, value: number): string {
  const unit = entry.ucum ?? "";
  const limit = typeof n.low === "number" && value < n.low ? `below ${n.low} ${unit}` : `above ${n.high} ${unit}`;
  return `${limit} for ${n.population}${n.source ? ` (${n.source.split(":")[0]})` : ""}`;
}

/** What the value means against the entry's first decision threshold (e.g. calprotectin 150 ug/g). */
function decisionMeaning(entry: LoincEntry, value: number): string | undefined {
  const t: ReferenceBound | undefined = entry.decision_thresholds?.[0];
  if (!t || typeof t.high !== "number") return undefined;
  const unit = t.unit ?? entry.ucum ?? "";
  const side = value < t.high ? `below ${t.high} ${unit}` : `at or above ${t.high} ${unit}`;
  const note = value < t.high ? t.note : "inflammation not ruled out; consider endoscopic assessment";
  return `${side} (${t.source ?? "loinc.json"})${note ? `: ${note}` : ""}`;
}
