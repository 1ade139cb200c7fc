import type { Allergy, FindingSeverity, PatientSummary } from "../../protocol/index.js";
import type { DrugSafetyWithRefs, SafetyAction } from "../reference/drugs.js";
import type { PlanSpace } from "./space.js";

/**
 * What this patient's state says about one drug, at any dose: infections (TB, hepatitis B, active
 * serious infection), pregnancy and lactation, documented reactions and their class
 * cross-reactivity, co-medication interactions, disease location and age. Every concern reads the
 * drug's structured label facts (drugs.json `safety`, `interaction_rules`) and cites the entry.
 * Error concerns block the drug in the optimizer (`drugBlocks`) as well as in the verifier.
 */

export interface DrugConcern {
  ruleId: string;
  severity: Exclude<FindingSeverity, "info">;
  reference: string;
  message: string;
}

/** Label actions that forbid starting the drug in the situation the fact describes. */
const BLOCKING: ReadonlySet<SafetyAction> = new Set(["contraindicated", "do-not-start", "treat-first", "avoid"]);
/** Label actions that allow the drug with care (screening, monitoring, specialist advice). */
const CAUTION: ReadonlySet<SafetyAction> = new Set(["caution", "restricted", "wait"]);

const severityOf = (a: SafetyAction): DrugConcern["severity"] | null =>
  BLOCKING.has(a) ? "error" : CAUTION.has(a) ? "warning" : null;

const lower = (s: string) => s.toLowerCase();

/** The names of every drug the patient takes now (summary currentMedications and the co-medication list). */
export function currentDrugNames(p: PatientSummary): string[] {
  return [
    ...new Set([
      ...p.currentMedications.filter((m) => m.status === "active").map((m) => lower(m.drug)),
      ...p.comorbidities.currentInteractingMedications.map(lower),
    ]),
  ];
}

/** A reaction the reference names (e.g. "pancreatitis") or that was recorded as severe / high criticality. */
function isSevere(a: Allergy, namedReactions: readonly string[]): boolean {
  if (a.criticality === "high") return true;
  return a.reactions.some(
    (r) => r.severity === "severe" || namedReactions.some((n) => lower(r.manifestation).includes(lower(n))),
  );
}

const describe = (a: Allergy) =>
  a.reactions.length > 0
    ? a.reactions.map((r) => `${r.manifestation}${r.severity ? ` (${r.severity})` : ""}`).join(", ")
    : (a.type ?? "reaction");

/** Documented reactions to the drug itself (re-challenge) or to a drug the label makes it cross-react with. */
function reactionConcerns(p: PatientSummary, drug: string, space: PlanSpace): DrugConcern[] {
  const out: DrugConcern[] = [];
  const own = space.drugs.safety(drug).hypersensitivity;
  for (const a of p.allergies) {
    if (a.substance === drug) {
      const severe = isSevere(a, own.reactions);
      out.push({
        ruleId: "reaction-rechallenge",
        severity: severe ? "error" : "warning",
        reference: own.ref,
        message: severe
          ? `${drug}: documented ${describe(a)} to ${drug} — no re-challenge`
          : `${drug}: documented ${describe(a)} to ${drug} — re-challenge only with precautions and consent`,
      });
    } else if (space.drugs.has(a.substance)) {
      const other = space.drugs.safety(a.substance).hypersensitivity;
      if (other.cross_reactive.includes(drug) && isSevere(a, other.reactions))
        out.push({
          ruleId: "reaction-cross-reactivity",
          severity: "error",
          reference: other.ref,
          message: `${drug}: documented ${describe(a)} to ${a.substance}, which cross-reacts with ${drug}`,
        });
    }
  }
  return out;
}

/**
 * Co-medication interactions from the drug's `interaction_rules`, matched on lower-case names.
 * Current Crohn's drugs of the reference (another biologic, a thiopurine) are left to the plan-level
 * rule `ix-current-therapy`: whether they clash depends on whether the plan stops them.
 */
function interactionConcerns(p: PatientSummary, drug: string, space: PlanSpace): DrugConcern[] {
  const names = currentDrugNames(p).filter((n) => !space.drugs.has(n));
  const out: DrugConcern[] = [];
  for (const rule of space.drugs.interactionRules(drug)) {
    const hit = names.find((n) => rule.with.some((w) => n === w || n.includes(w)));
    if (!hit) continue;
    // "reduce-dose" is a dose rule (the plan's dose must be reduced); here it is a warning that names it.
    const severity = rule.action === "contraindicated" || rule.action === "avoid" ? "error" : "warning";
    out.push({
      ruleId: `ix-${drug}-${hit.replace(/[^a-z0-9]+/g, "-")}`,
      severity,
      reference: rule.ref,
      message: `${drug} with ${hit}: ${rule.text}`,
    });
  }
  return out;
}

/**
 * Every concern for giving `drug` to this patient. Situations come from the summary's flags (which
 * the EHR sets from diagnosis codes and screening results); strengths come from the label fact.
 */
export function drugConcerns(p: PatientSummary, drug: string, space: PlanSpace): DrugConcern[] {
  if (!space.drugs.has(drug)) return [];
  const s = space.drugs.safety(drug);
  const c = p.comorbidities;
  const out: DrugConcern[] = [];
  const fact = (ruleId: string, f: { action: SafetyAction; text: string; ref: string }, what: string) => {
    const severity = severityOf(f.action);
    if (severity) out.push({ ruleId, severity, reference: f.ref, message: `${drug}: ${what} — ${f.text}` });
  };
  if (c.activeSeriousInfection) fact("ci-active-infection", s.serious_infection, "active serious infection");
  if (c.latentTbUntreated) fact("ci-latent-tb", s.latent_tb, "untreated latent tuberculosis");
  if (c.hepatitisBActive) fact("ci-hepatitis-b", s.hepatitis_b, "chronic or active hepatitis B");
  else if (c.hepatitisBPast && s.hepatitis_b.action !== "none")
    out.push({
      ruleId: "hbv-reactivation-risk",
      severity: "warning",
      reference: s.hepatitis_b.ref,
      message: `${drug}: past hepatitis B (anti-HBc positive) — reactivation risk; monitor HBV DNA or give prophylaxis as the hepatologist advises`,
    });
  // A drug the patient already takes is judged by the label's word on continuing it (ECCO: an
  // anti-TNF that controls the disease is continued in pregnancy), a new one by starting it.
  const takes = p.currentMedications.some((m) => m.status === "active" && m.drug === drug);
  const phase = (f: DrugSafetyWithRefs["pregnancy"]) => (takes && f.continuing ? { ...f, action: f.continuing } : f);
  if (c.pregnant) fact("ci-pregnancy", phase(s.pregnancy), takes ? "pregnancy (continuing)" : "pregnancy");
  if (c.lactating) fact("ci-lactation", phase(s.lactation), takes ? "breastfeeding (continuing)" : "breastfeeding");
  if (s.disease_location) {
    const loc = p.diagnosis.montreal.location;
    if (loc !== null && !s.disease_location.montreal_allowed.includes(loc))
      out.push({
        ruleId: "ci-disease-location",
        severity: "error",
        reference: s.disease_location.ref,
        message: `${drug}: Montreal ${loc} disease — ${s.disease_location.text}`,
      });
    else if (loc === null)
      out.push({
        ruleId: "ci-disease-location",
        severity: "warning",
        reference: s.disease_location.ref,
        message: `${drug}: disease location not recorded — ${s.disease_location.text}`,
      });
  }
  out.push(...reactionConcerns(p, drug, space), ...interactionConcerns(p, drug, space));
  return out;
}
