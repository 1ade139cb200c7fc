import { connect as tcpConnect, type Socket } from "node:net";
import type { Logger } from "pino";
import {
  frameMllp,
  getValue,
  interpretValue,
  isCritical,
  loadLoincTable,
  MLLP_STATE_KEY,
  MllpFramer,
  parseHl7,
  simulateVitals,
  toOruR01,
  type MllpEndpoint,
} from "../agents/device/index.js";
import { HmsError, subjects, type DeviceReading } from "../protocol/index.js";
import { BusClient, connectBus, DEFAULT_TENANT } from "../runtime/index.js";

/**
 * `hms simulate devices --patients N --rate R`: one simulated bedside monitor per patient, streaming
 * realistic vital signs in real time (with occasional deterioration past critical limits), over
 * NATS (topic device-reading, one message per monitor per tick) or HL7 v2 ORU^R01 over MLLP
 * (waiting for each ACK). Devices are registered with the device agent first (device_register).
 */

export interface SimulateDevicesOptions {
  patients: number;
  /** Vital-sign sets per patient per minute (one set = 6 readings). */
  rate: number;
  /** Stop after this many seconds; unset = until `signal` aborts. */
  seconds?: number;
  via: "nats" | "mllp";
  natsUrl: string;
  /** Credentials of the NATS at `natsUrl` (NATS_USER, NATS_PASS, NATS_TOKEN). */
  natsAuth?: { user?: string; pass?: string; token?: string };
  tenant?: string;
  /** MLLP port of the device agent; unset = the endpoint the device agent saved in its state. */
  mllpPort?: number;
  mllpHost?: string;
  /** @defaultValue 1 */
  seed?: number;
  /** Chance per patient per tick that a deterioration starts. @defaultValue 0.01 */
  deteriorationChance?: number;
  referenceDir?: string;
  logger?: Logger;
  signal?: AbortSignal;
  /** Called about once a second with the running totals. */
  onProgress?: (s: SimulationStats) => void;
}

export interface SimulationStats {
  seconds: number;
  devices: number;
  readings: number;
  messages: number;
  /** Readings past a critical limit that were sent. */
  critical: number;
  /** MLLP only: ACK codes received. */
  acks: Record<string, number>;
}

const principal = { subject: "hms-simulator", roles: ["agent" as const] };

/** Sends framed messages on one connection and resolves each with its ACK code, in order. */
function mllpSession(sock: Socket) {
  const framer = new MllpFramer();
  const waiting: ((ack: string) => void)[] = [];
  sock.on("data", (b: Buffer) => {
    for (const e of framer.push(b)) {
      if (e.kind !== "frame") continue;
      const p = parseHl7(e.payload.toString("utf8"));
      waiting.shift()?.(p.ok ? getValue(p.message.segments[1], 1) : "??");
    }
  });
  const closed = new Promise<never>((_, reject) =>
    sock.once("close", () => reject(new HmsError("DEPENDENCY_FAILED", "MLLP connection closed by the device agent"))),
  );
  closed.catch(() => undefined);
  return {
    send(message: string): Promise<string> {
      const p = new Promise<string>((r) => waiting.push(r));
      sock.write(frameMllp(message));
      return Promise.race([p, closed]);
    },
  };
}

export async function simulateDevicesCommand(opts: SimulateDevicesOptions): Promise<SimulationStats> {
  if (!(opts.patients >= 1) || !(opts.rate > 0))
    throw new HmsError("INVALID_INPUT", "--patients must be ≥ 1 and --rate > 0");
  const tenant = opts.tenant ?? DEFAULT_TENANT;
  const table = loadLoincTable(opts.referenceDir);
  const bus = await connectBus({ url: opts.natsUrl, name: "hms-simulate", logger: opts.logger, ...opts.natsAuth });
  const stats: SimulationStats = { seconds: 0, devices: 0, readings: 0, messages: 0, critical: 0, acks: {} };
  let sock: Socket | undefined;
  try {
    const client = new BusClient(bus.nc, bus.kv.cards, tenant);
    const t0 = Date.now();
    const sim = simulateVitals({
      patients: opts.patients,
      rate: opts.rate,
      seed: opts.seed ?? 1,
      table,
      start: t0,
      deteriorationChance: opts.deteriorationChance ?? 0.01,
    });
    for (const d of sim.devices) await client.call("device", "register", d, { principal });
    stats.devices = sim.devices.length;

    let session: ReturnType<typeof mllpSession> | undefined;
    if (opts.via === "mllp") {
      let port = opts.mllpPort;
      let host = opts.mllpHost ?? "127.0.0.1";
      if (port === undefined) {
        const e = await bus.kv.snapshots.get(`${tenant}.device.${MLLP_STATE_KEY}`);
        if (!e || e.operation !== "PUT" || e.length === 0)
          throw new HmsError("NOT_FOUND", "no MLLP endpoint saved by the device agent; pass --mllp-port");
        const ep = e.json<MllpEndpoint>();
        port = ep.port;
        host = opts.mllpHost ?? ep.host;
      }
      sock = await new Promise<Socket>((resolve, reject) => {
        const s = tcpConnect(port, host, () => resolve(s));
        s.once("error", reject);
      });
      session = mllpSession(sock);
    }
    const subject = subjects.topic(tenant, "device-reading", "simulator");
    const stepMs = 60_000 / opts.rate;
    const endAt = opts.seconds === undefined ? Infinity : t0 + opts.seconds * 1000;
    let lastReport = t0;
    let controlId = 0;
    for (let tick = 0; ; tick++) {
      const due = t0 + tick * stepMs;
      if (due >= endAt || opts.signal?.aborted) break;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (opts.signal?.aborted) break;
      const readings = sim.tick();
      const byDevice = new Map<string, DeviceReading[]>();
      for (const r of readings) {
        const entry = table.byKey(r.key!);
        if (entry && isCritical(interpretValue(entry, r.value, r.unit))) stats.critical++;
        const forDevice = byDevice.get(r.deviceId);
        if (forDevice) forDevice.push(r);
        else byDevice.set(r.deviceId, [r]);
      }
      for (const [, rs] of byDevice) {
        if (session) {
          const code = await session.send(
            toOruR01(
              rs.map((r) => ({ ...r, source: "mllp" as const })),
              table,
              { controlId: `SIM${++controlId}`, now: Date.now() },
            ),
          );
          stats.acks[code] = (stats.acks[code] ?? 0) + 1;
        } else {
          bus.nc.publish(subject, JSON.stringify(rs));
        }
        stats.messages++;
        stats.readings += rs.length;
      }
      if (Date.now() - lastReport >= 1_000) {
        lastReport = Date.now();
        stats.seconds = (lastReport - t0) / 1000;
        opts.onProgress?.({ ...stats, acks: { ...stats.acks } });
      }
    }
    await bus.nc.flush();
    stats.seconds = (Date.now() - t0) / 1000;
    return stats;
  } finally {
    sock?.destroy();
    await bus.close();
  }
}
