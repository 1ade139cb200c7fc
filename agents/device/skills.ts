import { z } from "zod";
import {
  AlarmSchema,
  DeviceReadingSchema,
  DeviceRegistrationSchema,
  DeviceSchema,
  DeviceStatusSchema,
  InterpretationSchema,
} from "../../protocol/index.js";
import { defineSkill } from "../../runtime/index.js";
import type { AgentState } from "../../runtime/index.js";
import type { DeviceService } from "./service.js";

/** The device agent's skills; thin wrappers over DeviceService. */
export function deviceSkills(
  service: () => DeviceService,
  persist: (state: AgentState) => Promise<void> = async () => {},
) {
  const register = defineSkill({
    verb: "register",
    title: "Register a device",
    description:
      "Adds a medical device to the registry (or updates it): type, manufacturer, model, serial, location, assigned patient and expected reporting interval.",
    input: DeviceRegistrationSchema,
    output: z.object({ device: DeviceSchema }),
    annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: false },
    roles: ["clinician", "nurse", "admin", "agent"],
    handler: async (input, ctx) => {
      const device = service().registry.register(input);
      if (ctx.state) await persist(ctx.state);
      return { device };
    },
  });

  const ingest = defineSkill({
    verb: "ingest_readings",
    title: "Ingest device readings",
    description:
      "Takes vital-sign readings (loinc.json key or LOINC code, UCUM unit), interprets them against reference ranges, stores them as FHIR Observations in batches and raises alarms for critical values.",
    input: z.object({ readings: z.array(DeviceReadingSchema).min(1).max(5_000) }),
    output: z.object({
      accepted: z.number().int(),
      rejected: z.array(z.object({ index: z.number().int(), reason: z.string() })),
      alarms: z.array(AlarmSchema),
      interpretations: z.array(
        z.object({
          deviceId: z.string(),
          key: z.string(),
          value: z.number(),
          unit: z.string(),
          interpretation: InterpretationSchema,
        }),
      ),
    }),
    annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: false },
    roles: ["clinician", "nurse", "admin", "agent"],
    handler: async (input, ctx) => {
      const res = await service().ingest(
        input.readings.map((r) => ({ ...r, source: "tool" })),
        { publish: (t, d) => ctx.publish(t, d) },
      );
      return {
        ...res,
        interpretations: res.interpretations.map((i) => ({
          ...i,
          interpretation: InterpretationSchema.parse(i.interpretation),
        })),
      };
    },
  });

  const list = defineSkill({
    verb: "list",
    title: "List devices",
    description: "Lists registered devices, optionally by assigned patient, status or type.",
    input: z.object({
      patientId: z.string().optional(),
      status: DeviceStatusSchema.optional(),
      type: z.string().optional(),
    }),
    output: z.object({ devices: z.array(DeviceSchema) }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    handler: async (input) => ({ devices: service().registry.list(input) }),
  });

  const getStatus = defineSkill({
    verb: "get_status",
    title: "Get device status",
    description:
      "Status of one device: online, offline, alarm, maintenance or error; last heartbeat; seconds silent; whether it is overdue.",
    input: z.object({ deviceId: z.string().min(1) }),
    output: z.object({ device: DeviceSchema, silentForSec: z.number().nullable(), overdue: z.boolean() }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    handler: async (input) => service().status(input.deviceId),
  });

  return [register, ingest, list, getStatus] as const;
}
