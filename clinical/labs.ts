import type { LabValue } from "../protocol/clinical/patient.js";
import type { LoincEntry } from "./reference/loinc.js";

export type Interpretation = LabValue["interpretation"];

/**
 * Interprets a value against loinc.json: critical bounds first (inclusive, as the institutional
 * lists read "<=7.0" / ">=20"), then the normal range (exclusive: at the limit is normal).
 * A value in another unit than the entry's UCUM unit is "unknown" rather than misread.
 */
export function interpretLab(
  entry: LoincEntry,
  value: number,
  unit: string,
): { interpretation: Interpretation; meaning?: string } {
  if (entry.ucum && unit !== entry.ucum)
    return { interpretation: "unknown", meaning: `unit ${unit} differs from loinc.json unit ${entry.ucum}` };
  const meaning = decisionMeaning(entry, value);
  const cl = entry.critical_low?.high;
  if (typeof cl === "number" && value <= cl) return { interpretation: "critical-low", meaning };
  const ch = entry.critical_high?.low;
  if (typeof ch === "number" && value >= ch) return { interpretation: "critical-high", meaning };
  const n = entry.normal_range;
  if (!n || (typeof n.low !== "number" && typeof n.high !== "number")) return { interpretation: "unknown", meaning };
  if (typeof n.low === "number" && value < n.low) return { interpretation: "low", meaning };
  if (typeof n.high === "number" && value > n.high) return { interpretation: "high", meaning };
  return { interpretation: "normal", meaning };
}

/** What the value means against the entry's first decision threshold (e.g. calprotectin 150 ug/g). */
function decisionMeaning(entry: LoincEntry, value: number): string | undefined {
  const t = entry.decision_thresholds?.[0];
  if (!t || typeof t.high !== "number") return undefined;
  const unit = t.unit ?? entry.ucum ?? "";
  const side = value < t.high ? `below ${t.high} ${unit}` : `at or above ${t.high} ${unit}`;
  const note = value < t.high ? t.note : "inflammation not ruled out; consider endoscopic assessment";
  return `${side} (${t.source ?? "loinc.json"})${note ? `: ${note}` : ""}`;
}
