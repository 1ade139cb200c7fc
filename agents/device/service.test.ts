import type { Observation } from "fhir/r4.js";
import { SimulatedClock } from "xstate";
import { describe, expect, it } from "vitest";
import type { Alarm } from "../../protocol/clinical/device.js";
import { loadLoincTable } from "./ranges.js";
import { DeviceService } from "./service.js";

const table = loadLoincTable();
const T0 = Date.UTC(2025, 0, 1);

function setup() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const published: { topic: string; data: Alarm }[] = [];
  const written: Observation[][] = [];
  let n = 0;
  const svc = new DeviceService({
    table,
    clock,
    newId: () => `id-${++n}`,
    publish: async (topic, data) => void published.push({ topic, data: data as Alarm }),
    flushObservations: async (obs) => void written.push(obs),
    batch: { maxSize: 50, maxDelayMs: 1000 },
  });
  svc.registry.register({
    deviceId: "mon-1",
    type: "vital-signs-monitor",
    manufacturer: "Acme",
    model: "M1",
    serial: "S1",
    patientId: "p-1",
    expectedIntervalSec: 10,
  });
  return { clock, svc, published, written };
}

const reading = (value: number, key = "spo2", unit = "%") => ({
  deviceId: "mon-1",
  key,
  value,
  unit,
  effective: new Date(T0).toISOString(),
});

describe("device service", () => {
  it("turns readings into FHIR Observations with LOINC, UCUM, refs and interpretation", async () => {
    const { svc, written } = setup();
    const crit = table.byKey("spo2")!.critical_low!.high!;
    await svc.ingest([reading(98), reading(crit)]);
    await svc.flush();
    const [normal, critical] = written.flat();
    expect(normal).toMatchObject({
      resourceType: "Observation",
      status: "final",
      code: { coding: [{ system: "http://loinc.org", code: "2708-6" }] },
      valueQuantity: { value: 98, system: "http://unitsofmeasure.org", code: "%" },
      subject: { reference: "Patient/p-1" },
      device: { reference: "Device/mon-1" },
      interpretation: [{ coding: [{ code: "N" }] }],
    });
    expect(critical?.interpretation?.[0]?.coding?.[0]?.code).toBe("LL");
  });

  it("publishes a high-priority alarm for the patient for a critical reading and marks the device alarming", async () => {
    const { svc, published } = setup();
    const res = await svc.ingest([reading(table.byKey("heart_rate")!.critical_high!.low! + 10, "heart_rate", "/min")]);
    expect(res.alarms).toHaveLength(1);
    expect(published).toEqual([
      {
        topic: "alarm",
        data: expect.objectContaining({
          priority: "high",
          kind: "physiological",
          condition: "heart_rate:critical-high",
          patientId: "p-1",
        }),
      },
    ]);
    expect(svc.registry.get("mon-1")!.status).toBe("alarm");
    await svc.ingest([reading(70, "heart_rate", "/min")]);
    expect(svc.registry.get("mon-1")!.status).toBe("online");
  });

  it("lists bad readings without dropping the good ones, or rejects all in atomic mode", async () => {
    const { svc } = setup();
    const res = await svc.ingest([
      reading(97),
      { ...reading(97), deviceId: "ghost" },
      { ...reading(97), key: "nonsense" },
      { value: "x" },
    ]);
    expect(res.accepted).toBe(1);
    expect(res.rejected.map((r) => r.index)).toEqual([1, 2, 3]);
    await expect(
      svc.ingest([reading(97), { ...reading(97), deviceId: "ghost" }], { atomic: true }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("raises one technical alarm when a device stays silent past its expected interval", async () => {
    const { svc, clock, published } = setup();
    await svc.ingest([reading(97)]);
    clock.increment(25_000);
    expect(await svc.checkOffline()).toEqual([]);
    expect(svc.status("mon-1").overdue).toBe(false);
    clock.increment(10_000);
    const alarms = await svc.checkOffline();
    expect(alarms).toEqual([
      expect.objectContaining({ kind: "technical", priority: "medium", condition: "device-offline:mon-1" }),
    ]);
    expect(svc.registry.get("mon-1")!.status).toBe("offline");
    expect(await svc.checkOffline()).toEqual([]);
    expect(published).toHaveLength(1);
    await svc.ingest([{ ...reading(97), effective: new Date(clock.now()).toISOString() }]);
    expect(svc.registry.get("mon-1")!.status).toBe("online");
  });

  it("counts a device that forwards old readings as heard from now, not as silent since they were taken", async () => {
    const { svc, clock } = setup();
    clock.increment(3_600_000);
    await svc.ingest([reading(97)]);
    expect(Date.parse(svc.registry.get("mon-1")!.lastHeartbeat!)).toBe(clock.now());
    expect(await svc.checkOffline()).toEqual([]);
    expect(svc.status("mon-1")).toMatchObject({ overdue: false, silentForSec: 0 });
  });
});
