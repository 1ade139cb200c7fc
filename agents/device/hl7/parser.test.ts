import { describe, expect, it } from "vitest";
import { escapeHl7, getRepetitions, getValue, parseHl7, unescapeHl7, DEFAULT_SEPARATORS } from "./parser.js";

const MSG = [
  "MSH|^~\\&|MON^0123456789ABCDEF^EUI-64|WARD|HMS|HOSP|20250101120000+0000||ORU^R01^ORU_R01|MSG1|P|2.6",
  "PID|||p-1~alt-9^^^MRN||Doe^Jane",
  "OBX|1|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1|72|264864^MDC_DIM_BEAT_PER_MIN^MDC",
].join("\r");

describe("HL7 v2 parser", () => {
  it("numbers MSH fields as the standard does (MSH-1 is the separator, MSH-9 the type)", () => {
    const r = parseHl7(MSG);
    if (!r.ok) throw new Error(r.error.message);
    const msh = r.message.segments[0];
    expect(getValue(msh, 1)).toBe("|");
    expect(getValue(msh, 2)).toBe("^~\\&");
    expect(getValue(msh, 3, 2)).toBe("0123456789ABCDEF");
    expect(getValue(msh, 9, 1)).toBe("ORU");
    expect(getValue(msh, 9, 2)).toBe("R01");
    expect(getValue(msh, 10)).toBe("MSG1");
  });

  it("splits repetitions and components", () => {
    const r = parseHl7(MSG);
    if (!r.ok) throw new Error(r.error.message);
    const pid = r.message.segments[1];
    expect(getRepetitions(pid, 3)).toEqual([["p-1"], ["alt-9", "", "", "MRN"]]);
    expect(getValue(pid, 3, 4, 1)).toBe("MRN");
    expect(getValue(pid, 5, 2)).toBe("Jane");
    expect(getValue(pid, 99)).toBe("");
  });

  it("reads separators from MSH-1 and MSH-2 instead of assuming the defaults", () => {
    const custom = "MSH#*@!%#APP#FAC#R#F#20250101##ORU*R01#X1#P#2.5\rOBX#1#NM#8867-4*Heart rate*LN##a%b@c!F!d";
    const r = parseHl7(custom);
    if (!r.ok) throw new Error(r.error.message);
    const obx = r.message.segments[1];
    expect(getValue(obx, 3, 2)).toBe("Heart rate");
    expect(getValue(obx, 5, 1, 0, 2)).toBe("b");
    expect(getRepetitions(obx, 5)).toHaveLength(2);
    expect(getValue(obx, 5, 1, 1)).toBe("c#d");
  });

  it("decodes escape sequences including hex", () => {
    expect(unescapeHl7("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\X41\\", DEFAULT_SEPARATORS)).toBe("a|b^c&d~e\\fA");
    expect(unescapeHl7("keep\\unterminated", DEFAULT_SEPARATORS)).toBe("keep\\unterminated");
    const s = "x|y^z&w~v\\u";
    expect(unescapeHl7(escapeHl7(s), DEFAULT_SEPARATORS)).toBe(s);
  });

  it("accepts LF and CRLF segment endings from hand-written senders", () => {
    expect(parseHl7(MSG.replaceAll("\r", "\n")).ok).toBe(true);
    expect(parseHl7(MSG.replaceAll("\r", "\r\n")).ok).toBe(true);
  });

  it("rejects text without an MSH header as not HL7", () => {
    expect(parseHl7("hello world")).toMatchObject({ ok: false, error: { kind: "not-hl7" } });
    expect(parseHl7("")).toMatchObject({ ok: false, error: { kind: "not-hl7" } });
    expect(parseHl7("MSH|^^^^|x")).toMatchObject({ ok: false, error: { kind: "not-hl7" } });
    expect(parseHl7("MSHa^~\\&|x")).toMatchObject({ ok: false, error: { kind: "not-hl7" } });
  });

  it("reports a segment without a valid id as a bad segment with its position", () => {
    const r = parseHl7(`${MSG}\rob x|1|NM`);
    expect(r).toMatchObject({ ok: false, error: { kind: "bad-segment", segmentIndex: 4 } });
  });
});
