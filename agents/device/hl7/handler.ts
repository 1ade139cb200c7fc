import type { Logger } from "pino";
import { HmsError } from "../../../protocol/index.js";
import type { LoincTable } from "../ranges.js";
import { buildAck } from "./ack.js";
import { HL7_ERROR, mapOruR01, type MappedReading } from "./oru.js";
import { parseHl7, type Hl7Message } from "./parser.js";

/**
 * The MLLP message handler of the device agent: parse → map ORU^R01 → deliver readings → ACK.
 * AA when every reading was taken; AE (with ERR) for a bad segment or a delivery that failed
 * (nothing of that message is kept, so the sender may resend it whole); AR for a message it
 * cannot take (not HL7, not ORU^R01, no control id). Never throws.
 */

export interface OruHandlerOptions {
  table: LoincTable;
  /** Takes the readings of one accepted message; a throw answers AE with the error's message. */
  deliver: (readings: MappedReading[], meta: { controlId: string }) => Promise<void> | void;
  /** @defaultValue Date.now */
  now?: () => number;
  /** MSH-10 for each ACK. @defaultValue a counter prefixed "ACK" */
  nextControlId?: () => string;
  receivingApplication?: string;
  logger?: Logger;
}

export function createOruHandler(opts: OruHandlerOptions): (message: string) => Promise<string> {
  const now = opts.now ?? Date.now;
  let n = 0;
  const nextControlId = opts.nextControlId ?? (() => `ACK${++n}`);
  const base = { receivingApplication: opts.receivingApplication };
  return async (text) => {
    const parsed = parseHl7(text);
    if (!parsed.ok) {
      const ack = parsed.error.kind === "not-hl7" ? "AR" : "AE";
      opts.logger?.debug({ reason: parsed.error.message }, "hl7 message rejected");
      return buildAck({
        ...base,
        code: ack,
        controlId: nextControlId(),
        now: now(),
        problem: {
          ack,
          code: parsed.error.kind === "not-hl7" ? HL7_ERROR.UNSUPPORTED_MESSAGE_TYPE : HL7_ERROR.SEGMENT_SEQUENCE,
          reason: parsed.error.message,
          ...(parsed.error.segmentIndex ? { location: { segment: "", sequence: parsed.error.segmentIndex } } : {}),
        },
        // A bad segment after a good MSH still lets us echo the sender's ids.
        original: parsed.error.kind === "bad-segment" ? headerOnly(text) : undefined,
      });
    }
    const mapped = mapOruR01(parsed.message, opts.table);
    if (!mapped.ok) {
      opts.logger?.debug({ controlId: mapped.controlId, problem: mapped.problem }, "hl7 message not accepted");
      return buildAck({
        ...base,
        code: mapped.problem.ack,
        problem: mapped.problem,
        original: parsed.message,
        controlId: nextControlId(),
        now: now(),
      });
    }
    try {
      await opts.deliver(mapped.readings, { controlId: mapped.controlId });
    } catch (err) {
      const e = HmsError.from(err);
      opts.logger?.warn({ err: e, controlId: mapped.controlId }, "hl7 readings not delivered");
      return buildAck({
        ...base,
        code: "AE",
        original: parsed.message,
        controlId: nextControlId(),
        now: now(),
        problem: {
          ack: "AE",
          code:
            e.code === "INVALID_INPUT" || e.code === "NOT_FOUND"
              ? HL7_ERROR.TABLE_VALUE_NOT_FOUND
              : HL7_ERROR.APPLICATION_ERROR,
          reason: e.message,
        },
      });
    }
    return buildAck({ ...base, code: "AA", original: parsed.message, controlId: nextControlId(), now: now() });
  };
}

function headerOnly(text: string): Hl7Message | undefined {
  const r = parseHl7(text.split(/\r\n|\r|\n/)[0] ?? "");
  return r.ok ? r.message : undefined;
}
