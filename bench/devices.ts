/**
 * Device benchmark (issue #6), one run on an embedded nats-server:
 *  1. Sustained readings/s through the device agent on the bus: readings published on topic
 *     device-reading (messages of 100 readings, as a monitor gateway sends) → parse, map to FHIR
 *     Observation, range check, alarm, batch journal (a counting sink); zero loss counted. Also the
 *     same pipeline in-process (no bus), over MLLP/TCP (ORU^R01 + ACK), and into the embedded FHIR
 *     server (transactions of conditional creates).
 *  2. Latency from a critical reading's publish to its alert's delivery on topic `alert`
 *     (device agent → alarm → alert agent → alert), with background readings at 1k and 5k
 *     readings/s (one reading per message); every critical reading must give one alert.
 * Prints a table, then one JSON line. Run: `npx tsx bench/devices.ts [--readings 200000] [--seconds 5]`
 */
import { connect } from "node:net";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import type { Observation } from "fhir/r4.js";
import pino from "pino";
import type { Msg } from "@nats-io/nats-core";
import { alertAgent } from "../agents/alert/index.js";
import {
  deviceAgent,
  DeviceService,
  fhirObservationWriter,
  frameMllp,
  simulateVitals,
  toOruR01,
} from "../agents/device/index.js";
import { createOruHandler } from "../agents/device/hl7/handler.js";
import { MllpFramer } from "../agents/device/mllp/framer.js";
import { startMllpListener } from "../agents/device/mllp/listener.js";
import { loadLoincTable } from "../agents/device/ranges.js";
import type { Alert, DeviceReading } from "../protocol/clinical/device.js";
import { subjects } from "../protocol/index.js";
import { FhirClient, startFhirServer } from "../runtime/embedded/fhir/index.js";
import { BusClient, connectBus, startAgent, startEmbeddedNats } from "../runtime/index.js";
import { percentile, printTable } from "./support.js";

const { values } = parseArgs({
  options: {
    readings: { type: "string", default: "200000" },
    seconds: { type: "string", default: "5" },
    fhirReadings: { type: "string", default: "3000" },
  },
});
const N = Number(values.readings);
const SECONDS = Number(values.seconds);
const FHIR_N = Number(values.fhirReadings);
const PATIENTS = 500;
const logger = pino({ level: "silent" });
const table = loadLoincTable(process.env.HMS_REFERENCE_DIR);
const agentPrincipal = { subject: "bench", roles: ["agent" as const] };

/** Pre-generated readings of PATIENTS monitors, none critical (the latency part adds its own). */
function stream(
  n: number,
  seed = 1,
): { devices: ReturnType<typeof simulateVitals>["devices"]; readings: DeviceReading[] } {
  const sim = simulateVitals({ patients: PATIENTS, seed, table, rate: 60, deteriorationChance: 0, start: Date.now() });
  const readings: DeviceReading[] = [];
  while (readings.length < n) readings.push(...sim.tick());
  return { devices: sim.devices, readings: readings.slice(0, n) };
}

const nats = await startEmbeddedNats({ logger });
const bus = await connectBus({ url: nats.url, name: "bench-devices" });
const client = new BusClient(bus.nc, bus.kv.cards, "default");

// ---- 1a. through the device agent on the bus --------------------------------------------------
async function throughAgent(): Promise<{ rps: number; sent: number; journaled: number; ms: number }> {
  const { devices, readings } = stream(N);
  let journaled = 0;
  let allIn!: () => void;
  const done = new Promise<void>((r) => (allIn = r));
  const sink = async (obs: Observation[]) => {
    journaled += obs.length;
    if (journaled >= readings.length) allIn();
  };
  const agent = await startAgent(
    deviceAgent({
      logger,
      mllp: false,
      flushObservations: sink,
      batch: { maxSize: 1_000, maxDelayMs: 20 },
      offlineCheckMs: 60_000,
    }),
    { natsUrl: nats.url, logger },
  );
  for (const d of devices) await client.call("device", "register", d, { principal: agentPrincipal });
  await agent.bus.nc.flush();
  const subject = subjects.topic("default", "device-reading", "bench");
  const payloads: string[] = [];
  for (let i = 0; i < readings.length; i += 100) payloads.push(JSON.stringify(readings.slice(i, i + 100)));
  const t0 = performance.now();
  for (let i = 0; i < payloads.length; i++) {
    bus.nc.publish(subject, payloads[i]);
    if (i % 50 === 49) await bus.nc.flush(); // keep the client's outbound buffer bounded
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 120_000))]);
  const ms = performance.now() - t0;
  await agent.close();
  return { rps: journaled / (ms / 1000), sent: readings.length, journaled, ms };
}

// ---- 1b. the same pipeline in-process, and over MLLP ------------------------------------------
function localService() {
  const svc = new DeviceService({
    table,
    publish: async () => {},
    flushObservations: async () => {},
    batch: { maxSize: 1_000, maxDelayMs: 50 },
  });
  return svc;
}
/** Registers the devices, ingests the readings 100 at a time, flushes; the elapsed ms. Closes the service. */
async function timeIngest(
  svc: DeviceService,
  devices: ReturnType<typeof stream>["devices"],
  readings: ReturnType<typeof stream>["readings"],
): Promise<number> {
  for (const d of devices) svc.registry.register(d);
  const t0 = performance.now();
  for (let i = 0; i < readings.length; i += 100) await svc.ingest(readings.slice(i, i + 100));
  await svc.flush();
  const ms = performance.now() - t0;
  await svc.close();
  return ms;
}

async function inProcess(): Promise<number> {
  const { devices, readings } = stream(N, 2);
  const svc = localService();
  const ms = await timeIngest(svc, devices, readings);
  return readings.length / (ms / 1000);
}
async function overMllp(): Promise<number> {
  const { devices, readings } = stream(Math.min(N, 60_000), 3);
  const svc = localService();
  for (const d of devices) svc.registry.register(d);
  const msgs: string[] = [];
  for (let i = 0; i < readings.length; i += 6)
    msgs.push(
      toOruR01(
        readings.slice(i, i + 6).map((r) => ({ ...r, source: "mllp" as const })),
        table,
        { controlId: `B${i}`, now: Date.now() },
      ),
    );
  const listener = await startMllpListener({
    onMessage: createOruHandler({ table, deliver: async (r) => void (await svc.ingest(r, { atomic: true })) }),
  });
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const framer = new MllpFramer();
    let acks = 0;
    let sent = Math.min(32, msgs.length);
    const s = connect(listener.port, "127.0.0.1", () => {
      for (const m of msgs.slice(0, sent)) s.write(frameMllp(m));
    });
    s.on("data", (b) => {
      for (const e of framer.push(b)) {
        if (e.kind !== "frame") continue;
        acks++;
        const next = msgs[sent];
        if (next !== undefined) {
          sent++;
          s.write(frameMllp(next));
        }
        if (acks === msgs.length) {
          s.destroy();
          resolve();
        }
      }
    });
    s.on("error", reject);
  });
  const ms = performance.now() - t0;
  await listener.close();
  await svc.close();
  return readings.length / (ms / 1000);
}

// ---- 1c. into the embedded FHIR server ---------------------------------------------------------
async function intoFhir(): Promise<{ rps: number; written: number }> {
  const fhirServer = await startFhirServer({ logger });
  const fhir = new FhirClient({ baseUrl: fhirServer.baseUrl, logger, timeoutMs: 60_000 });
  const { devices, readings } = stream(FHIR_N, 4);
  let written = 0;
  const write = fhirObservationWriter(fhir);
  const svc = new DeviceService({
    table,
    publish: async () => {},
    flushObservations: async (o) => {
      await write(o);
      written += o.length;
    },
    batch: { maxSize: 500, maxDelayMs: 50 },
  });
  const ms = await timeIngest(svc, devices, readings);
  await fhirServer.close();
  return { rps: written / (ms / 1000), written };
}

// ---- 2. critical reading → alert latency at a background rate ----------------------------------
async function latencyAt(rate: number): Promise<{
  rate: number;
  achieved: number;
  criticals: number;
  alerts: number;
  p50: number;
  p99: number;
  max: number;
  lost: number;
}> {
  const { devices, readings } = stream(rate * SECONDS + 1_000, 5 + rate);
  const device = await startAgent(
    deviceAgent({
      logger,
      mllp: false,
      flushObservations: async () => {},
      batch: { maxSize: 1_000, maxDelayMs: 20 },
      offlineCheckMs: 60_000,
    }),
    { natsUrl: nats.url, logger },
  );
  const alert = await startAgent(alertAgent({ logger, dedupWindowMs: 0, escalation: { priorities: [] } }), {
    natsUrl: nats.url,
    logger,
  });
  for (const d of devices) await client.call("device", "register", d, { principal: agentPrincipal });
  await device.bus.nc.flush();
  await alert.bus.nc.flush();
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const sub = bus.nc.subscribe("a2a.v1.default.topic.alert.*", {
    callback: (_e: Error | null, m: Msg) => {
      const { alert: a, reason } = m.json<{ reason: string; alert: Alert }>();
      const t = a.patientId ? sentAt.get(a.patientId) : undefined;
      if (reason === "new" && t !== undefined) latencies.push(performance.now() - t);
    },
  });
  await bus.nc.flush();
  const subject = subjects.topic("default", "device-reading", "bench");
  const sliceMs = 5;
  const perSlice = Math.max(1, Math.round((rate * sliceMs) / 1000));
  const criticalEvery = Math.round(50 / sliceMs); // one critical reading every 50 ms, each for a different patient
  const spo2 = table.byKey("spo2")!;
  const critValue = spo2.critical_low!.high! - 1;
  let i = 0;
  let slice = 0;
  let criticals = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    const due = t0 + slice * sliceMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    for (let k = 0; k < perSlice; k++) bus.nc.publish(subject, JSON.stringify(readings[i++ % readings.length]));
    const d = slice % criticalEvery === 0 ? devices[criticals] : undefined;
    if (d) {
      criticals++;
      const r: DeviceReading = {
        deviceId: d.deviceId,
        patientId: d.patientId,
        key: "spo2",
        value: critValue,
        unit: spo2.ucum!,
        effective: new Date().toISOString(),
        source: "bus",
      };
      sentAt.set(d.patientId!, performance.now());
      bus.nc.publish(subject, JSON.stringify(r));
    }
    slice++;
  }
  const achieved = i / ((performance.now() - t0) / 1000);
  const deadline = performance.now() + 5_000;
  while (latencies.length < criticals && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  sub.unsubscribe();
  await alert.close();
  await device.close();
  // The alert agent persists its alerts; clear them so the next run starts empty.
  await bus.kv.snapshots.delete("default.alert.alerts");
  await bus.kv.snapshots.delete("default.device.registry");
  return {
    rate,
    achieved,
    criticals,
    alerts: latencies.length,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: Math.max(...latencies),
    lost: criticals - latencies.length,
  };
}

const stage = <T>(name: string, p: () => Promise<T>) => {
  process.stderr.write(`… ${name}\n`);
  return p();
};
const agentRun = await stage("through the device agent", throughAgent);
await bus.kv.snapshots.delete("default.device.registry");
const local = await stage("in-process", inProcess);
const mllp = await stage("over MLLP", overMllp);
const fhirRun = await stage("into FHIR", intoFhir);
const lat1k = await stage("latency at 1k/s", () => latencyAt(1_000));
const lat5k = await stage("latency at 5k/s", () => latencyAt(5_000));
await bus.close();
await nats.close();

const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
const rows: string[][] = [
  ["measure", "value", "target"],
  [`readings/s through the device agent on the bus (${agentRun.sent} readings, 100/msg)`, f(agentRun.rps), "≥ 20000"],
  ["  readings lost (sent − journaled)", String(agentRun.sent - agentRun.journaled), "0"],
  ["readings/s, same pipeline in-process (no bus)", f(local), ""],
  ["readings/s over MLLP/TCP (ORU^R01 + ACK, window 32)", f(mllp), ""],
  [`readings/s into the embedded FHIR server (${fhirRun.written} Observations)`, f(fhirRun.rps), ""],
  ...[lat1k, lat5k].flatMap((l) => [
    [
      `critical → alert p50 / p99 / max ms at ${l.rate}/s (achieved ${f(l.achieved)}/s)`,
      `${f(l.p50, 1)} / ${f(l.p99, 1)} / ${f(l.max, 1)}`,
      l.rate === 5_000 ? "p99 ≤ 50" : "",
    ],
    [`  critical readings → alerts (lost) at ${l.rate}/s`, `${l.criticals} → ${l.alerts} (${l.lost})`, "0 lost"],
  ]),
];
printTable(rows);
console.log(
  JSON.stringify({
    bench: "devices",
    agentReadingsPerSec: Math.round(agentRun.rps),
    agentReadingsSent: agentRun.sent,
    agentReadingsLost: agentRun.sent - agentRun.journaled,
    inProcessReadingsPerSec: Math.round(local),
    mllpReadingsPerSec: Math.round(mllp),
    fhirReadingsPerSec: Math.round(fhirRun.rps),
    latency: [lat1k, lat5k].map((l) => ({
      rate: l.rate,
      achievedRate: Math.round(l.achieved),
      p50Ms: l.p50,
      p99Ms: l.p99,
      maxMs: l.max,
      criticals: l.criticals,
      alerts: l.alerts,
      lost: l.lost,
    })),
    targets: { readingsPerSec: 20_000, p99MsAt5k: 50 },
    met: {
      readingsPerSec: agentRun.rps >= 20_000,
      p99At5k: lat5k.p99 <= 50,
      zeroLoss: agentRun.sent === agentRun.journaled && lat1k.lost === 0 && lat5k.lost === 0,
    },
  }),
);
