import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { defaultReferenceDir } from "./loinc.js";

/**
 * Loader for `clinical/reference/data/scores.json`: CDAI and HBI components, weights and bands, and the
 * Montreal codes. Band limits are parsed from the threshold rules ("150 <= CDAI <= 220"), so the
 * numbers live only in the JSON.
 */

export type Band = "remission" | "mild" | "moderate" | "severe";
const BANDS: readonly Band[] = ["remission", "mild", "moderate", "severe"];

/** One band as an interval; a missing bound is open. */
export interface BandRule {
  band: Band;
  min?: { value: number; inclusive: boolean };
  max?: { value: number; inclusive: boolean };
  rule: string;
  source: string;
}

export interface ScoreDefinition {
  name: "CDAI" | "HBI";
  components: readonly { id: string; weight: number; description: string; source: string }[];
  bands: readonly BandRule[];
  formula: string;
  source: string;
}

export interface ScoresReference {
  cdai: ScoreDefinition;
  hbi: ScoreDefinition;
  /** CDAI hematocrit standard (percent) by sex, parsed from the hematocrit component description. */
  cdaiHematocritStandard: { male: number; female: number };
  montreal: {
    age: readonly { code: string; rule: string }[];
    location: readonly string[];
    behaviour: readonly string[];
    source: string;
  };
}

const ThresholdSchema = z.object({ label: z.string(), rule: z.string(), source: z.string() });
const FileSchema = z.object({
  CDAI: z.object({
    formula: z.string(),
    formula_source: z.string(),
    components: z.array(z.object({ id: z.string(), description: z.string(), weight: z.number(), source: z.string() })),
    thresholds: z.array(ThresholdSchema),
  }),
  HBI: z.object({
    formula: z.string(),
    formula_source: z.string(),
    components: z.array(
      z
        .object({
          id: z.string(),
          source: z.string(),
          scale: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
        })
        .loose(),
    ),
    thresholds: z.array(ThresholdSchema),
  }),
  Montreal: z.object({
    source: z.string(),
    age_at_diagnosis: z.array(z.object({ code: z.string(), rule: z.string() })),
    location: z.array(z.object({ code: z.string() })),
    behaviour: z.array(z.object({ code: z.string() })),
  }),
});

/** Parses "X < 150", "150 <= X <= 220", "X > 450" into an interval. */
export function parseBandRule(label: string, rule: string, source: string): BandRule | undefined {
  const band = BANDS.find((b) => label.trim().toLowerCase().startsWith(b));
  if (!band) return undefined;
  const num = String.raw`(-?\d+(?:\.\d+)?)`;
  const between = new RegExp(String.raw`^${num}\s*(<=|<)\s*[A-Z_]+\s*(<=|<)\s*${num}$`).exec(rule.trim());
  if (between) {
    return {
      band,
      rule,
      source,
      min: { value: Number(between[1]), inclusive: between[2] === "<=" },
      max: { value: Number(between[4]), inclusive: between[3] === "<=" },
    };
  }
  const one = new RegExp(String.raw`^[A-Z_]+\s*(<=|<|>=|>)\s*${num}$`).exec(rule.trim());
  const op = one?.[1];
  if (!one || op === undefined) throw new Error(`scores.json: cannot parse threshold rule "${rule}"`);
  const value = Number(one[2]);
  return op.startsWith("<")
    ? { band, rule, source, max: { value, inclusive: op === "<=" } }
    : { band, rule, source, min: { value, inclusive: op === ">=" } };
}

/** The band whose interval holds `value`, or undefined in a gap between bands. */
export function bandFor(bands: readonly BandRule[], value: number): BandRule | undefined {
  return bands.find(
    (b) =>
      (!b.min || (b.min.inclusive ? value >= b.min.value : value > b.min.value)) &&
      (!b.max || (b.max.inclusive ? value <= b.max.value : value < b.max.value)),
  );
}

const cache = new Map<string, ScoresReference>();

export function loadScores(dir: string = defaultReferenceDir()): ScoresReference {
  const hit = cache.get(dir);
  if (hit) return hit;
  const f = FileSchema.parse(JSON.parse(readFileSync(join(dir, "scores.json"), "utf8")));
  const bands = (t: z.infer<typeof ThresholdSchema>[]) =>
    t.flatMap((x) => {
      const b = parseBandRule(x.label, x.rule, x.source);
      return b ? [b] : [];
    });
  const hct = f.CDAI.components.find((c) => c.id === "hematocrit");
  const m =
    hct &&
    /\((\d+(?:\.\d+)?)\s*-\s*Hct%?\)\s*for men,\s*\((\d+(?:\.\d+)?)\s*-\s*Hct%?\)\s*for women/i.exec(hct.description);
  if (!m) throw new Error("scores.json: CDAI hematocrit component has no standard values for men and women");
  const ref: ScoresReference = {
    cdai: {
      name: "CDAI",
      components: f.CDAI.components,
      bands: bands(f.CDAI.thresholds),
      formula: f.CDAI.formula,
      source: f.CDAI.formula_source,
    },
    hbi: {
      name: "HBI",
      // HBI is an unweighted sum ("simple sum of the 5 items").
      components: f.HBI.components.map((c) => ({
        id: c.id,
        weight: 1,
        // A points table ({"0": "none", "1": "mild"}) reads "0 none; 1 mild".
        description:
          typeof c.scale === "object"
            ? Object.entries(c.scale)
                .map(([points, text]) => `${points} ${text}`)
                .join("; ")
            : (c.scale ?? ""),
        source: c.source,
      })),
      bands: bands(f.HBI.thresholds),
      formula: f.HBI.formula,
      source: f.HBI.formula_source,
    },
    cdaiHematocritStandard: { male: Number(m[1]), female: Number(m[2]) },
    montreal: {
      age: f.Montreal.age_at_diagnosis,
      location: f.Montreal.location.map((l) => l.code),
      behaviour: f.Montreal.behaviour.map((b) => b.code),
      source: f.Montreal.source,
    },
  };
  for (const s of [ref.cdai, ref.hbi]) {
    for (const b of BANDS)
      if (!s.bands.some((x) => x.band === b)) throw new Error(`scores.json: ${s.name} has no "${b}" band`);
  }
  cache.set(dir, ref);
  return ref;
}
