import { mdcObservation, toUcum } from "../../../clinical/index.js";
import type { DeviceReading } from "../../../protocol/index.js";
import type { LoincEntry, LoincTable } from "../ranges.js";
import { findSegments, getValue, type Hl7Message, type Hl7Segment } from "./parser.js";

/**
 * Maps an ORU^R01 (IHE PCD-01 "Communicate PCD Data") message to device readings. Pure.
 * OBX-3 (LOINC "LN" or MDC) → loinc.json key, OBX-5 → value, OBX-6 → UCUM, OBX-14/OBR-7/MSH-7 → time,
 * OBX-18/MSH-3 → device, PID-3 → patient.
 */

/** HL7 table 0357 message error condition codes used in ERR-3. */
export const HL7_ERROR = {
  SEGMENT_SEQUENCE: "100",
  REQUIRED_FIELD_MISSING: "101",
  DATA_TYPE_ERROR: "102",
  TABLE_VALUE_NOT_FOUND: "103",
  UNSUPPORTED_MESSAGE_TYPE: "200",
  UNSUPPORTED_EVENT: "201",
  UNSUPPORTED_VERSION: "203",
  APPLICATION_ERROR: "207",
} as const;

export interface Hl7Problem {
  /** AE: application error in a segment; AR: the message cannot be taken at all. */
  ack: "AE" | "AR";
  code: (typeof HL7_ERROR)[keyof typeof HL7_ERROR];
  reason: string;
  /** ERR-2 location, e.g. { segment: "OBX", sequence: 3, field: 5 }. */
  location?: { segment: string; sequence: number; field?: number };
}

export interface MappedReading extends DeviceReading {
  key: string;
  loinc: string;
}

export type OruMapResult =
  | { ok: true; controlId: string; readings: MappedReading[]; ignored: { sequence: number; reason: string }[] }
  | { ok: false; controlId: string; problem: Hl7Problem };

const DEVICE_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** HL7 DTM (YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]) → ISO 8601; no zone is read as UTC. */
export function hl7TimeToIso(dtm: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,4}))?)?([+-]\d{4})?$/.exec(dtm.trim());
  if (!m) return null;
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac, zone] = m;
  const ms = frac ? frac.padEnd(3, "0").slice(0, 3) : "000";
  const off = zone ? `${zone.slice(0, 3)}:${zone.slice(3)}` : "Z";
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${off}`;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/** ISO time → HL7 DTM in UTC with an explicit +0000 zone; milliseconds (DTM's fraction) only when non-zero. */
export function isoToHl7Time(iso: string | number | Date): string {
  const d = new Date(iso);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${d.getUTCMilliseconds() ? `.${p(d.getUTCMilliseconds(), 3)}` : ""}+0000`;
}

function resolveCode(seg: Hl7Segment, table: LoincTable): LoincEntry | undefined {
  const id = getValue(seg, 3, 1);
  const text = getValue(seg, 3, 2);
  const system = getValue(seg, 3, 3).toUpperCase();
  const viaLoinc = () => table.byLoinc(id);
  const viaMdc = () => {
    const t = mdcObservation(id) ?? mdcObservation(text);
    return t ? table.byKey(t.key) : undefined;
  };
  if (system === "LN") return viaLoinc();
  if (system === "MDC") return viaMdc();
  return viaLoinc() ?? viaMdc() ?? table.byKey(id);
}

function resolveUnit(seg: Hl7Segment, entry: LoincEntry): string {
  const candidates = [getValue(seg, 6, 1), getValue(seg, 6, 2)].filter((c) => c.length > 0).map(toUcum);
  return candidates.find((c) => c === entry.ucum) ?? candidates[0] ?? "";
}

/** Maps a parsed message; `table` is loinc.json. */
export function mapOruR01(msg: Hl7Message, table: LoincTable): OruMapResult {
  const msh = msg.segments[0];
  const controlId = getValue(msh, 10);
  const fail = (problem: Hl7Problem): OruMapResult => ({ ok: false, controlId, problem });
  const type = getValue(msh, 9, 1);
  const event = getValue(msh, 9, 2);
  if (type !== "ORU")
    return fail({
      ack: "AR",
      code: HL7_ERROR.UNSUPPORTED_MESSAGE_TYPE,
      reason: `unsupported message type ${type || "(empty)"}`,
      location: { segment: "MSH", sequence: 1, field: 9 },
    });
  if (event !== "R01")
    return fail({
      ack: "AR",
      code: HL7_ERROR.UNSUPPORTED_EVENT,
      reason: `unsupported event ${event || "(empty)"}`,
      location: { segment: "MSH", sequence: 1, field: 9 },
    });
  const version = getValue(msh, 12);
  if (version && !version.startsWith("2."))
    return fail({
      ack: "AR",
      code: HL7_ERROR.UNSUPPORTED_VERSION,
      reason: `unsupported version ${version}`,
      location: { segment: "MSH", sequence: 1, field: 12 },
    });
  if (!controlId)
    return fail({
      ack: "AR",
      code: HL7_ERROR.REQUIRED_FIELD_MISSING,
      reason: "MSH-10 message control id is missing",
      location: { segment: "MSH", sequence: 1, field: 10 },
    });

  const pid = findSegments(msg, "PID")[0];
  const patientRaw = getValue(pid, 3);
  if (patientRaw && !DEVICE_ID.test(patientRaw)) {
    return fail({
      ack: "AE",
      code: HL7_ERROR.DATA_TYPE_ERROR,
      reason: "PID-3 is not a usable patient id",
      location: { segment: "PID", sequence: 1, field: 3 },
    });
  }
  const patientId = patientRaw || null;
  const defaultDevice = getValue(msh, 3, 1) || getValue(msh, 3, 2);
  const mshTime = hl7TimeToIso(getValue(msh, 7));

  const readings: MappedReading[] = [];
  const ignored: { sequence: number; reason: string }[] = [];
  let obrTime: string | null = null;
  let seenObr = false;
  let obxSeq = 0;
  for (const seg of msg.segments) {
    if (seg.name === "OBR") {
      seenObr = true;
      obrTime = hl7TimeToIso(getValue(seg, 7));
      continue;
    }
    if (seg.name !== "OBX") continue;
    obxSeq++;
    const loc = (field?: number) => ({ segment: "OBX", sequence: obxSeq, ...(field ? { field } : {}) });
    if (!seenObr)
      return fail({
        ack: "AE",
        code: HL7_ERROR.SEGMENT_SEQUENCE,
        reason: `OBX ${obxSeq} comes before any OBR`,
        location: loc(),
      });
    const valueType = getValue(seg, 2);
    const rawValue = getValue(seg, 5);
    const status = getValue(seg, 11);
    if (!valueType && !rawValue) {
      ignored.push({ sequence: obxSeq, reason: "containment row without a value (MDS/VMD/channel)" });
      continue;
    }
    if (status === "X" || status === "D") {
      ignored.push({ sequence: obxSeq, reason: `result status ${status}` });
      continue;
    }
    if (valueType !== "NM") {
      ignored.push({ sequence: obxSeq, reason: `value type ${valueType || "(empty)"} is not NM` });
      continue;
    }
    if (!getValue(seg, 3, 1) && !getValue(seg, 3, 2))
      return fail({
        ack: "AE",
        code: HL7_ERROR.REQUIRED_FIELD_MISSING,
        reason: `OBX ${obxSeq} has no observation identifier (OBX-3)`,
        location: loc(3),
      });
    const entry = resolveCode(seg, table);
    if (!entry || !entry.loinc) {
      ignored.push({
        sequence: obxSeq,
        reason: `observation ${getValue(seg, 3, 1)}^${getValue(seg, 3, 2)} is not in loinc.json`,
      });
      continue;
    }
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(rawValue.trim())) {
      return fail({
        ack: "AE",
        code: HL7_ERROR.DATA_TYPE_ERROR,
        reason: `OBX ${obxSeq} value "${rawValue.slice(0, 40)}" is not numeric`,
        location: loc(5),
      });
    }
    const unit = resolveUnit(seg, entry);
    if (!unit)
      return fail({
        ack: "AE",
        code: HL7_ERROR.REQUIRED_FIELD_MISSING,
        reason: `OBX ${obxSeq} has no units (OBX-6)`,
        location: loc(6),
      });
    const obxTimeRaw = getValue(seg, 14);
    const obxTime = obxTimeRaw ? hl7TimeToIso(obxTimeRaw) : null;
    if (obxTimeRaw && !obxTime)
      return fail({
        ack: "AE",
        code: HL7_ERROR.DATA_TYPE_ERROR,
        reason: `OBX ${obxSeq} time "${obxTimeRaw.slice(0, 30)}" is not an HL7 DTM`,
        location: loc(14),
      });
    const effective = obxTime ?? obrTime ?? mshTime;
    if (!effective)
      return fail({
        ack: "AE",
        code: HL7_ERROR.REQUIRED_FIELD_MISSING,
        reason: `OBX ${obxSeq} has no observation time (OBX-14, OBR-7 or MSH-7)`,
        location: loc(14),
      });
    const deviceId = getValue(seg, 18, 1) || defaultDevice;
    if (!DEVICE_ID.test(deviceId))
      return fail({
        ack: "AE",
        code: HL7_ERROR.REQUIRED_FIELD_MISSING,
        reason: `OBX ${obxSeq} has no usable device id (OBX-18 or MSH-3)`,
        location: loc(18),
      });
    readings.push({
      deviceId,
      patientId,
      key: entry.key,
      loinc: entry.loinc,
      value: Number(rawValue),
      unit,
      effective,
      source: "mllp",
    });
  }
  if (obxSeq === 0)
    return fail({
      ack: "AE",
      code: HL7_ERROR.REQUIRED_FIELD_MISSING,
      reason: "message has no OBX segment",
      location: { segment: "OBX", sequence: 1 },
    });
  return { ok: true, controlId, readings, ignored };
}
