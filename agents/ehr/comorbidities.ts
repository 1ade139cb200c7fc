/**
 * ICD-10-CM code prefixes (2024 code set) behind each comorbidity flag the verifier reads.
 * Codes only; no clinical thresholds live here.
 */
export const FLAG_CODES = {
  activeSeriousInfection: [
    "A15",
    "A16",
    "A17",
    "A18",
    "A19",
    "A40",
    "A41",
    "B37.7",
    "J13",
    "J14",
    "J15",
    "J18",
    "K65",
    "L02",
    "L03",
  ],
  latentTb: ["Z22.7"],
  heartFailure: ["I50"],
  demyelinatingDisease: ["G35", "G36", "G37", "H46", "G61.0"],
  pregnant: ["Z33", "Z34", "O"],
  /** Z39.1 Encounter for care and examination of lactating mother (ICD-10 chapter XXI block Z30-Z39). */
  lactating: ["Z39.1"],
  hepatitisBActive: ["B16", "B18.0", "B18.1", "B19.1"],
  vteHistory: ["I26", "I82", "Z86.71"],
  cardiovascularRisk: [
    "I10",
    "I11",
    "I12",
    "I13",
    "I15",
    "I16",
    "I20",
    "I21",
    "I22",
    "I24",
    "I25",
    "I63",
    "I70",
    "E10",
    "E11",
    "E78",
    "F17.2",
    "Z87.891",
  ],
  malignancyHistory: ["C", "Z85"],
} as const;

/**
 * Drugs that treat latent TB. An active Z22.7, or a newest IGRA or TST that is positive, counts as
 * untreated when none of them is recorded (a MedicationStatement or an order, any status but
 * entered-in-error / not-taken; proposals excluded). Any such record counts as treated: the summary
 * does not judge whether the course was completed (the record rarely says), so a clinician still
 * reviews the course.
 */
export const LATENT_TB_TREATMENTS = ["isoniazid", "rifampin", "rifampicin", "rifapentine"];

export function matches(code: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => (p.length === 1 ? code.startsWith(p) && /^[A-Z]\d/.test(code) : code.startsWith(p)));
}
