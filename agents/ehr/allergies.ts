import type * as fhir4 from "fhir/r4.js";
import type { Allergy } from "../../protocol/index.js";
import { EXT } from "./fhir-codes.js";
import { adverseEventsOf, drugOf, ref } from "./fhir-read.js";
import type { DrugCatalog } from "./reference.js";

const CATEGORIES = new Set(["medication", "food", "environment", "biologic"]);
const CLINICAL = new Set(["active", "inactive", "resolved"]);

/**
 * Allergies and intolerances: every AllergyIntolerance that is not entered-in-error or refuted,
 * whether or not a medication record of the same drug exists, then the adverse events recorded on
 * MedicationStatements (EXT.adverseEvent) as intolerances, unless an AllergyIntolerance of the same
 * substance already names that reaction. An AllergyIntolerance without a clinical status counts as
 * active (the safe reading).
 */
export function allergiesOf(
  allergies: readonly fhir4.AllergyIntolerance[],
  statements: readonly fhir4.MedicationStatement[],
  drugs: DrugCatalog,
): Allergy[] {
  const out: Allergy[] = [];
  for (const a of allergies) {
    const ver = a.verificationStatus?.coding?.[0]?.code;
    if (ver === "entered-in-error" || ver === "refuted") continue;
    const drug = drugOf(a.code, drugs);
    if (!drug) continue;
    const clinical = a.clinicalStatus?.coding?.[0]?.code;
    const category = a.category?.find((c) => CATEGORIES.has(c));
    const recorded = a.recordedDate ?? a.onsetDateTime ?? a.lastOccurrence;
    out.push({
      substance: drug.id,
      drugClass: drug.drugClass,
      type: a.type ?? null,
      category: (category as Allergy["category"] | undefined) ?? null,
      criticality: a.criticality ?? null,
      clinicalStatus: clinical && CLINICAL.has(clinical) ? (clinical as Allergy["clinicalStatus"]) : "active",
      reactions: (a.reaction ?? []).flatMap((r) =>
        r.manifestation.map((m) => ({
          manifestation: m.text ?? m.coding?.[0]?.display ?? m.coding?.[0]?.code ?? "reaction",
          severity: r.severity ?? null,
        })),
      ),
      ...(recorded ? { recordedDate: recorded } : {}),
      ref: ref(a),
    });
  }
  for (const s of statements) {
    if (s.status === "entered-in-error") continue;
    const drug = drugOf(s.medicationCodeableConcept, drugs);
    if (!drug) continue;
    const known = new Set(
      out
        .filter((a) => a.substance === drug.id && a.ref.startsWith("AllergyIntolerance/"))
        .flatMap((a) => a.reactions.map((r) => r.manifestation.toLowerCase())),
    );
    const events = adverseEventsOf(s, EXT.adverseEvent).filter((e) => !known.has(e.text.toLowerCase()));
    if (!events.length) continue;
    const recorded = s.effectivePeriod?.end ?? s.dateAsserted ?? s.effectivePeriod?.start ?? s.effectiveDateTime;
    out.push({
      substance: drug.id,
      drugClass: drug.drugClass,
      type: "intolerance",
      category: "medication",
      criticality: null,
      clinicalStatus: "active",
      reactions: events.map((e) => ({ manifestation: e.text, severity: e.severity })),
      ...(recorded ? { recordedDate: recorded } : {}),
      ref: ref(s),
    });
  }
  return out;
}
