import type { Observation } from "fhir/r4.js";
import type { DeviceReading } from "../../protocol/index.js";
import {
  INTERPRETATION_CODES,
  interpretValue,
  V3_INTERPRETATION_SYSTEM,
  type LoincEntry,
  type LoincTable,
  type RangeInterpretation,
} from "./ranges.js";

/**
 * A device reading as a FHIR R4 Observation: LOINC code, UCUM quantity, device and patient
 * references, interpretation H/L/N/HH/LL against loinc.json, and a reference range for the reader.
 */

export const OBSERVATION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category";
/** Identifier system for readings, so FHIR conditional creates make re-delivery idempotent. */
export const READING_IDENTIFIER_SYSTEM = "urn:hms-a2a:device-reading";

export interface InterpretedReading {
  reading: DeviceReading & { key: string; loinc: string; patientId: string | null };
  entry: LoincEntry;
  interpretation: RangeInterpretation;
}

/** Resolves a reading's loinc.json entry (by key or LOINC code) and interprets its value; undefined when the code is unknown. */
export function interpretReading(
  reading: DeviceReading,
  table: LoincTable,
  patientId: string | null,
): InterpretedReading | undefined {
  const entry =
    (reading.key ? table.byKey(reading.key) : undefined) ?? (reading.loinc ? table.byLoinc(reading.loinc) : undefined);
  if (!entry || !entry.loinc) return undefined;
  return {
    reading: { ...reading, key: entry.key, loinc: entry.loinc, patientId: reading.patientId ?? patientId },
    entry,
    interpretation: interpretValue(entry, reading.value, reading.unit),
  };
}

/** A stable identifier value for a reading: the same reading delivered twice maps to one Observation. */
export function readingIdentifier(r: { deviceId: string; loinc: string; effective: string }): string {
  // No "|": the value goes into a token search (`identifier=system|value`) for conditional creates.
  return `${r.deviceId}~${r.loinc}~${r.effective}`;
}

export function toFhirObservation(ir: InterpretedReading, table: LoincTable): Observation {
  const { reading, entry, interpretation } = ir;
  const obs: Observation = {
    resourceType: "Observation",
    identifier: [{ system: READING_IDENTIFIER_SYSTEM, value: readingIdentifier(reading) }],
    status: "final",
    category: [
      {
        coding: [
          entry.group === "vital"
            ? { system: OBSERVATION_CATEGORY_SYSTEM, code: "vital-signs", display: "Vital Signs" }
            : { system: OBSERVATION_CATEGORY_SYSTEM, code: "laboratory", display: "Laboratory" },
        ],
      },
    ],
    code: { coding: [{ system: table.loincSystem, code: reading.loinc, display: entry.display }], text: entry.display },
    effectiveDateTime: reading.effective,
    valueQuantity: { value: reading.value, unit: reading.unit, system: table.ucumSystem, code: reading.unit },
    device: { reference: `Device/${reading.deviceId}` },
  };
  if (reading.patientId) obs.subject = { reference: `Patient/${reading.patientId}` };
  if (interpretation !== "unknown") {
    const c = INTERPRETATION_CODES[interpretation];
    obs.interpretation = [{ coding: [{ system: V3_INTERPRETATION_SYSTEM, code: c.code, display: c.display }] }];
  }
  const n = entry.normal_range;
  if (n && n.unit === reading.unit && (n.low !== null || n.high !== null)) {
    obs.referenceRange = [
      {
        ...(n.low !== null ? { low: { value: n.low, unit: n.unit, system: table.ucumSystem, code: n.unit } } : {}),
        ...(n.high !== null ? { high: { value: n.high, unit: n.unit, system: table.ucumSystem, code: n.unit } } : {}),
        text: `loinc.json normal range (${n.source})`,
      },
    ];
  }
  return obs;
}
