/**
 * HL7 v2 ER7 ("pipe and hat") parser. Pure: text in, a parsed message or a typed failure out,
 * never a throw. Separators come from MSH-1 (field) and MSH-2 (component, repetition, escape,
 * subcomponent), HL7 v2.5 §2.5.4; escapes are decoded per §2.7.
 */

export interface Separators {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
}

/** A field is a list of repetitions; a repetition a list of components; a component a list of subcomponents. */
export type Hl7Field = string[][][];

export interface Hl7Segment {
  name: string;
  /**
   * fields[i] is field i (1-based as in the standard; index 0 holds the segment name).
   * For MSH, fields[1] is the field separator and fields[2] the encoding characters, so MSH-n is fields[n].
   */
  fields: Hl7Field[];
  /** Raw segment text as received (for error reports). */
  raw: string;
}

export interface Hl7Message {
  separators: Separators;
  segments: Hl7Segment[];
}

export type Hl7ParseFailure = {
  /** not-hl7: no MSH header or unusable separators (ACK AR); bad-segment: a malformed segment (ACK AE). */
  kind: "not-hl7" | "bad-segment";
  message: string;
  /** 1-based index of the offending segment, when one is to blame. */
  segmentIndex?: number;
};

export type Hl7ParseResult = { ok: true; message: Hl7Message } | { ok: false; error: Hl7ParseFailure };

export const DEFAULT_SEPARATORS: Separators = {
  field: "|",
  component: "^",
  repetition: "~",
  escape: "\\",
  subcomponent: "&",
};

const SEGMENT_NAME = /^[A-Z][A-Z0-9]{2}$/;
const DISALLOWED_SEPARATOR = /[A-Za-z0-9\r\n\s]/;

/** Splits on CR (the standard's segment terminator), tolerating LF and CRLF from hand-written senders. */
function splitSegments(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((s) => s.length > 0);
}

/** Parses an ER7-encoded HL7 v2 message. */
export function parseHl7(text: string): Hl7ParseResult {
  // eslint-disable-next-line no-control-regex -- MLLP senders pad with NUL bytes before MSH
  const lines = splitSegments(text.replace(/^[\s\u0000]+/, ""));
  const first = lines[0];
  if (!first || !first.startsWith("MSH") || first.length < 8) {
    return { ok: false, error: { kind: "not-hl7", message: "message does not start with an MSH segment" } };
  }
  const field = first.charAt(3);
  const enc = first.slice(4, 8);
  const [component, repetition, escape, subcomponent] = enc.split("") as [string, string, string, string];
  const seps: Separators = { field, component, repetition, escape, subcomponent };
  const all = [field, component, repetition, escape, subcomponent];
  if (all.some((c) => DISALLOWED_SEPARATOR.test(c)) || new Set(all).size !== all.length) {
    return {
      ok: false,
      error: { kind: "not-hl7", message: "MSH-1/MSH-2 separators are missing, alphanumeric or repeated" },
    };
  }
  // MSH-2 may carry a fifth (truncation, v2.7) character; it ends at the next field separator.
  if (first[8] !== undefined && first[8] !== field && first[9] !== field) {
    return {
      ok: false,
      error: { kind: "not-hl7", message: "MSH-2 encoding characters are not followed by a field separator" },
    };
  }
  const segments: Hl7Segment[] = [];
  for (const [i, raw] of lines.entries()) {
    const name = raw.slice(0, 3);
    if (!SEGMENT_NAME.test(name) || (raw.length > 3 && raw[3] !== field)) {
      return {
        ok: false,
        error: { kind: "bad-segment", message: `segment ${i + 1} has no valid segment id`, segmentIndex: i + 1 },
      };
    }
    segments.push(i === 0 ? parseMsh(raw, seps) : parseSegment(raw, seps));
  }
  return { ok: true, message: { separators: seps, segments } };
}

function parseMsh(raw: string, seps: Separators): Hl7Segment {
  const encEnd = raw.indexOf(seps.field, 4);
  const encoding = encEnd === -1 ? raw.slice(4) : raw.slice(4, encEnd);
  const rest = encEnd === -1 ? [] : raw.slice(encEnd + 1).split(seps.field);
  return {
    name: "MSH",
    fields: [[[["MSH"]]], [[[seps.field]]], [[[encoding]]], ...rest.map((f) => parseField(f, seps))],
    raw,
  };
}

function parseSegment(raw: string, seps: Separators): Hl7Segment {
  const parts = raw.split(seps.field);
  return { name: parts[0] ?? "", fields: parts.map((f, i) => (i === 0 ? [[[f]]] : parseField(f, seps))), raw };
}

function parseField(text: string, seps: Separators): Hl7Field {
  return text
    .split(seps.repetition)
    .map((rep) =>
      rep.split(seps.component).map((comp) => comp.split(seps.subcomponent).map((sub) => unescapeHl7(sub, seps))),
    );
}

/** Decodes \F\ \S\ \T\ \R\ \E\ and \Xhh..\ ; other escapes (formatting, charset) are dropped. */
export function unescapeHl7(text: string, seps: Separators): string {
  const e = seps.escape;
  if (!text.includes(e)) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== e) {
      out += ch;
      i++;
      continue;
    }
    const end = text.indexOf(e, i + 1);
    if (end === -1) {
      // An unterminated escape is kept literally rather than losing data.
      out += text.slice(i);
      break;
    }
    const seq = text.slice(i + 1, end);
    switch (seq) {
      case "F":
        out += seps.field;
        break;
      case "S":
        out += seps.component;
        break;
      case "T":
        out += seps.subcomponent;
        break;
      case "R":
        out += seps.repetition;
        break;
      case "E":
        out += seps.escape;
        break;
      default:
        if (/^X([0-9A-Fa-f]{2})+$/.test(seq)) {
          for (let k = 1; k < seq.length; k += 2) out += String.fromCharCode(parseInt(seq.slice(k, k + 2), 16));
        } else if (seq === ".br") {
          out += "\n";
        }
    }
    i = end + 1;
  }
  return out;
}

/** Encodes separator characters in a value so it can be placed in a field (inverse of unescapeHl7). */
export function escapeHl7(text: string, seps: Separators = DEFAULT_SEPARATORS): string {
  let out = "";
  for (const ch of text) {
    if (ch === seps.escape) out += `${seps.escape}E${seps.escape}`;
    else if (ch === seps.field) out += `${seps.escape}F${seps.escape}`;
    else if (ch === seps.component) out += `${seps.escape}S${seps.escape}`;
    else if (ch === seps.subcomponent) out += `${seps.escape}T${seps.escape}`;
    else if (ch === seps.repetition) out += `${seps.escape}R${seps.escape}`;
    else if (ch === "\r" || ch === "\n") out += `${seps.escape}.br${seps.escape}`;
    else out += ch;
  }
  return out;
}

/**
 * Value of one position; 1-based field, component and subcomponent as in "OBX-3.1", 0-based repetition.
 * Missing positions read as "".
 */
export function getValue(
  seg: Hl7Segment | undefined,
  field: number,
  component = 1,
  repetition = 0,
  subcomponent = 1,
): string {
  return seg?.fields[field]?.[repetition]?.[component - 1]?.[subcomponent - 1] ?? "";
}

/** All repetitions of a field, each as its components' first subcomponents. */
export function getRepetitions(seg: Hl7Segment | undefined, field: number): string[][] {
  return (seg?.fields[field] ?? []).map((rep) => rep.map((c) => c[0] ?? ""));
}

export function findSegments(msg: Hl7Message, name: string): Hl7Segment[] {
  return msg.segments.filter((s) => s.name === name);
}
