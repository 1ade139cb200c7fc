import { connect as tcpConnect } from "node:net";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Msg, Subscription } from "@nats-io/nats-core";
import { alertAgent } from "../../agents/alert/index.js";
import { deviceAgent, frameMllp, loadLoincTable, toOruR01 } from "../../agents/device/index.js";
import { getValue, parseHl7 } from "../../agents/device/hl7/parser.js";
import { MllpFramer } from "../../agents/device/mllp/framer.js";
import type { Alarm, Alert, Device } from "../../protocol/clinical/device.js";
import { subjects } from "../../protocol/index.js";
import { FhirClient, startFhirServer, type FhirServer } from "../../runtime/embedded/fhir/index.js";
import {
  BusClient,
  connectBus,
  startAgent,
  type Bus,
  type EmbeddedNats,
  type RunningAgent,
} from "../../runtime/index.js";
import { simulateDevicesCommand } from "../../cli/simulate.js";
import { natsForSuite, quietLogger } from "../support/nats.js";
import { REPO } from "../support/spawn.js";

const table = loadLoincTable();
const PATIENT = "pt-hepatitis-b";
const nurse = { subject: "nurse-1", roles: ["nurse" as const] };

let nats: EmbeddedNats;
let fhirServer: FhirServer;
let fhir: FhirClient;
let bus: Bus;
let client: BusClient;
let device: RunningAgent;
let alert: RunningAgent;
let mllpPort = 0;

const startDevice = () =>
  startAgent(
    deviceAgent({
      fhirBaseUrl: fhirServer.baseUrl,
      logger: quietLogger,
      mllp: { port: 0 },
      onMllpListening: (p) => (mllpPort = p),
      batch: { maxSize: 200, maxDelayMs: 20 },
      offlineCheckMs: 100,
      policy: { offlineAfterIntervals: 1 },
    }),
    { natsUrl: nats.url, logger: quietLogger },
  );

/** Collects what is published on a topic type (from any source). */
function collect<T>(topic: string): { items: T[]; sub: Subscription } {
  const items: T[] = [];
  const sub = bus.nc.subscribe(`a2a.v1.default.topic.${topic}.*`, {
    callback: (_e: Error | null, m: Msg) => void items.push(m.json<T>()),
  });
  return { items, sub };
}

/** Sends a frame and answers the first frame back, or "closed" when the listener drops the connection. */
function sendMllp(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolvePromise) => {
    const framer = new MllpFramer();
    const s = tcpConnect(port, "127.0.0.1", () => s.write(bytes));
    s.on("data", (b) => {
      for (const e of framer.push(b))
        if (e.kind === "frame") {
          resolvePromise(e.payload.toString());
          s.destroy();
        }
    });
    s.on("close", () => resolvePromise("closed"));
    // A listener that drops a connection (oversized frame) may reset it: that counts as closed.
    s.on("error", () => resolvePromise("closed"));
  });
}

const ackCode = (ack: string) => {
  const p = parseHl7(ack);
  if (!p.ok) throw new Error(`not an ACK: ${ack}`);
  return getValue(p.message.segments[1], 1);
};

const register = (deviceId: string, extra: Partial<Device> = {}) =>
  client.call<{ device: Device }>(
    "device",
    "register",
    {
      deviceId,
      type: "vital-signs-monitor",
      manufacturer: "Acme",
      model: "VM-1",
      serial: deviceId,
      patientId: PATIENT,
      expectedIntervalSec: 60,
      ...extra,
    },
    { principal: nurse },
  );

beforeAll(async () => {
  nats = await natsForSuite();
  fhirServer = await startFhirServer({ logger: quietLogger, seedDir: resolve(REPO, "examples", "patients") });
  fhir = new FhirClient({ baseUrl: fhirServer.baseUrl, logger: quietLogger });
  bus = await connectBus({ url: nats.url, name: "devices-test" });
  client = new BusClient(bus.nc, bus.kv.cards, "default");
  alert = await startAgent(alertAgent({ logger: quietLogger }), { natsUrl: nats.url, logger: quietLogger });
  device = await startDevice();
});

afterAll(async () => {
  await device?.close();
  await alert?.close();
  await bus?.close();
  await fhirServer?.close();
  await nats?.close();
});

describe("device agent on the bus with a FHIR server", () => {
  it("acknowledges a valid ORU^R01 over MLLP with AA and writes its Observations to FHIR", async () => {
    await register("mon-mllp-1");
    const effective = "2025-03-01T10:00:00.000Z";
    const readings = [
      {
        deviceId: "mon-mllp-1",
        patientId: PATIENT,
        key: "heart_rate",
        value: 88,
        unit: "/min",
        effective,
        source: "mllp" as const,
      },
      {
        deviceId: "mon-mllp-1",
        patientId: PATIENT,
        key: "spo2",
        value: 97,
        unit: "%",
        effective,
        source: "mllp" as const,
      },
    ];
    const ack = await sendMllp(mllpPort, frameMllp(toOruR01(readings, table, { controlId: "IT-1", now: effective })));
    expect(ack).not.toBe("closed");
    expect(ackCode(ack)).toBe("AA");
    const obs = await vi.waitFor(
      async () => {
        const b = await fhir.search("Observation", { device: "Device/mon-mllp-1" });
        expect(b.entry ?? []).toHaveLength(2);
        return (b.entry ?? []).map(
          (e) =>
            e.resource as unknown as {
              code: { coding: { system: string; code: string }[] };
              subject: { reference: string };
              valueQuantity: { unit: string; system: string };
              interpretation: { coding: { code: string }[] }[];
            },
        );
      },
      { timeout: 10_000, interval: 50 },
    );
    const hr = obs.find((o) => o.code.coding[0]?.code === table.byKey("heart_rate")!.loinc)!;
    expect(hr.code.coding[0]?.system).toBe(table.loincSystem);
    expect(hr.subject.reference).toBe(`Patient/${PATIENT}`);
    expect(hr.valueQuantity).toMatchObject({ unit: "/min", system: table.ucumSystem });
    expect(hr.interpretation[0]?.coding[0]?.code).toBe("N");
  });

  it("answers bad frames with AE, AR or a closed connection and keeps serving", async () => {
    const notHl7 = await sendMllp(mllpPort, frameMllp("hello, this is not HL7"));
    expect(notHl7 === "closed" || ackCode(notHl7) === "AR").toBe(true);
    const unknownDevice = toOruR01(
      [
        {
          deviceId: "never-registered",
          patientId: PATIENT,
          key: "heart_rate",
          value: 70,
          unit: "/min",
          effective: "2025-03-01T10:00:00.000Z",
          source: "mllp",
        },
      ],
      table,
      { controlId: "IT-2", now: Date.now() },
    );
    expect(ackCode(await sendMllp(mllpPort, frameMllp(unknownDevice)))).toBe("AE");
    expect(await sendMllp(mllpPort, Buffer.concat([Buffer.from([0x0b]), Buffer.alloc(2 * 1024 * 1024, 0x41)]))).toBe(
      "closed",
    );
    await register("mon-mllp-2");
    const ok = toOruR01(
      [
        {
          deviceId: "mon-mllp-2",
          patientId: PATIENT,
          key: "respiratory_rate",
          value: 16,
          unit: "/min",
          effective: "2025-03-01T10:05:00.000Z",
          source: "mllp",
        },
      ],
      table,
      { controlId: "IT-3", now: Date.now() },
    );
    expect(ackCode(await sendMllp(mllpPort, frameMllp(ok)))).toBe("AA");
  });

  it("turns a burst of repeated critical readings on topic device-reading into exactly one alert", async () => {
    await register("mon-burst");
    const alerts = collect<{ reason: string; alert: Alert }>("alert");
    const alarms = collect<Alarm>("alarm");
    const subject = subjects.topic("default", "device-reading", "bedside");
    const t0 = Date.parse("2025-03-01T11:00:00.000Z");
    for (let i = 0; i < 40; i++) {
      bus.nc.publish(
        subject,
        JSON.stringify({
          deviceId: "mon-burst",
          key: "spo2",
          value: 82,
          unit: "%",
          effective: new Date(t0 + i * 1000).toISOString(),
          source: "bus",
        }),
      );
    }
    await vi.waitFor(
      async () => {
        const { alerts: list } = await client.call<{ alerts: Alert[] }>("alert", "list", {
          patientId: PATIENT,
          state: "open",
        });
        expect(list.filter((a) => a.condition === "spo2:critical-low").map((a) => a.occurrences)).toEqual([40]);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(alarms.items.filter((a) => a.deviceId === "mon-burst" && a.kind === "physiological")).toHaveLength(40);
    const spo2 = alerts.items.filter((a) => a.alert.condition === "spo2:critical-low");
    expect(spo2).toHaveLength(1);
    expect(alarms.items.filter((a) => a.deviceId === "mon-burst" && a.kind === "technical")).toEqual([]);
    expect(spo2[0]).toMatchObject({
      reason: "new",
      alert: { priority: "high", patientId: PATIENT, category: "vital-sign" },
    });
    alerts.sub.unsubscribe();
    alarms.sub.unsubscribe();
    await vi.waitFor(
      async () => {
        const b = await fhir.search("Observation", { device: "Device/mon-burst", _count: 100 });
        expect(b.entry ?? []).toHaveLength(40);
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it("ingests readings through the device_ingest_readings tool and interprets them", async () => {
    await register("mon-tool");
    const r = await client.call<{ accepted: number; alarms: Alarm[]; interpretations: { interpretation: string }[] }>(
      "device",
      "ingest_readings",
      {
        readings: [
          { deviceId: "mon-tool", key: "heart_rate", value: 72, unit: "/min", effective: "2025-03-01T12:00:00.000Z" },
          {
            deviceId: "mon-tool",
            key: "body_temperature",
            value: 36.9,
            unit: "Cel",
            effective: "2025-03-01T12:00:00.000Z",
          },
        ],
      },
      { principal: nurse },
    );
    expect(r).toMatchObject({ accepted: 2, alarms: [] });
    expect(r.interpretations.map((i) => i.interpretation)).toEqual(["normal", "normal"]);
  });

  it("marks a device silent past its expected interval offline with a technical alarm", async () => {
    const alarms = collect<Alarm>("alarm");
    await register("mon-silent", { expectedIntervalSec: 1 });
    const alarm = await vi.waitFor(
      () => {
        const a = alarms.items.find((x) => x.deviceId === "mon-silent");
        expect(a).toBeDefined();
        return a!;
      },
      { timeout: 10_000, interval: 50 },
    );
    alarms.sub.unsubscribe();
    expect(alarm).toMatchObject({ kind: "technical", priority: "medium", condition: "device-offline:mon-silent" });
    const st = await client.call<{ device: Device; overdue: boolean }>("device", "get_status", {
      deviceId: "mon-silent",
    });
    expect(st).toMatchObject({ device: { status: "offline" }, overdue: true });
  });

  it("streams simulated monitors over NATS and over MLLP into the device agent (hms simulate devices)", async () => {
    const overNats = await simulateDevicesCommand({
      patients: 3,
      rate: 600,
      seconds: 1,
      via: "nats",
      natsUrl: nats.url,
      seed: 3,
    });
    expect(overNats).toMatchObject({ devices: 3, messages: 30, readings: 180 });
    const overMllp = await simulateDevicesCommand({
      patients: 3,
      rate: 600,
      seconds: 1,
      via: "mllp",
      natsUrl: nats.url,
      seed: 4,
    });
    expect(overMllp).toMatchObject({ devices: 3, messages: 30, readings: 180, acks: { AA: 30 } });
    await vi.waitFor(
      async () => {
        const b = await fhir.search("Observation", { device: "Device/sim-monitor-1", _count: 200 });
        expect(b.entry ?? []).toHaveLength(120);
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it("keeps its registry across a restart of the device agent", async () => {
    await device.close();
    device = await startDevice();
    const { devices } = await client.call<{ devices: Device[] }>("device", "list", { patientId: PATIENT });
    expect(devices.map((d) => d.deviceId)).toEqual(
      expect.arrayContaining(["mon-mllp-1", "mon-burst", "mon-tool", "mon-silent"]),
    );
  });
});
