import { describe, expect, it } from "vitest";
import { interpretValue, loadLoincTable } from "./ranges.js";

const table = loadLoincTable();

describe("range interpretation against loinc.json", () => {
  const hr = table.byKey("heart_rate")!;
  const n = hr.normal_range!;
  const cl = hr.critical_low!.high!;
  const ch = hr.critical_high!.low!;

  it("finds entries by key and by LOINC code", () => {
    expect(table.byLoinc(hr.loinc!)?.key).toBe("heart_rate");
    expect(table.byKey("spo2")?.ucum).toBe("%");
  });

  it("flags values inside the normal range as normal, at both ends", () => {
    expect(interpretValue(hr, n.low!, hr.ucum!)).toBe("normal");
    expect(interpretValue(hr, n.high!, hr.ucum!)).toBe("normal");
  });

  it("flags values outside normal but short of critical as low or high", () => {
    expect(interpretValue(hr, n.low! - 0.5, "/min")).toBe("low");
    expect(interpretValue(hr, n.high! + 1, "/min")).toBe("high");
  });

  it("flags values at or beyond the critical limits as critical (inclusive)", () => {
    expect(interpretValue(hr, cl, "/min")).toBe("critical-low");
    expect(interpretValue(hr, ch, "/min")).toBe("critical-high");
    expect(interpretValue(hr, ch + 50, "/min")).toBe("critical-high");
  });

  it("says unknown rather than guessing when the unit differs or there is no range", () => {
    expect(interpretValue(hr, 70, "/s")).toBe("unknown");
    expect(interpretValue(table.byKey("body_height")!, 170, "cm")).toBe("unknown");
  });

  it("handles one-sided limits (SpO2 has no critical high)", () => {
    const spo2 = table.byKey("spo2")!;
    expect(interpretValue(spo2, 100, "%")).toBe("normal");
    expect(interpretValue(spo2, spo2.critical_low!.high!, "%")).toBe("critical-low");
  });
});
