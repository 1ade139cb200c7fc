import { describe, expect, it } from "vitest";
import { loadLoincTable, interpretValue } from "./ranges.js";
import { simulateVitals } from "./simulator.js";

const table = loadLoincTable();

describe("vital signs simulator", () => {
  it("gives the same stream for the same seed", () => {
    const a = simulateVitals({ patients: 3, seed: 11, table });
    const b = simulateVitals({ patients: 3, seed: 11, table });
    for (let i = 0; i < 50; i++) expect(a.tick()).toEqual(b.tick());
  });

  it("stays mostly in range and now and then deteriorates into critical values", () => {
    const sim = simulateVitals({ patients: 5, seed: 3, table, deteriorationChance: 0.01, rate: 60 });
    const counts = { normal: 0, critical: 0, total: 0 };
    for (let i = 0; i < 600; i++) {
      for (const r of sim.tick()) {
        const i2 = interpretValue(table.byKey(r.key!)!, r.value, r.unit);
        counts.total++;
        if (i2 === "normal") counts.normal++;
        if (i2.startsWith("critical")) counts.critical++;
      }
    }
    expect(counts.normal / counts.total).toBeGreaterThan(0.8);
    expect(counts.critical).toBeGreaterThan(0);
    expect(sim.now() - sim.devices.length).toBeGreaterThan(0);
  });
});
