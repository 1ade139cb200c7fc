import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DoseUnitSchema, RouteSchema, ScheduleSchema } from "../../protocol/index.js";
import { defaultReferenceDir } from "./loinc.js";

/**
 * Loader for `clinical/reference/data/drugs.json`. Entries are kept as the file has them (with their
 * source and confidence); rules and the optimizer point back to them with `drugRef(...)`.
 */

const SourcedSchema = z
  .object({ text: z.string(), source: z.string(), confidence: z.string(), severity: z.string().optional() })
  .passthrough();
export type SourcedText = z.infer<typeof SourcedSchema>;

/** How sure a fact is (drugs.json `confidence_levels`). */
export const ConfidenceSchema = z.enum(["verified", "verified-secondary", "unverified"]);
export type Confidence = z.infer<typeof ConfidenceSchema>;

/** Every structured fact names where it was read (label + section, guideline + statement) and how sure it is. */
const FactSchema = z.object({ source: z.string().min(1), confidence: ConfidenceSchema });

/** One weight band of a weight-tiered dose (ustekinumab IV induction): `min_kg_exclusive < weight <= max_kg`. */
export const WeightTierSchema = z.object({
  min_kg_exclusive: z.number().optional(),
  max_kg: z.number().optional(),
  dose: z.number().positive(),
  unit: z.literal("mg"),
});
export type WeightTier = z.infer<typeof WeightTierSchema>;

/**
 * A regimen as the label (or, for off-label drugs, the guideline) writes it for adult Crohn's disease.
 * `dose`/`unit` are per administration (per day for `frequency.kind === "daily"`). When `weight_tiers` is
 * present the tier's dose applies and `dose` is the middle tier (display only); when `week_doses` is present
 * the dose differs per week (adalimumab 160/80) and `dose` is the first one.
 */
export const LabelRegimenSchema = FactSchema.extend({
  /** Unique per drug, kebab-case: "induction", "maintenance", "escalation-10mgkg-q8w"… */
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  phase: z.enum(["induction", "maintenance", "escalation", "taper"]),
  dose: z.number().positive(),
  unit: DoseUnitSchema,
  route: RouteSchema,
  frequency: ScheduleSchema,
  /** Different dose per induction week, e.g. [{week:0,dose:160},{week:2,dose:80}]. */
  week_doses: z.array(z.object({ week: z.number().int().min(0), dose: z.number().positive() })).optional(),
  /** First week of this regimen (week 0 = first induction dose), e.g. infliximab maintenance 14. */
  start_week: z.number().min(0).optional(),
  /** Longest course the label allows for this regimen, in weeks (e.g. upadacitinib 45 mg: 12). */
  max_weeks: z.number().positive().optional(),
  weight_tiers: z.array(WeightTierSchema).optional(),
  /** Allowed range of `dose` in `unit` (thiopurines mg/kg/day, prednisone mg/day). */
  dose_range: z.tuple([z.number(), z.number()]).optional(),
  /** When the label allows the regimen: from the start, only after a response is lost, or only when response is inadequate. */
  applies_when: z.enum(["always", "loss-of-response", "inadequate-response"]),
  /** Id of the next more intensive regimen of the same drug (escalation step); absent at the top. */
  next: z.string().optional(),
  /** Steroid taper: reduce by `step` every `every_weeks` weeks (for `phase: "taper"`). */
  taper: z.object({ step: z.number().positive(), unit: DoseUnitSchema, every_weeks: z.number().positive() }).optional(),
  /** Region whose label the regimen comes from when it is not the US label (e.g. "EU"). */
  region: z.string().optional(),
  note: z.string().optional(),
});
export type LabelRegimen = z.infer<typeof LabelRegimenSchema>;

/** Every action a safety fact can ask for, strongest first. */
export const SafetyActionSchema = z.enum([
  "contraindicated",
  "do-not-start",
  "treat-first",
  "avoid",
  "restricted",
  "wait",
  "caution",
  "use-if-needed",
  "compatible",
  "none",
]);
export type SafetyAction = z.infer<typeof SafetyActionSchema>;

const safetyFact = <A extends [SafetyAction, ...SafetyAction[]]>(...actions: A) =>
  FactSchema.extend({ action: z.enum(actions), text: z.string().min(1), note: z.string().optional() });

/** Pregnancy/lactation: `action` is for starting the drug; `continuing` (when given) for keeping an established one. */
const reproductiveFact = () =>
  safetyFact("contraindicated", "avoid", "caution", "use-if-needed", "compatible").extend({
    continuing: z.enum(["contraindicated", "avoid", "caution", "use-if-needed", "compatible"]).optional(),
  });

export const DrugSafetySchema = z.object({
  /** Latent TB: "treat-first" = evaluate and treat before the first dose. */
  latent_tb: safetyFact("contraindicated", "treat-first", "caution", "none"),
  /** Chronic/active HBV (HBsAg positive): "treat-first" = antiviral prophylaxis (specialist) before starting. */
  hepatitis_b: safetyFact("contraindicated", "treat-first", "caution", "none"),
  /** Active serious infection: "do-not-start" = do not initiate until controlled. */
  serious_infection: safetyFact("contraindicated", "do-not-start", "caution", "none"),
  pregnancy: reproductiveFact(),
  lactation: reproductiveFact(),
  live_vaccines: safetyFact("contraindicated", "avoid", "caution", "none"),
  /** A prior severe reaction to the drug (or to a `cross_reactive` drug) contraindicates it. */
  hypersensitivity: safetyFact("contraindicated", "avoid").extend({
    /** drugs.json ids a reaction to this drug also rules out. */
    cross_reactive: z.array(z.string()),
    /** Reactions that rule out re-challenge with this drug and its `cross_reactive` drugs (e.g. "pancreatitis"). */
    reactions: z.array(z.string()),
  }),
  /** Age warning: caution from `caution_from_age` years. */
  age: safetyFact("caution", "avoid").extend({ caution_from_age: z.number().int().positive() }).optional(),
  /** Disease-location restriction: Montreal locations the drug is meant for. */
  disease_location: safetyFact("restricted")
    .extend({ montreal_allowed: z.array(z.enum(["L1", "L2", "L3", "L4"])) })
    .optional(),
  /** Gap when switching to this drug from another advanced therapy; `weeks` 0 = none needed. */
  washout_weeks: safetyFact("none", "wait")
    .extend({ weeks: z.number().min(0) })
    .optional(),
});
export type DrugSafety = z.infer<typeof DrugSafetySchema>;
export type DrugSafetyField = keyof DrugSafety;

/** A label interaction with co-medications, matched on lower-case generic names or drugs.json ids in `with`. */
export const InteractionRuleSchema = FactSchema.extend({
  with: z.array(z.string().regex(/^[a-z0-9][a-z0-9 ,()'/_-]*$/)).min(1),
  action: z.enum(["contraindicated", "avoid", "reduce-dose", "monitor"]),
  text: z.string().min(1),
  /** For "reduce-dose": the fraction of the usual dose to give ([lo, hi], e.g. [0.25, 0.33]). */
  dose_fraction: z.tuple([z.number(), z.number()]).optional(),
  /** For "reduce-dose": the dose per regimen id when combined (upadacitinib + ketoconazole: induction 30). */
  regimen_doses: z.record(z.string(), z.number().positive()).optional(),
});
export type InteractionRule = z.infer<typeof InteractionRuleSchema>;

/** A value with the `drugRef` of the exact entry it came from, so findings can cite it. */
export type WithRef<T> = T & { ref: string };
export type DrugSafetyWithRefs = {
  [K in keyof DrugSafety]-?: undefined extends DrugSafety[K]
    ? WithRef<NonNullable<DrugSafety[K]>> | undefined
    : WithRef<DrugSafety[K]>;
};

const DoseSchema = z
  .object({
    dose: z.number().optional(),
    dose_range: z.array(z.number()).optional(),
    dose_options: z.array(z.number()).optional(),
    unit: z.string().optional(),
    route: z.string().optional(),
    interval_weeks: z.number().optional(),
    max_duration_weeks: z.number().optional(),
    taper: z.string().optional(),
    source: z.string().optional(),
    confidence: z.string().optional(),
  })
  .passthrough();

const DrugSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    aliases: z.array(z.string()).default([]),
    class: z.string(),
    route: z.array(z.string()),
    weight_based: z.boolean(),
    induction: z.unknown().optional(),
    maintenance: z.unknown().optional(),
    dose_escalation: DoseSchema.extend({
      text: z.string(),
      max_dose: z.number().optional(),
      max_unit: z.string().optional(),
    }).optional(),
    taper: SourcedSchema.optional(),
    max_daily_dose: z
      .object({ induction_mg: z.number(), maintenance_mg: z.number(), source: z.string(), confidence: z.string() })
      .optional(),
    contraindications: z.array(SourcedSchema),
    interactions: z.array(SourcedSchema),
    monitoring: z.array(SourcedSchema),
    guideline_positioning: z.array(SourcedSchema).default([]),
    /** Label regimens for adult Crohn's disease (empty only where no CD regimen exists, with `regimens_note`). */
    regimens: z.array(LabelRegimenSchema),
    regimens_note: SourcedSchema.optional(),
    safety: DrugSafetySchema,
    interaction_rules: z.array(InteractionRuleSchema),
  })
  .passthrough();
export type DrugEntry = z.infer<typeof DrugSchema>;

const DrugsFileSchema = z.object({ drugs: z.array(DrugSchema) }).superRefine((file, ctx) => {
  for (const [i, d] of file.drugs.entries()) {
    const ids = new Set<string>();
    for (const [j, r] of d.regimens.entries()) {
      if (ids.has(r.id))
        ctx.addIssue({
          code: "custom",
          path: ["drugs", i, "regimens", j, "id"],
          message: `duplicate regimen id ${r.id}`,
        });
      ids.add(r.id);
    }
    for (const [j, r] of d.regimens.entries()) {
      if (r.next !== undefined && !ids.has(r.next))
        ctx.addIssue({
          code: "custom",
          path: ["drugs", i, "regimens", j, "next"],
          message: `next "${r.next}" is not a regimen of ${d.id}`,
        });
    }
    if (d.regimens.length === 0 && !d.regimens_note)
      ctx.addIssue({
        code: "custom",
        path: ["drugs", i, "regimens"],
        message: `${d.id}: no regimens and no regimens_note`,
      });
  }
});

export interface DrugsReference {
  drugs: readonly DrugEntry[];
  /** The entry for an id; throws on an unknown id (a typo should fail loudly). */
  byId(id: string): DrugEntry;
  has(id: string): boolean;
  /** Index of the first `field` entry whose text matches `re`, or -1. */
  findEntry(
    id: string,
    field: "contraindications" | "interactions" | "monitoring" | "guideline_positioning",
    re: RegExp,
  ): number;
  /** The drug's label regimens, each with its `ref` (`drugs.json#<id>.regimens[<i>]`). Throws on an unknown drug. */
  regimens(id: string): WithRef<LabelRegimen>[];
  /** One regimen by its id, or undefined when the drug has no such regimen. Throws on an unknown drug. */
  regimen(id: string, regimenId: string): WithRef<LabelRegimen> | undefined;
  /** The drug's safety facts, each with its `ref` (`drugs.json#<id>.safety.<field>`). Throws on an unknown drug. */
  safety(id: string): DrugSafetyWithRefs;
  /** The drug's interaction rules, each with its `ref` (`drugs.json#<id>.interaction_rules[<i>]`). Throws on an unknown drug. */
  interactionRules(id: string): WithRef<InteractionRule>[];
}

/** `drugs.json#<id>.<path>`: how findings and model numbers cite an entry. */
export function drugRef(id: string, path: string): string {
  return `drugs.json#${id}.${path}`;
}

const cache = new Map<string, DrugsReference>();

/** Loads and checks drugs.json from `dir` (default `clinical/reference/data`); cached per dir. */
export function loadDrugs(dir: string = defaultReferenceDir()): DrugsReference {
  const hit = cache.get(dir);
  if (hit) return hit;
  const file = DrugsFileSchema.parse(JSON.parse(readFileSync(join(dir, "drugs.json"), "utf8")));
  const byId = new Map(file.drugs.map((d) => [d.id, d]));
  const get = (id: string): DrugEntry => {
    const d = byId.get(id);
    if (!d) throw new Error(`drugs.json has no drug "${id}"`);
    return d;
  };
  const regimens = (id: string) => get(id).regimens.map((r, i) => ({ ...r, ref: drugRef(id, `regimens[${i}]`) }));
  const ref: DrugsReference = {
    drugs: file.drugs,
    byId: get,
    has: (id) => byId.has(id),
    findEntry(id, field, re) {
      const list = byId.get(id)?.[field] ?? [];
      return list.findIndex((e) => re.test(e.text));
    },
    regimens,
    regimen: (id, regimenId) => regimens(id).find((r) => r.id === regimenId),
    safety(id) {
      const safety = get(id).safety;
      const out: Record<string, unknown> = {};
      for (const [field, fact] of Object.entries(safety)) {
        if (fact !== undefined) out[field] = { ...fact, ref: drugRef(id, `safety.${field}`) };
      }
      return out as DrugSafetyWithRefs;
    },
    interactionRules: (id) =>
      get(id).interaction_rules.map((r, i) => ({ ...r, ref: drugRef(id, `interaction_rules[${i}]`) })),
  };
  cache.set(dir, ref);
  return ref;
}
