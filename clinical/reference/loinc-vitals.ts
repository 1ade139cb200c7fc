/**
 * ISO/IEEE 11073-10101 (MDC) nomenclature for the vital signs in loinc.json, and unit spellings
 * seen from devices mapped to UCUM. loinc.json holds LOINC codes, UCUM units and ranges; it has no
 * MDC codes, so the few that IHE PCD-01 senders use are kept here, each with where it was read.
 * Codes only: every range and unit of record still comes from loinc.json at run time.
 */

export interface MdcTerm {
  /** Numeric MDC code as sent in OBX-3.1, e.g. "150456". */
  code: string;
  /** Reference id as sent in OBX-3.2, e.g. "MDC_PULS_OXIM_SAT_O2". */
  refId: string;
  /** loinc.json key the term maps to. */
  key: string;
  source: string;
}

const PCD01_EXAMPLES =
  "IHE PCD-01 ORU^R01 sample messages from monitor vendors (third-party repositories found via code search)";

/** MDC observation codes → loinc.json keys. */
export const MDC_OBSERVATIONS: readonly MdcTerm[] = [
  { code: "147842", refId: "MDC_ECG_HEART_RATE", key: "heart_rate", source: PCD01_EXAMPLES },
  {
    code: "150456",
    refId: "MDC_PULS_OXIM_SAT_O2",
    key: "spo2",
    source: "HL7 US Core pulse-oximetry example Observation (code.coding 11073 150456)",
  },
  {
    code: "151562",
    refId: "MDC_RESP_RATE",
    key: "respiratory_rate",
    source: "German vital signs IG example Observation (11073 151562 MDC_RESP_RATE)",
  },
  { code: "150021", refId: "MDC_PRESS_BLD_NONINV_SYS", key: "systolic_bp", source: PCD01_EXAMPLES },
  { code: "150022", refId: "MDC_PRESS_BLD_NONINV_DIA", key: "diastolic_bp", source: PCD01_EXAMPLES },
  { code: "150301", refId: "MDC_PRESS_CUFF_SYS", key: "systolic_bp", source: PCD01_EXAMPLES },
  { code: "150302", refId: "MDC_PRESS_CUFF_DIA", key: "diastolic_bp", source: PCD01_EXAMPLES },
  {
    code: "150364",
    refId: "MDC_TEMP_BODY",
    key: "body_temperature",
    source: "German vital signs IG example Observation (11073 150364 MDC_TEMP_BODY)",
  },
  { code: "150344", refId: "MDC_TEMP", key: "body_temperature", source: PCD01_EXAMPLES },
];

/** MDC units (OBX-6) → UCUM. */
export const MDC_UNITS: readonly { code: string; refId: string; ucum: string; source: string }[] = [
  { code: "264864", refId: "MDC_DIM_BEAT_PER_MIN", ucum: "/min", source: PCD01_EXAMPLES },
  { code: "264928", refId: "MDC_DIM_RESP_PER_MIN", ucum: "/min", source: PCD01_EXAMPLES },
  { code: "262688", refId: "MDC_DIM_PERCENT", ucum: "%", source: PCD01_EXAMPLES },
  { code: "266016", refId: "MDC_DIM_MMHG", ucum: "mm[Hg]", source: PCD01_EXAMPLES },
  { code: "268192", refId: "MDC_DIM_DEGC", ucum: "Cel", source: PCD01_EXAMPLES },
];

/** Common non-UCUM spellings from devices and hand-written messages (UCUM c/s codes on the right). */
const UNIT_ALIASES: Record<string, string> = {
  bpm: "/min",
  "beats/min": "/min",
  "1/min": "/min",
  "breaths/min": "/min",
  rpm: "/min",
  mmhg: "mm[Hg]",
  "mm hg": "mm[Hg]",
  degc: "Cel",
  "°c": "Cel",
  c: "Cel",
  cel: "Cel",
  degf: "[degF]",
  "°f": "[degF]",
  percent: "%",
  pct: "%",
};

/** Looks up an MDC observation by numeric code or reference id (OBX-3.1 or OBX-3.2). */
export function mdcObservation(codeOrRefId: string): MdcTerm | undefined {
  return MDC_OBSERVATIONS.find((t) => t.code === codeOrRefId || t.refId === codeOrRefId);
}

/** The preferred MDC term for a loinc.json key (first listed), for message generation. */
export function mdcForKey(key: string): MdcTerm | undefined {
  return MDC_OBSERVATIONS.find((t) => t.key === key);
}

/** The MDC unit term for a UCUM unit (first listed), for message generation. */
export function mdcUnitForUcum(ucum: string): { code: string; refId: string } | undefined {
  return MDC_UNITS.find((u) => u.ucum === ucum);
}

/**
 * Normalises a unit as a device sends it (UCUM code, MDC code or reference id, or a common alias)
 * to a UCUM code; unknown spellings are returned unchanged so a range check can report them.
 */
export function toUcum(unit: string): string {
  const u = unit.trim();
  const mdc = MDC_UNITS.find((m) => m.code === u || m.refId === u);
  if (mdc) return mdc.ucum;
  return UNIT_ALIASES[u.toLowerCase()] ?? u;
}
