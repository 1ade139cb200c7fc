import { assert, describe, expect, it } from "vitest";
import { loadLoincTable } from "../ranges.js";
import { buildAck } from "./ack.js";
import { PCD01_ORU } from "./fixtures.js";
import { hl7TimeToIso, mapOruR01 } from "./oru.js";
import { getValue, parseHl7 } from "./parser.js";
import { toOruR01 } from "./generator.js";

const table = loadLoincTable();
const parse = (t: string) => {
  const r = parseHl7(t);
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
};

describe("ORU^R01 to readings", () => {
  it("maps MDC and LOINC coded OBX rows to loinc.json keys with UCUM units", () => {
    const r = mapOruR01(parse(PCD01_ORU), table);
    if (!r.ok) throw new Error(r.problem.reason);
    expect(r.controlId).toBe("CTRL-1");
    expect(r.readings.map((x) => [x.key, x.value, x.unit])).toEqual([
      ["heart_rate", 72, "/min"],
      ["spo2", 97, "%"],
      ["systolic_bp", 121, "mm[Hg]"],
      ["body_temperature", 37.1, "Cel"],
    ]);
    expect(r.readings[0]).toMatchObject({
      deviceId: "mon-7",
      patientId: "p-100",
      loinc: "8867-4",
      effective: "2025-01-01T11:59:58.000Z",
    });
    // Without OBX-14 the OBR-7 time applies.
    expect(r.readings[2]?.effective).toBe("2025-01-01T11:59:59.000Z");
    expect(r.ignored.map((i) => i.sequence)).toEqual([1, 6]);
  });

  it("answers AR for a message type it does not take", () => {
    const r = mapOruR01(parse(PCD01_ORU.replace("ORU^R01^ORU_R01", "ADT^A01^ADT_A01")), table);
    expect(r).toMatchObject({ ok: false, problem: { ack: "AR", code: "200" } });
  });

  it("answers AE naming the OBX when a numeric value is not a number", () => {
    const r = mapOruR01(parse(PCD01_ORU.replace("|72|", "|seventy|")), table);
    expect(r).toMatchObject({
      ok: false,
      problem: { ack: "AE", code: "102", location: { segment: "OBX", sequence: 2, field: 5 } },
    });
  });

  it("answers AE when an OBX comes before any OBR", () => {
    const text = PCD01_ORU.split("\r")
      .filter((s) => !s.startsWith("OBR"))
      .join("\r");
    expect(mapOruR01(parse(text), table)).toMatchObject({ ok: false, problem: { ack: "AE", code: "100" } });
  });

  it("reads HL7 times with and without zone and fractions", () => {
    expect(hl7TimeToIso("20250101120000+0100")).toBe("2025-01-01T11:00:00.000Z");
    expect(hl7TimeToIso("20250101120000.25")).toBe("2025-01-01T12:00:00.250Z");
    expect(hl7TimeToIso("202501011200")).toBe("2025-01-01T12:00:00.000Z");
    expect(hl7TimeToIso("2025-01-01")).toBeNull();
    expect(hl7TimeToIso("20251301")).toBeNull();
  });

  it("round-trips generated messages through the parser and mapper", () => {
    const readings = [
      {
        deviceId: "mon-1",
        patientId: "p-1",
        key: "heart_rate",
        value: 140,
        unit: "/min",
        effective: "2025-01-01T00:00:00.000Z",
        source: "simulator" as const,
      },
      {
        deviceId: "mon-1",
        patientId: "p-1",
        key: "bmi",
        value: 22.5,
        unit: "kg/m2",
        effective: "2025-01-01T00:00:00.000Z",
        source: "simulator" as const,
      },
    ];
    for (const coding of ["mdc", "loinc"] as const) {
      const r = mapOruR01(parse(toOruR01(readings, table, { controlId: "G1", now: 0, coding })), table);
      if (!r.ok) throw new Error(r.problem.reason);
      expect(r.readings.map((x) => [x.key, x.value, x.unit, x.deviceId, x.patientId])).toEqual([
        ["heart_rate", 140, "/min", "mon-1", "p-1"],
        ["bmi", 22.5, "kg/m2", "mon-1", "p-1"],
      ]);
    }
  });
});

describe("ACK builder", () => {
  it("swaps sender and receiver and echoes the control id with AA", () => {
    const ack = parse(buildAck({ code: "AA", original: parse(PCD01_ORU), controlId: "A1", now: 0 }));
    const [msh, msa] = ack.segments;
    expect(getValue(msh, 5)).toBe("MON-7");
    expect(getValue(msh, 9, 1)).toBe("ACK");
    expect(getValue(msh, 10)).toBe("A1");
    expect([getValue(msa, 1), getValue(msa, 2)]).toEqual(["AA", "CTRL-1"]);
    expect(ack.segments).toHaveLength(2);
  });

  it("adds an ERR segment with location, code and the escaped reason on AE", () => {
    const text = buildAck({
      code: "AE",
      original: parse(PCD01_ORU),
      controlId: "A2",
      now: 0,
      problem: {
        ack: "AE",
        code: "102",
        reason: "value a|b is bad",
        location: { segment: "OBX", sequence: 2, field: 5 },
      },
    });
    const ack = parse(text);
    const err = ack.segments[2];
    assert(err);
    expect(err.name).toBe("ERR");
    expect(getValue(err, 2, 1)).toBe("OBX");
    expect(getValue(err, 2, 3)).toBe("5");
    expect(getValue(err, 3, 1)).toBe("102");
    expect(getValue(err, 8)).toBe("value a|b is bad");
  });
});
