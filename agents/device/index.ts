import type { Observation } from "fhir/r4.js";
import type { Logger } from "pino";
import { defineAgent, realClock, type AgentContext, type AgentState, type Clock } from "../../runtime/index.js";
import { FhirClient } from "../../runtime/index.js";
import type { Device } from "../../protocol/index.js";
import type { AlarmPolicy } from "./alarms.js";
import { fhirObservationWriter } from "./fhir-writer.js";
import { createOruHandler } from "./hl7/handler.js";
import { startMllpListener, type MllpListener } from "./mllp/listener.js";
import { loadLoincTable, type LoincTable } from "./ranges.js";
import { DeviceService } from "./service.js";
import { deviceSkills } from "./skills.js";

/**
 * Device agent: registry, readings from topic `device-reading`, the `device_ingest_readings` tool
 * and HL7 v2 ORU^R01 over MLLP (IHE PCD-01), FHIR Observations in batches, alarms on topic `alarm`.
 */

export interface DeviceAgentOptions {
  /** FHIR R4 base URL where Observations are written (transaction of conditional creates). */
  fhirBaseUrl?: string;
  fhirToken?: string;
  /** Resilience settings of the FHIR client (see FhirClientOptions). */
  fhir?: {
    timeoutMs?: number;
    retries?: number;
    backoffMs?: number;
    breakerThreshold?: number;
    halfOpenAfterMs?: number;
  };
  /** Directory holding loinc.json; the composition root passes HMS_REFERENCE_DIR. @defaultValue `clinical/reference/data` */
  referenceDir?: string;
  /** Writes a batch of Observations. @defaultValue a FHIR transaction to fhirBaseUrl; with neither, drop with a debug log */
  flushObservations?: (observations: Observation[]) => Promise<void>;
  /** MLLP listener; false to disable. @defaultValue { port: 0, host: "127.0.0.1" } */
  mllp?: false | { port?: number; host?: string; maxFrameBytes?: number; idleTimeoutMs?: number };
  /** How often to look for silent devices. @defaultValue DEFAULT_OFFLINE_CHECK_MS */
  offlineCheckMs?: number;
  batch?: { maxSize?: number; maxDelayMs?: number };
  policy?: Partial<AlarmPolicy>;
  clock?: Clock;
  logger?: Logger;
  /** Called once the MLLP port is bound (tests, CLI output). */
  onMllpListening?: (port: number) => void;
}

export const DEFAULT_OFFLINE_CHECK_MS = 15_000;
/** Keys of the device agent's durable state. */
export const REGISTRY_STATE_KEY = "registry";
export const MLLP_STATE_KEY = "mllp";

/** Where the device agent's MLLP listener is (saved in its state under MLLP_STATE_KEY). */
export interface MllpEndpoint {
  host: string;
  port: number;
  instanceId: string;
  at: string;
}

export function deviceAgent(opts: DeviceAgentOptions = {}) {
  const table: LoincTable = loadLoincTable(opts.referenceDir);
  let publish: (topicType: string, data: unknown) => Promise<void> = async () => {};
  let state: AgentState | undefined;
  const fhir =
    opts.fhirBaseUrl && opts.logger
      ? new FhirClient({
          baseUrl: opts.fhirBaseUrl,
          logger: opts.logger.child({ agentId: "device" }),
          ...(opts.fhirToken ? { bearerToken: opts.fhirToken } : {}),
          ...opts.fhir,
        })
      : undefined;
  const flush =
    opts.flushObservations ??
    (fhir
      ? fhirObservationWriter(fhir, (o) => void publish("call-outcome", o).catch(() => undefined))
      : async (obs: Observation[]) =>
          opts.logger?.debug({ count: obs.length }, "observations dropped: no flush target"));
  const service = new DeviceService({
    table,
    clock: opts.clock ?? realClock,
    batch: opts.batch,
    policy: opts.policy,
    logger: opts.logger,
    publish: (t, d) => publish(t, d),
    flushObservations: flush,
    loadDevices: async () => state?.load<Device[]>(REGISTRY_STATE_KEY),
  });
  const saveRegistry = async (s: AgentState | undefined = state) => {
    await s?.save(REGISTRY_STATE_KEY, service.registry.snapshot());
  };

  return defineAgent({
    id: "device",
    name: "Device agent",
    description:
      "Medical device registry and vital-sign ingestion (topic, tool, HL7 v2 ORU^R01 over MLLP), FHIR Observations with LOINC/UCUM and range interpretation, alarms for critical values and silent devices.",
    version: "0.1.0",
    skills: deviceSkills(
      () => service,
      (s) => saveRegistry(s),
    ),
    start: async (ctx: AgentContext) => {
      publish = ctx.publish;
      state = ctx.state;
      const saved = await ctx.state.load<Device[]>(REGISTRY_STATE_KEY).catch((err: unknown) => {
        ctx.logger.warn({ err }, "device registry not loaded");
        return undefined;
      });
      if (saved) service.registry.restore(saved);
      const unsubs = [
        ctx.subscribe("device-reading", "*", (data) => service.onReadingTopic(data).then(() => undefined)),
        ctx.subscribe("device-heartbeat", "*", (data) => {
          const id = (data as { deviceId?: unknown })?.deviceId;
          if (typeof id === "string" && service.registry.get(id)) service.registry.heartbeat(id);
        }),
      ];
      let listener: MllpListener | undefined;
      if (opts.mllp !== false) {
        const handler = createOruHandler({
          table,
          logger: ctx.logger,
          deliver: async (readings) => void (await service.ingest(readings, { atomic: true })),
        });
        listener = await startMllpListener({ ...opts.mllp, onMessage: handler, logger: ctx.logger });
        const endpoint: MllpEndpoint = {
          host: listener.host,
          port: listener.port,
          instanceId: ctx.instanceId,
          at: new Date().toISOString(),
        };
        await ctx.state
          .save(MLLP_STATE_KEY, endpoint)
          .catch((err: unknown) => ctx.logger.warn({ err }, "mllp endpoint not saved"));
        opts.onMllpListening?.(listener.port);
      }
      const timer = setInterval(() => {
        service
          .checkOffline()
          .then(() => saveRegistry())
          .catch((err: unknown) => ctx.logger.error({ err }, "offline check failed"));
      }, opts.offlineCheckMs ?? DEFAULT_OFFLINE_CHECK_MS);
      timer.unref();
      return {
        close: async () => {
          clearInterval(timer);
          for (const u of unsubs) u();
          await listener?.close();
          await service.close();
          await saveRegistry().catch((err: unknown) => ctx.logger.warn({ err }, "device registry not saved"));
        },
      };
    },
  });
}

export { DeviceService } from "./service.js";
export { fhirObservationWriter, observationTransaction } from "./fhir-writer.js";
export { loadLoincTable } from "./ranges.js";
export { DeviceRegistry } from "./registry.js";
export { simulateVitals } from "./simulator.js";
export { toOruR01 } from "./hl7/generator.js";
export { frameMllp, MllpFramer } from "./mllp/framer.js";
export { getValue, parseHl7 } from "./hl7/parser.js";
export { isCritical, interpretValue } from "./ranges.js";
