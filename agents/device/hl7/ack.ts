import type { Hl7Problem } from "./oru.js";
import { isoToHl7Time } from "./oru.js";
import { DEFAULT_SEPARATORS, escapeHl7, getValue, type Hl7Message, type Separators } from "./parser.js";

/**
 * Builds the HL7 v2 general acknowledgement (ACK, original mode) for a received message:
 * MSH with sender and receiver swapped, MSA-1 AA/AE/AR with MSA-2 = the original MSH-10, and an
 * ERR segment (v2.5 layout: ERR-2 location, ERR-3 table 0357 code, ERR-4 severity, ERR-8 text) on error.
 */

export type AckCode = "AA" | "AE" | "AR";

export interface AckOptions {
  code: AckCode;
  /** Original message, when it could be parsed; otherwise default separators and empty ids are used. */
  original?: Hl7Message;
  problem?: Hl7Problem;
  /** MSH-10 of the ACK itself. */
  controlId: string;
  now: Date | number;
  /** MSH-3 of the ACK (this receiver). */
  receivingApplication?: string;
}

export const DEFAULT_RECEIVING_APPLICATION = "HMS-DEVICE";

export function buildAck(opts: AckOptions): string {
  const seps: Separators = opts.original?.separators ?? DEFAULT_SEPARATORS;
  const msh = opts.original?.segments[0];
  const f = seps.field;
  const enc = `${seps.component}${seps.repetition}${seps.escape}${seps.subcomponent}`;
  const e = (s: string) => escapeHl7(s, seps);
  const origControlId = getValue(msh, 10);
  const event = getValue(msh, 9, 2) || "R01";
  const version = getValue(msh, 12) || "2.6";
  const processing = getValue(msh, 11) || "P";
  const receiving = opts.receivingApplication ?? DEFAULT_RECEIVING_APPLICATION;
  const header = [
    "MSH",
    enc,
    e(receiving),
    e(getValue(msh, 6)),
    e(getValue(msh, 3)),
    e(getValue(msh, 4)),
    isoToHl7Time(opts.now),
    "",
    `ACK${seps.component}${e(event)}${seps.component}ACK`,
    e(opts.controlId),
    e(processing),
    e(version),
  ].join(f);
  const text = opts.problem?.reason ?? "";
  const segments = [header, ["MSA", opts.code, e(origControlId), e(text.slice(0, 80))].join(f)];
  if (opts.code !== "AA" && opts.problem) {
    const p = opts.problem;
    const c = seps.component;
    const location = p.location
      ? [p.location.segment, String(p.location.sequence), p.location.field ? String(p.location.field) : ""].join(c)
      : "";
    const err = ["ERR", "", location, [p.code, "", "HL70357"].join(c), "E", "", "", "", e(p.reason)].join(f);
    segments.push(err);
  }
  return segments.join("\r") + "\r";
}
