import type * as fhir4 from "fhir/r4.js";
import type { CurrentMedication, DoseUnit, Route, Schedule } from "../../protocol/index.js";
import { EXT, ROUTE_CODES, SYSTEMS } from "./fhir-codes.js";
import { codings, drugOf, ref, treatmentResponseOf } from "./fhir-read.js";
import type { DrugCatalog } from "./reference.js";

/**
 * What the patient takes now: every active (or on-hold) MedicationStatement and every active or
 * on-hold order (MedicationRequest that is not a proposal or a plan: those are drafts, ours
 * included), reference drugs and co-medications alike, with dose, route and schedule as recorded.
 * A drug recorded both as a statement and an order is listed once, from the statement.
 */
export function currentMedications(
  statements: readonly fhir4.MedicationStatement[],
  requests: readonly fhir4.MedicationRequest[],
  drugs: DrugCatalog,
): CurrentMedication[] {
  const out: CurrentMedication[] = [];
  const add = (
    r: fhir4.MedicationStatement | fhir4.MedicationRequest,
    cc: fhir4.CodeableConcept | undefined,
    status: "active" | "on-hold",
    dosage: fhir4.Dosage | undefined,
    since: string | undefined,
  ) => {
    const drug = drugOf(cc, drugs);
    if (!drug || out.some((m) => m.drug === drug.id)) return;
    out.push({
      drug: drug.id,
      drugClass: drug.drugClass,
      status,
      ...doseOf(dosage),
      route: routeOf(dosage?.route),
      phase: phaseOf(r, dosage),
      ...(since ? { since } : {}),
      response: treatmentResponseOf(r) ?? "ongoing",
      ref: ref(r),
    });
  };
  for (const s of statements) {
    if (s.status !== "active" && s.status !== "on-hold") continue;
    add(s, s.medicationCodeableConcept, s.status, s.dosage?.[0], s.effectivePeriod?.start ?? s.effectiveDateTime);
  }
  for (const r of requests) {
    if (r.intent === "proposal" || r.intent === "plan") continue;
    if (r.status !== "active" && r.status !== "on-hold") continue;
    add(
      r,
      r.medicationCodeableConcept,
      r.status,
      r.dosageInstruction?.[0],
      r.dispenseRequest?.validityPeriod?.start ?? r.authoredOn,
    );
  }
  return out;
}

/** UCUM codes (and the usual spellings) of the dose units plans carry; g and ug are converted to mg. */
const UNITS: Record<string, { unit: DoseUnit; factor: number }> = {
  mg: { unit: "mg", factor: 1 },
  g: { unit: "mg", factor: 1000 },
  ug: { unit: "mg", factor: 0.001 },
  mcg: { unit: "mg", factor: 0.001 },
  "mg/kg": { unit: "mg/kg", factor: 1 },
  "mg/kg/d": { unit: "mg/kg/day", factor: 1 },
  "mg/kg/day": { unit: "mg/kg/day", factor: 1 },
  "mg/d": { unit: "mg/day", factor: 1 },
  "mg/day": { unit: "mg/day", factor: 1 },
};

/**
 * Dose, unit and schedule from `dosage[0]`: `doseAndRate[0].doseQuantity` and `timing`. A daily
 * item's dose is per day (the plan's convention), so "50 mg twice a day" reads as 100 mg daily.
 * A dose in a unit we do not read is dropped with its unit (a number without its unit misleads).
 */
export function doseOf(d: fhir4.Dosage | undefined): Pick<CurrentMedication, "dose" | "unit" | "schedule"> {
  const schedule = scheduleOf(d?.timing);
  const q = d?.doseAndRate?.[0]?.doseQuantity;
  const u = UNITS[(q?.code ?? q?.unit ?? "").trim().toLowerCase()];
  if (!q || typeof q.value !== "number" || q.value <= 0 || !u) return { dose: null, unit: null, schedule: schedule.of };
  const perDay = schedule.of?.kind === "daily" && (u.unit === "mg" || u.unit === "mg/kg") ? schedule.perDay : 1;
  return { dose: round(q.value * u.factor * perDay), unit: u.unit, schedule: schedule.of };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** HL7 timing codes for daily and weekly dosing (v3 GTSAbbreviation). */
const TIMING_CODES: Record<string, { of: Schedule; perDay: number }> = {
  QD: { of: { kind: "daily" }, perDay: 1 },
  AM: { of: { kind: "daily" }, perDay: 1 },
  PM: { of: { kind: "daily" }, perDay: 1 },
  BID: { of: { kind: "daily" }, perDay: 2 },
  TID: { of: { kind: "daily" }, perDay: 3 },
  QID: { of: { kind: "daily" }, perDay: 4 },
  WK: { of: { kind: "every", weeks: 1 }, perDay: 1 },
};

/**
 * `timing.repeat` to a schedule: a period in days of 1 (or hours up to 24) is daily, with
 * `frequency` doses a day; a period in weeks (or a multiple of 7 days) once per period is every N
 * weeks. Months are left unread (null): a label's "every 4 weeks" and "monthly" differ.
 */
export function scheduleOf(t: fhir4.Timing | undefined): { of: Schedule | null; perDay: number } {
  const r = t?.repeat;
  if (r?.period && r.periodUnit) {
    const freq = r.frequency ?? 1;
    const p = r.period;
    if (r.periodUnit === "h" && p <= 24) return { of: { kind: "daily" }, perDay: (freq * 24) / p };
    if (r.periodUnit === "d" && p === 1) return { of: { kind: "daily" }, perDay: freq };
    if (r.periodUnit === "d" && freq === 1 && p >= 7) return { of: { kind: "every", weeks: round(p / 7) }, perDay: 1 };
    if (r.periodUnit === "wk" && freq >= 1) return { of: { kind: "every", weeks: round(p / freq) }, perDay: 1 };
    return { of: null, perDay: 1 };
  }
  const code = codings(t?.code)
    .map((c) => c.code?.toUpperCase())
    .find((c) => c && TIMING_CODES[c]);
  return (code ? TIMING_CODES[code] : undefined) ?? { of: null, perDay: 1 };
}

/** `dosage.route`: SNOMED CT or HL7 v3 route codes, else the text ("subcutaneous", "IV", "by mouth"). */
export function routeOf(cc: fhir4.CodeableConcept | undefined): Route | null {
  for (const c of codings(cc)) {
    const hit =
      ROUTE_CODES[`${c.system}|${c.code}`] ?? (!c.system ? ROUTE_CODES[`${SYSTEMS.snomed}|${c.code}`] : undefined);
    if (hit) return hit;
  }
  const text = [cc?.text, ...codings(cc).map((c) => c.display)].filter(Boolean).join(" ").toLowerCase();
  if (/intraven|\biv\b/.test(text)) return "IV";
  if (/subcut|\bsc\b|\bsq\b|\bs\.c\./.test(text)) return "SC";
  if (/\boral|by mouth|\bpo\b/.test(text)) return "PO";
  if (/intramusc|\bim\b/.test(text)) return "IM";
  return null;
}

function phaseOf(
  r: fhir4.MedicationStatement | fhir4.MedicationRequest,
  d: fhir4.Dosage | undefined,
): CurrentMedication["phase"] {
  const code = r.extension?.find((e) => e.url === EXT.treatmentPhase)?.valueCode;
  if (code === "induction" || code === "maintenance" || code === "taper") return code;
  const m = /\b(induction|maintenance|taper)/i.exec(d?.text ?? "")?.[1]?.toLowerCase();
  return m === "induction" || m === "maintenance" || m === "taper" ? m : null;
}
