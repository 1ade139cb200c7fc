import { randomUUID } from "node:crypto";
import type { Observation } from "fhir/r4.js";
import type { Logger } from "pino";
import { DeviceReadingSchema, HmsError, type Alarm, type Device } from "../../protocol/index.js";
import { realClock, type Clock } from "../../runtime/index.js";
import {
  alarmForReading,
  ALARM_TOPIC,
  DEFAULT_ALARM_POLICY,
  findSilentDevices,
  technicalAlarm,
  type AlarmPolicy,
} from "./alarms.js";
import { createBatcher, type Batcher } from "./batcher.js";
import { interpretReading, toFhirObservation, type InterpretedReading } from "./observation.js";
import type { LoincTable } from "./ranges.js";
import { DeviceRegistry } from "./registry.js";

/**
 * The device agent's core, free of the A2A runtime: readings from any path (bus topic, tool, MLLP)
 * go through `ingest`, which checks them, updates the registry, batches FHIR Observations to
 * `flushObservations`, and publishes alarms for critical values on topic `alarm` (patient in the payload).
 */

export interface DeviceServiceOptions {
  table: LoincTable;
  /** Publishes a fact on a topic type (the runtime's ctx.publish). */
  publish: (topicType: string, data: unknown) => Promise<void>;
  /** Flush target for Observations; the lead wires it to a FHIR transaction. */
  flushObservations: (observations: Observation[]) => Promise<void>;
  registry?: DeviceRegistry;
  clock?: Clock;
  /** @defaultValue DEFAULT_BATCH_SIZE / DEFAULT_BATCH_DELAY_MS of batcher.ts */
  batch?: { maxSize?: number; maxDelayMs?: number };
  policy?: Partial<AlarmPolicy>;
  newId?: () => string;
  logger?: Logger;
  /**
   * Loads the shared registry snapshot (another instance may have registered a device this one has
   * not seen); asked at most once a second, when a reading names an unknown device.
   */
  loadDevices?: () => Promise<Device[] | undefined>;
}

export interface IngestResult {
  accepted: number;
  rejected: { index: number; reason: string }[];
  alarms: Alarm[];
  interpretations: { deviceId: string; key: string; value: number; unit: string; interpretation: string }[];
}

export interface DeviceStatusReport {
  device: Device;
  /** Seconds since the device was last heard from; null if never. */
  silentForSec: number | null;
  /** True when the silence exceeds the offline threshold. */
  overdue: boolean;
}

export class DeviceService {
  readonly registry: DeviceRegistry;
  private readonly clock: Clock;
  private readonly policy: AlarmPolicy;
  private readonly batcher: Batcher<Observation>;
  private readonly newId: () => string;
  private lastReload = -Infinity;

  constructor(private readonly opts: DeviceServiceOptions) {
    this.clock = opts.clock ?? realClock;
    this.registry = opts.registry ?? new DeviceRegistry(() => this.clock.now());
    this.policy = { ...DEFAULT_ALARM_POLICY, ...opts.policy };
    this.newId = opts.newId ?? randomUUID;
    this.batcher = createBatcher({
      flush: opts.flushObservations,
      clock: this.clock,
      ...opts.batch,
      logger: opts.logger,
      onError: (err, items) => opts.logger?.error({ err, count: items.length }, "observations not written"),
    });
  }

  /**
   * Takes readings; alarms go out through `publish` (default: the service's). With `atomic` (MLLP: one message is all or nothing) any bad reading throws and
   * nothing is kept; otherwise bad readings are listed in `rejected` and the rest are taken.
   */
  async ingest(
    readings: readonly unknown[],
    {
      atomic = false,
      publish = this.opts.publish,
    }: { atomic?: boolean; publish?: DeviceServiceOptions["publish"] } = {},
  ): Promise<IngestResult> {
    await this.reloadIfUnknown(readings);
    const rejected: IngestResult["rejected"] = [];
    const good: InterpretedReading[] = [];
    readings.forEach((raw, index) => {
      const parsed = DeviceReadingSchema.safeParse(raw);
      if (!parsed.success) {
        rejected.push({
          index,
          reason: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
        });
        return;
      }
      const device = this.registry.get(parsed.data.deviceId);
      if (!device) {
        rejected.push({ index, reason: `unknown device ${parsed.data.deviceId}` });
        return;
      }
      const ir = interpretReading(parsed.data, this.opts.table, device.patientId);
      if (!ir) {
        rejected.push({ index, reason: `observation ${parsed.data.key ?? parsed.data.loinc} is not in loinc.json` });
        return;
      }
      good.push(ir);
    });
    if (atomic && rejected.length > 0) {
      const unknownDevice = rejected.every((r) => r.reason.startsWith("unknown device"));
      throw new HmsError(unknownDevice ? "NOT_FOUND" : "INVALID_INPUT", rejected.map((r) => r.reason).join("; "), {
        data: { rejected },
      });
    }
    const alarms: Alarm[] = [];
    const criticalDevices = new Set<string>();
    for (const ir of good) {
      // Liveness is when the device was heard from, not when it says it measured: a device
      // forwarding a backlog of old readings is alive right now.
      this.registry.heartbeat(ir.reading.deviceId, this.clock.now());
      this.batcher.add(toFhirObservation(ir, this.opts.table));
      const alarm = alarmForReading(ir, this.newId(), this.policy);
      if (alarm) {
        alarms.push(alarm);
        if (alarm.priority === "high") criticalDevices.add(ir.reading.deviceId);
      }
    }
    for (const ir of good) {
      const id = ir.reading.deviceId;
      const d = this.registry.get(id)!;
      if (criticalDevices.has(id) && d.status === "online") this.registry.setStatus(id, "alarm");
      else if (!criticalDevices.has(id) && d.status === "alarm") this.registry.setStatus(id, "online");
    }
    for (const alarm of alarms) await publish(ALARM_TOPIC, alarm);
    return {
      accepted: good.length,
      rejected,
      alarms,
      interpretations: good.map((g) => ({
        deviceId: g.reading.deviceId,
        key: g.entry.key,
        value: g.reading.value,
        unit: g.reading.unit,
        interpretation: g.interpretation,
      })),
    };
  }

  private async reloadIfUnknown(readings: readonly unknown[]): Promise<void> {
    const load = this.opts.loadDevices;
    if (!load) return;
    const unknown = readings.some((r) => {
      const id = (r as { deviceId?: unknown } | null)?.deviceId;
      return typeof id === "string" && !this.registry.get(id);
    });
    const now = this.clock.now();
    if (!unknown || now - this.lastReload < 1_000) return;
    this.lastReload = now;
    try {
      const devices = await load();
      if (devices) this.registry.restore(devices);
    } catch (err) {
      this.opts.logger?.warn({ err }, "device registry reload failed");
    }
  }

  /** Readings of the `device-reading` topic: never throws (bad data is logged), returns what was taken. */
  async onReadingTopic(data: unknown): Promise<IngestResult | null> {
    const list = Array.isArray(data) ? data : [data];
    try {
      return await this.ingest(list);
    } catch (err) {
      this.opts.logger?.warn({ err }, "device-reading message dropped");
      return null;
    }
  }

  /** Marks silent devices offline and publishes one technical alarm per newly silent device. */
  async checkOffline(): Promise<Alarm[]> {
    const now = this.clock.now();
    const alarms: Alarm[] = [];
    for (const d of findSilentDevices(this.registry.list(), now, this.policy)) {
      this.registry.setStatus(d.deviceId, "offline");
      const alarm = technicalAlarm(d, this.newId(), now);
      alarms.push(alarm);
      await this.opts.publish(ALARM_TOPIC, alarm);
    }
    return alarms;
  }

  status(deviceId: string): DeviceStatusReport {
    const device = this.registry.require(deviceId);
    const now = this.clock.now();
    const silentForSec = device.lastHeartbeat ? Math.max(0, (now - Date.parse(device.lastHeartbeat)) / 1000) : null;
    const overdue = findSilentDevices([{ ...device, status: "online" }], now, this.policy).length > 0;
    return { device, silentForSec, overdue };
  }

  /** Writes what is waiting in the batch now. */
  flush(): Promise<void> {
    return this.batcher.drain();
  }

  close(): Promise<void> {
    return this.batcher.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
