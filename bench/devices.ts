/**
 * Device ingestion benchmark: simulated monitors → HL7 ORU^R01 → MLLP over loopback TCP → parse,
 * map, interpret, batch Observations (flush to a no-op) and alarms. Prints messages/s and readings/s,
 * and the same pipeline without the socket, side by side in one run.
 * Run: `npx tsx bench/devices.ts [patients=20] [ticks=200]`
 */
import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import { DeviceService, frameMllp, simulateVitals, toOruR01 } from "../agents/device/index.js";
import { createOruHandler } from "../agents/device/hl7/handler.js";
import { MllpFramer } from "../agents/device/mllp/framer.js";
import { startMllpListener } from "../agents/device/mllp/listener.js";
import { loadLoincTable } from "../agents/device/ranges.js";

const patients = Number(process.argv[2] ?? 20);
const ticks = Number(process.argv[3] ?? 200);
const table = loadLoincTable(process.env.HMS_REFERENCE_DIR);

function messages(): string[] {
  const sim = simulateVitals({ patients, seed: 1, table, rate: 60 });
  const out: string[] = [];
  let n = 0;
  for (let i = 0; i < ticks; i++) {
    const rs = sim.tick();
    for (const id of new Set(rs.map((r) => r.deviceId))) out.push(toOruR01(rs.filter((r) => r.deviceId === id), table, { controlId: `B${++n}`, now: sim.now() }));
  }
  return out;
}

function service() {
  const svc = new DeviceService({ table, publish: async () => {}, flushObservations: async () => {}, batch: { maxSize: 500, maxDelayMs: 50 } });
  for (const d of simulateVitals({ patients, seed: 1, table }).devices) svc.registry.register(d);
  return svc;
}

async function inProcess(msgs: string[]): Promise<number> {
  const svc = service();
  const handle = createOruHandler({ table, deliver: async (r) => void (await svc.ingest(r, { atomic: true })) });
  const t0 = performance.now();
  for (const m of msgs) await handle(m);
  const ms = performance.now() - t0;
  await svc.close();
  return ms;
}

async function overMllp(msgs: string[]): Promise<number> {
  const svc = service();
  const listener = await startMllpListener({ onMessage: createOruHandler({ table, deliver: async (r) => void (await svc.ingest(r, { atomic: true })) }) });
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const framer = new MllpFramer();
    let acks = 0;
    const s = connect(listener.port, "127.0.0.1", () => {
      // Pipeline 32 messages at a time, as a monitor gateway with a window would.
      for (let i = 0; i < Math.min(32, msgs.length); i++) s.write(frameMllp(msgs[i]));
    });
    let sent = Math.min(32, msgs.length);
    s.on("data", (b) => {
      for (const e of framer.push(b)) {
        if (e.kind !== "frame") continue;
        acks++;
        if (sent < msgs.length) s.write(frameMllp(msgs[sent++]));
        if (acks === msgs.length) { s.destroy(); resolve(); }
      }
    });
    s.on("error", reject);
  });
  const ms = performance.now() - t0;
  await listener.close();
  await svc.close();
  return ms;
}

const msgs = messages();
const readings = msgs.length * 6;
const a = await inProcess(msgs);
const b = await overMllp(msgs);
const rate = (ms: number) => `${Math.round(msgs.length / (ms / 1000))} msg/s, ${Math.round(readings / (ms / 1000))} readings/s`;
process.stdout.write(`device ingestion: ${msgs.length} ORU^R01 messages, ${readings} readings\n`);
process.stdout.write(`  in-process handler: ${a.toFixed(0)} ms (${rate(a)})\n`);
process.stdout.write(`  over MLLP/TCP:      ${b.toFixed(0)} ms (${rate(b)})  ratio ${(b / a).toFixed(2)}x\n`);
