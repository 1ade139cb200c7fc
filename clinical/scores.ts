import type { ScoreResult } from "../protocol/index.js";
import { bandFor, type ScoreDefinition, type ScoresReference } from "./reference/scores.js";

/**
 * Crohn's activity indices computed by the formulas and bands in scores.json. Each returns a
 * ScoreResult: computed (value, band) when every input is present, else "missing" with the
 * absent inputs named, so a summary never guesses.
 */

/** CDAI inputs over the 7-day recall period (scores.json CDAI.components). */
export interface CdaiInputs {
  liquid_stools?: number | null;
  abdominal_pain?: number | null;
  general_wellbeing?: number | null;
  complications?: number | null;
  antidiarrheal_use?: number | null;
  abdominal_mass?: number | null;
  /** Hematocrit in percent. */
  hematocrit?: number | null;
  weightKg?: number | null;
  /** Standard (ideal) weight in kg for the CDAI weight term, as recorded by the clinician. */
  standardWeightKg?: number | null;
  sex?: "male" | "female" | "other" | "unknown";
}

/** HBI inputs for the previous day (scores.json HBI.components). */
export interface HbiInputs {
  general_wellbeing?: number | null;
  abdominal_pain?: number | null;
  liquid_stools?: number | null;
  abdominal_mass?: number | null;
  complications?: number | null;
}

const present = (v: number | null | undefined): v is number => typeof v === "number" && Number.isFinite(v);

export function computeCdai(inputs: CdaiInputs, ref: ScoresReference, asOf?: string): ScoreResult {
  const def = ref.cdai;
  const source = "scores.json#CDAI";
  const missing: string[] = [];
  let total = 0;
  for (const c of def.components) {
    let x: number | undefined;
    if (c.id === "hematocrit") {
      const standard =
        inputs.sex === "male"
          ? ref.cdaiHematocritStandard.male
          : inputs.sex === "female"
            ? ref.cdaiHematocritStandard.female
            : undefined;
      if (!present(inputs.hematocrit)) missing.push("hematocrit");
      else if (standard === undefined) missing.push("sex (male/female, for the hematocrit standard)");
      else x = standard - inputs.hematocrit;
    } else if (c.id === "body_weight") {
      if (!present(inputs.weightKg)) missing.push("body_weight");
      if (!present(inputs.standardWeightKg) || inputs.standardWeightKg <= 0) missing.push("standard_weight");
      if (present(inputs.weightKg) && present(inputs.standardWeightKg) && inputs.standardWeightKg > 0)
        x = (1 - inputs.weightKg / inputs.standardWeightKg) * 100;
    } else {
      const v = (inputs as Record<string, unknown>)[c.id];
      if (present(v as number)) x = v as number;
      else missing.push(c.id);
    }
    if (x !== undefined) total += c.weight * x;
  }
  if (missing.length > 0) return { status: "missing", missingInputs: missing, source };
  // CDAI is reported in whole points; rounding also closes the 220/221 gap between the bands.
  return banded(def, Math.round(total), source, asOf);
}

export function computeHbi(inputs: HbiInputs, ref: ScoresReference, asOf?: string): ScoreResult {
  const def = ref.hbi;
  const source = "scores.json#HBI";
  const missing: string[] = [];
  let total = 0;
  for (const c of def.components) {
    const v = (inputs as Record<string, unknown>)[c.id];
    if (present(v as number)) total += c.weight * (v as number);
    else missing.push(c.id);
  }
  if (missing.length > 0) return { status: "missing", missingInputs: missing, source };
  return banded(def, total, source, asOf);
}

function banded(def: ScoreDefinition, value: number, source: string, asOf?: string): ScoreResult {
  const b = bandFor(def.bands, value);
  if (!b) throw new Error(`${def.name} ${value} falls in no band of scores.json`);
  return { status: "computed", value, band: b.band, source, ...(asOf ? { asOf } : {}) };
}

/** Montreal age-at-diagnosis code (A1/A2/A3) from the age in years, by the scores.json rules. */
export function montrealAgeCode(ageAtDiagnosis: number, ref: ScoresReference): "A1" | "A2" | "A3" | null {
  for (const a of ref.montreal.age) {
    const r = a.rule;
    let m: RegExpExecArray | null;
    if ((m = /^<=\s*(\d+)/.exec(r)) && ageAtDiagnosis <= Number(m[1])) return a.code as "A1";
    if ((m = /^(\d+)\s*-\s*(\d+)/.exec(r)) && ageAtDiagnosis >= Number(m[1]) && ageAtDiagnosis <= Number(m[2]))
      return a.code as "A2";
    if ((m = /^>\s*(\d+)/.exec(r)) && ageAtDiagnosis > Number(m[1])) return a.code as "A3";
  }
  return null;
}
