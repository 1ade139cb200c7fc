import { mdcForKey, mdcUnitForUcum } from "../../../clinical/index.js";
import type { DeviceReading } from "../../../protocol/index.js";
import type { LoincTable } from "../ranges.js";
import { isoToHl7Time } from "./oru.js";
import { escapeHl7 } from "./parser.js";

/**
 * Writes readings of one device and patient as an IHE PCD-01 style ORU^R01 (v2.6): MSH, PID, one OBR,
 * one OBX per reading with OBX-18 = device id. Codes are MDC where loinc.json's key has an MDC term
 * (as bedside monitors send), LOINC otherwise or when asked.
 */

export interface OruGeneratorOptions {
  controlId: string;
  /** Message time (MSH-7). */
  now: number | string | Date;
  /** @defaultValue "mdc" */
  coding?: "mdc" | "loinc";
  /** MSH-3 sending application. @defaultValue the device id */
  sendingApplication?: string;
}

export function toOruR01(readings: readonly DeviceReading[], table: LoincTable, opts: OruGeneratorOptions): string {
  const first = readings[0];
  if (!first) throw new RangeError("toOruR01 needs at least one reading");
  const e = (s: string) => escapeHl7(s);
  const coding = opts.coding ?? "mdc";
  const sending = opts.sendingApplication ?? first.deviceId;
  const segs = [
    `MSH|^~\\&|${e(sending)}|HMS-SIM|HMS-DEVICE|HMS|${isoToHl7Time(opts.now)}||ORU^R01^ORU_R01|${e(opts.controlId)}|P|2.6|||AL|NE||UNICODE UTF-8`,
    `PID|||${e(first.patientId ?? "")}`,
    `OBR|1|||182777000^monitoring of patient^SCT|||${isoToHl7Time(first.effective)}`,
  ];
  readings.forEach((r, i) => {
    const entry = (r.key ? table.byKey(r.key) : undefined) ?? (r.loinc ? table.byLoinc(r.loinc) : undefined);
    if (!entry?.loinc) throw new RangeError(`reading ${r.key ?? r.loinc} is not in loinc.json`);
    const mdc = coding === "mdc" ? mdcForKey(entry.key) : undefined;
    const unit = coding === "mdc" ? mdcUnitForUcum(r.unit) : undefined;
    const code = mdc ? `${mdc.code}^${mdc.refId}^MDC` : `${entry.loinc}^${e(entry.display)}^LN`;
    const units = mdc && unit ? `${unit.code}^${unit.refId}^MDC` : `${e(r.unit)}^^UCUM`;
    segs.push(
      `OBX|${i + 1}|NM|${code}|1.${i + 1}|${r.value}|${units}|||||R|||${isoToHl7Time(r.effective)}||||${e(r.deviceId)}`,
    );
  });
  return segs.join("\r") + "\r";
}
