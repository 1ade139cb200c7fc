import type * as fhir4 from "fhir/r4.js";
import { TreatmentResponseSchema, type TreatmentResponse } from "../../protocol/index.js";
import { EXT, SYSTEMS } from "./fhir-codes.js";
import type { DrugCatalog } from "./reference.js";

/** Small readers shared by the summary's parts. */

export const ref = (r: fhir4.Resource) => `${r.resourceType}/${r.id}`;
export const codings = (cc: fhir4.CodeableConcept | undefined) => cc?.coding ?? [];
export const effectiveOf = (o: fhir4.Observation) =>
  o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.effectiveInstant ?? o.issued ?? "";
export const byNewest = (a: fhir4.Observation, b: fhir4.Observation) => effectiveOf(b).localeCompare(effectiveOf(a));

/** The drug code (our drug system), else the text, else the first coding's display. */
export function drugCodeOf(cc: fhir4.CodeableConcept | undefined): string | undefined {
  return codings(cc).find((c) => c.system === SYSTEMS.drug)?.code ?? cc?.text ?? codings(cc)[0]?.display;
}

/** A drug as recorded: the drugs.json entry when any code, text or display names one, and the recorded name. */
export function drugOf(
  cc: fhir4.CodeableConcept | undefined,
  drugs: DrugCatalog,
): { id: string; drugClass: string | null; name: string } | undefined {
  const candidates = [drugCodeOf(cc), cc?.text, ...codings(cc).flatMap((c) => [c.display, c.code])].filter(
    (x): x is string => !!x && x.trim().length > 0,
  );
  for (const c of candidates) {
    const d = drugs.match(c);
    if (d) return { id: d.id, drugClass: d.class, name: d.name };
  }
  const name = candidates[0]?.trim().toLowerCase();
  return name ? { id: name, drugClass: null, name } : undefined;
}

export type Severity = "mild" | "moderate" | "severe";
const SEVERITIES = new Set<string>(["mild", "moderate", "severe"]);

/**
 * Adverse events recorded on a medication statement (EXT.adverseEvent): the simple form
 * (valueString) or the complex one (event + severity).
 */
export function adverseEventsOf(
  s: fhir4.MedicationStatement,
  url: string,
): { text: string; severity: Severity | null }[] {
  return (s.extension ?? [])
    .filter((e) => e.url === url)
    .flatMap((e) => {
      if (e.valueString) return [{ text: e.valueString, severity: null }];
      const text = e.extension?.find((x) => x.url === "event")?.valueString;
      const sev = e.extension?.find((x) => x.url === "severity")?.valueCode;
      return text ? [{ text, severity: sev && SEVERITIES.has(sev) ? (sev as Severity) : null }] : [];
    });
}

/** The treatment-response extension of a medication record, when it holds a known response. */
export function treatmentResponseOf(r: { extension?: fhir4.Extension[] }): TreatmentResponse | undefined {
  const parsed = TreatmentResponseSchema.safeParse(
    r.extension?.find((e) => e.url === EXT.treatmentResponse)?.valueCode,
  );
  return parsed.success ? parsed.data : undefined;
}
