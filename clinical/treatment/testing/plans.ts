import type { MonitoringItem, RegimenItem, TreatmentPlan } from "../../../protocol/clinical/plan.js";

/** Hand-written regimen items for tests (doses as drugs.json gives them). */
export const item = {
  infliximab: (dose = 5, over: Partial<RegimenItem> = {}): RegimenItem => ({ role: "advanced", drug: "infliximab", drugClass: "anti-TNF", route: "IV", phase: "maintenance", dose, unit: "mg/kg", schedule: { kind: "every", weeks: 8 }, startWeek: 0, endWeek: null, reference: "drugs.json#infliximab.maintenance", ...over }),
  adalimumab: (dose = 40, weeks = 2): RegimenItem => ({ role: "advanced", drug: "adalimumab", drugClass: "anti-TNF", route: "SC", phase: "maintenance", dose, unit: "mg", schedule: { kind: "every", weeks }, startWeek: 0, endWeek: null, reference: "drugs.json#adalimumab.maintenance" }),
  ustekinumab: (): RegimenItem => ({ role: "advanced", drug: "ustekinumab", drugClass: "anti-IL-12/23 (p40)", route: "SC", phase: "maintenance", dose: 90, unit: "mg", schedule: { kind: "every", weeks: 8 }, startWeek: 0, endWeek: null, reference: "drugs.json#ustekinumab.maintenance" }),
  upadacitinib: (dose = 15): RegimenItem => ({ role: "advanced", drug: "upadacitinib", drugClass: "JAK inhibitor (JAK1-selective)", route: "PO", phase: "maintenance", dose, unit: "mg", schedule: { kind: "daily" }, startWeek: 0, endWeek: null, reference: "drugs.json#upadacitinib.maintenance" }),
  azathioprine: (doseFraction = 1, dose = 2.5 * doseFraction): RegimenItem => ({ role: "immunomodulator", drug: "azathioprine", drugClass: "immunomodulator (thiopurine)", route: "PO", phase: "maintenance", dose, unit: "mg/kg/day", schedule: { kind: "daily" }, startWeek: 0, endWeek: null, doseFraction, reference: "drugs.json#azathioprine.maintenance" }),
  mercaptopurine: (doseFraction = 1): RegimenItem => ({ role: "immunomodulator", drug: "mercaptopurine", drugClass: "immunomodulator (thiopurine)", route: "PO", phase: "maintenance", dose: 1.5 * doseFraction, unit: "mg/kg/day", schedule: { kind: "daily" }, startWeek: 0, endWeek: null, doseFraction, reference: "drugs.json#mercaptopurine.maintenance" }),
  methotrexate: (dose = 15): RegimenItem => ({ role: "immunomodulator", drug: "methotrexate", drugClass: "immunomodulator (antifolate)", route: "SC", phase: "maintenance", dose, unit: "mg", schedule: { kind: "every", weeks: 1 }, startWeek: 0, endWeek: null, doseFraction: 1, reference: "drugs.json#methotrexate.maintenance" }),
  prednisone: (weeks = 8, dose = 40): RegimenItem => ({ role: "steroid", drug: "prednisone", drugClass: "corticosteroid (systemic)", route: "PO", phase: "induction", dose, unit: "mg/day", schedule: { kind: "daily" }, startWeek: 0, endWeek: weeks, reference: "drugs.json#prednisone.induction" }),
  budesonide: (weeks = 8): RegimenItem => ({ role: "steroid", drug: "budesonide", drugClass: "corticosteroid (locally acting)", route: "PO", phase: "induction", dose: 9, unit: "mg/day", schedule: { kind: "daily" }, startWeek: 0, endWeek: weeks, reference: "drugs.json#budesonide.induction" }),
  mesalamine: (): RegimenItem => ({ role: "other", drug: "mesalamine", drugClass: "aminosalicylate", route: "PO", phase: "maintenance", dose: 2400, unit: "mg/day", schedule: { kind: "daily" }, startWeek: 0, endWeek: null, reference: "drugs.json#mesalamine" }),
};

const ALL_SCREENING: MonitoringItem[] = (["tb-screening", "hepatitis-b-serology", "tpmt-nudt15", "pregnancy-test"] as const).map((test) => ({ test, weeks: [0], reason: "before start", reference: "test" }));

/** A plan with the given items and, unless told otherwise, every pre-start screening test. */
export function planWith(items: RegimenItem[], monitoring: MonitoringItem[] = ALL_SCREENING): TreatmentPlan {
  return { patientId: "p1", horizonWeeks: 52, items, decisionPoints: [], monitoring };
}
