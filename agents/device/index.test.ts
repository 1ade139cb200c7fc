import { connect } from "node:net";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { AgentContext, SkillContext } from "../../runtime/index.js";
import type { Alarm, Device } from "../../protocol/clinical/device.js";
import { getValue, parseHl7 } from "./hl7/parser.js";
import { deviceAgent, frameMllp, simulateVitals, toOruR01 } from "./index.js";
import { MllpFramer } from "./mllp/framer.js";
import { loadLoincTable } from "./ranges.js";

const logger = pino({ level: "silent" });

function contexts() {
  const published: { topic: string; data: unknown }[] = [];
  const publish = async (topic: string, data: unknown) => void published.push({ topic, data });
  const kv = new Map<string, unknown>();
  const state = {
    load: async (k: string) => kv.get(k),
    save: async (k: string, v: unknown) => void kv.set(k, structuredClone(v)),
    delete: async (k: string) => void kv.delete(k),
    keys: async () => [...kv.keys()],
  };
  const agentCtx = {
    agentId: "device",
    tenant: "t",
    instanceId: "i",
    logger,
    signal: new AbortController().signal,
    state,
    call: async () => {
      throw new Error("no calls");
    },
    publish,
    subscribe: () => () => {},
  } as unknown as AgentContext;
  const skillCtx = {
    agentId: "device",
    taskId: "t1",
    contextId: "c1",
    traceId: "x",
    principal: { subject: "nurse-1", roles: ["nurse"] },
    logger,
    signal: new AbortController().signal,
    progress: async () => {},
    call: async () => {
      throw new Error("no");
    },
    publish,
    state,
    calls: [],
    redelivered: false,
  } as unknown as SkillContext;
  return { published, agentCtx, skillCtx };
}

function sendAndAck(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const framer = new MllpFramer();
    const s = connect(port, "127.0.0.1", () => s.write(frameMllp(message)));
    s.on("data", (b) => {
      for (const e of framer.push(b))
        if (e.kind === "frame") {
          resolve(e.payload.toString());
          s.destroy();
        }
    });
    s.on("error", reject);
  });
}

describe("device agent", () => {
  it("serves its skills: register, ingest, list and status", async () => {
    const { skillCtx, published } = contexts();
    const agent = deviceAgent({ mllp: false });
    const skill = (verb: string) => agent.skills.find((s) => s.verb === verb)!;
    await skill("register").handler(
      skill("register").input.parse({
        deviceId: "mon-9",
        type: "pulse-oximeter",
        manufacturer: "Acme",
        model: "P1",
        serial: "9",
        patientId: "p-9",
      }),
      skillCtx,
    );
    const res = await skill("ingest_readings").handler(
      skill("ingest_readings").input.parse({
        readings: [{ deviceId: "mon-9", loinc: "2708-6", value: 80, unit: "%", effective: new Date().toISOString() }],
      }),
      skillCtx,
    );
    expect(skill("ingest_readings").output.parse(res)).toMatchObject({
      accepted: 1,
      alarms: [{ priority: "high", patientId: "p-9" }],
    });
    expect(published.map((p) => p.topic)).toEqual(["alarm"]);
    const list = await skill("list").handler({ patientId: "p-9" }, skillCtx);
    expect((skill("list").output.parse(list) as { devices: Device[] }).devices.map((d) => d.status)).toEqual(["alarm"]);
    const st = await skill("get_status").handler({ deviceId: "mon-9" }, skillCtx);
    expect(skill("get_status").output.parse(st)).toMatchObject({ device: { deviceId: "mon-9" }, overdue: false });
    await expect(skill("get_status").handler({ deviceId: "nope" }, skillCtx)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("takes simulated monitor messages over MLLP, acknowledges them and raises alarms for critical vitals", async () => {
    const { agentCtx, skillCtx, published } = contexts();
    const table = loadLoincTable();
    let port = 0;
    const written: unknown[] = [];
    const agent = deviceAgent({
      mllp: { port: 0 },
      onMllpListening: (p) => (port = p),
      flushObservations: async (o) => void written.push(...o),
      batch: { maxSize: 1_000, maxDelayMs: 60_000 },
    });
    const sim = simulateVitals({ patients: 2, seed: 9, table, deteriorationChance: 0.05, rate: 60 });
    const register = agent.skills.find((s) => s.verb === "register")!;
    for (const d of sim.devices) await register.handler(register.input.parse(d), skillCtx);
    const running = await agent.start!(agentCtx);
    try {
      let n = 0;
      for (let i = 0; i < 60; i++) {
        const readings = sim.tick();
        for (const deviceId of new Set(readings.map((r) => r.deviceId))) {
          const ack = await sendAndAck(
            port,
            toOruR01(
              readings.filter((r) => r.deviceId === deviceId),
              table,
              { controlId: `M${++n}`, now: sim.now() },
            ),
          );
          const parsed = parseHl7(ack);
          if (!parsed.ok) throw new Error("bad ack");
          expect(getValue(parsed.message.segments[1], 1)).toBe("AA");
        }
      }
      const alarms = published.filter((p) => p.topic === "alarm").map((p) => p.data as Alarm);
      expect(alarms.length).toBeGreaterThan(0);
      expect(alarms.every((a) => a.priority === "high" && a.patientId?.startsWith("sim-patient-"))).toBe(true);
    } finally {
      await running?.close();
    }
    expect(written).toHaveLength(60 * 2 * 6);
  });
});
