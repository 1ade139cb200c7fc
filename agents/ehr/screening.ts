import type * as fhir4 from "fhir/r4.js";
import type { ScreeningResult, ScreeningTest } from "../../protocol/index.js";
import type { LoincEntry, LoincReference } from "../../clinical/index.js";
import { RESULT_CODES, SYSTEMS } from "./fhir-codes.js";
import { byNewest, codings, effectiveOf, ref } from "./fhir-read.js";

type Result = ScreeningResult["result"];

/**
 * The newest result per screening test (IGRA, TST, HBsAg, anti-HBc, HBV DNA, hCG), from
 * Observations whose code is a loinc.json entry marked `screening` (its LOINC code or an
 * alternative). Qualitative results are read from valueCodeableConcept (SNOMED CT qualifier values,
 * else its text), valueString, valueBoolean or Observation.interpretation; quantities from
 * valueQuantity (HBV DNA: detectable unless reported as "<N" or 0; TST in mm: positive at the
 * entry's decision threshold). An Observation whose result cannot be read is skipped, so an older
 * readable result of the same test stands.
 */
export function screeningOf(obs: readonly fhir4.Observation[], loinc: LoincReference): ScreeningResult[] {
  const newest = new Map<ScreeningTest, ScreeningResult>();
  for (const o of [...obs].sort(byNewest)) {
    const entry = entryOf(o, loinc);
    if (!entry?.screening || newest.has(entry.screening)) continue;
    const read = resultOf(o, entry);
    if (!read) continue;
    const code = codings(o.code).find((c) => c.code && loinc.byCode(c.system, c.code) === entry)?.code;
    newest.set(entry.screening, {
      test: entry.screening,
      ...read,
      effective: effectiveOf(o),
      loinc: code ?? entry.loinc ?? entry.key,
      ref: ref(o),
    });
  }
  return [...newest.values()];
}

function entryOf(o: fhir4.Observation, loinc: LoincReference): LoincEntry | undefined {
  for (const c of codings(o.code)) {
    const e = c.code ? loinc.byCode(c.system, c.code) : undefined;
    if (e) return e;
  }
  return undefined;
}

function resultOf(o: fhir4.Observation, e: LoincEntry): Pick<ScreeningResult, "result" | "value" | "unit"> | undefined {
  const coded = codings(o.valueCodeableConcept)
    .map((c) => (c.system === SYSTEMS.snomed || !c.system) && c.code && RESULT_CODES[c.code])
    .find(Boolean);
  if (coded) return { result: coded };
  const text = textResult(o.valueCodeableConcept?.text ?? o.valueString ?? codings(o.valueCodeableConcept)[0]?.display);
  if (text) return { result: text };
  if (typeof o.valueBoolean === "boolean") return { result: o.valueBoolean ? "positive" : "negative" };
  const q = o.valueQuantity;
  if (q && typeof q.value === "number") {
    const unit = q.code ?? q.unit ?? "";
    if (e.screening === "hbv-dna")
      return {
        result: q.comparator === "<" || q.comparator === "<=" || q.value <= 0 ? "negative" : "positive",
        value: q.value,
        unit,
      };
    const t = e.decision_thresholds?.find((d) => typeof d.low === "number" && d.unit === unit);
    if (e.screening === "tst" && t && typeof t.low === "number")
      return { result: q.value >= t.low ? "positive" : "negative", value: q.value, unit };
  }
  const interp = codings(o.interpretation?.[0])
    .map((c) => c.code?.toUpperCase())
    .find(Boolean);
  if (interp === "POS" || interp === "DET") return { result: "positive" };
  if (interp === "NEG" || interp === "ND") return { result: "negative" };
  if (interp === "IND") return { result: "indeterminate" };
  return undefined;
}

/** Free-text results: negatives first ("not detected" contains "detected"). */
function textResult(s: string | undefined): Result | undefined {
  const t = s?.trim().toLowerCase();
  if (!t) return undefined;
  if (/\b(not detected|undetectable|non-?reactive|negative|neg)\b/.test(t)) return "negative";
  if (/\b(indeterminate|inconclusive|equivocal|borderline)\b/.test(t)) return "indeterminate";
  if (/\b(detected|reactive|positive|pos)\b/.test(t)) return "positive";
  return undefined;
}

/**
 * A pregnancy lasts at most about 42 weeks (post-term), so a positive hCG followed by more than
 * that much recorded care no longer says the patient is pregnant (source: obstetric definition of
 * post-term pregnancy, general knowledge, unverified). The window is measured against the newest
 * Observation in the record, not the clock: a record that goes on for 42 weeks after the test shows
 * the pregnancy has ended; a record that stops does not (erring towards "pregnant"). Intervals
 * survive de-identification, which moves every date of a patient by the same offset.
 */
export const HCG_WINDOW_DAYS = 42 * 7;

/** The screening-derived flags the comorbidities carry (each also has a diagnosis-code path). */
export function screeningFlags(
  screening: readonly ScreeningResult[],
  newestRecord: string | undefined,
): { tbInfection: boolean; hepatitisBActive: boolean; antiHbcPositive: boolean; pregnant: boolean } {
  const is = (test: ScreeningTest, result: Result) => screening.some((s) => s.test === test && s.result === result);
  const hcg = screening.find((s) => s.test === "hcg" && s.result === "positive");
  const since = hcg && newestRecord ? Date.parse(newestRecord) - Date.parse(hcg.effective) : 0;
  return {
    tbInfection: is("igra", "positive") || is("tst", "positive"),
    hepatitisBActive: is("hbsag", "positive") || is("hbv-dna", "positive"),
    antiHbcPositive: is("anti-hbc", "positive"),
    pregnant: !!hcg && !(since > HCG_WINDOW_DAYS * 86_400_000),
  };
}
