import pino from "pino";
import { SimulatedClock } from "xstate";
import { describe, expect, it } from "vitest";
import type { Alert, CdsCard } from "../../protocol/clinical/device.js";
import type { AgentContext, SkillContext } from "../../runtime/index.js";
import { alertAgent } from "./index.js";

const logger = pino({ level: "silent" });

describe("alert agent", () => {
  it("turns topic events into alerts and serves list, acknowledge and cards", async () => {
    const clock = new SimulatedClock();
    clock.set(Date.UTC(2025, 0, 1));
    const handlers = new Map<string, (data: unknown) => void>();
    const published: string[] = [];
    const kv = new Map<string, unknown>();
    const state = {
      load: async (k: string) => kv.get(k),
      save: async (k: string, v: unknown) => void kv.set(k, structuredClone(v)),
      delete: async (k: string) => void kv.delete(k),
      keys: async () => [...kv.keys()],
    };
    const agentCtx = {
      agentId: "alert",
      tenant: "t",
      instanceId: "i",
      logger,
      signal: new AbortController().signal,
      state,
      publish: async (t: string) => void published.push(t),
      subscribe: (type: string, _src: string, fn: (d: unknown) => void) => {
        handlers.set(type, fn);
        return () => {};
      },
    } as unknown as AgentContext;
    const skillCtx = { principal: { subject: "dr-who", roles: ["clinician"] }, logger } as unknown as SkillContext;
    const agent = alertAgent({ clock, escalation: { delayMs: 1_000 } });
    const running = await agent.start!(agentCtx);
    const at = new Date(clock.now()).toISOString();
    for (let i = 0; i < 5; i++) {
      handlers.get("alarm")!({
        alarmId: `a${i}`,
        kind: "physiological",
        priority: "high",
        deviceId: "m1",
        patientId: "p-1",
        condition: "spo2:critical-low",
        message: "SpO2 84 % critical low",
        raisedAt: at,
      });
    }
    handlers.get("critical-finding")!({ patientId: "p-1", ruleId: "r1", message: "Live vaccine on anti-TNF", at });
    handlers.get("alarm")!({ nonsense: true });
    const skill = (verb: string) => agent.skills.find((s) => s.verb === verb)!;
    const list = skill("list").output.parse(
      await skill("list").handler(skill("list").input.parse({ patientId: "p-1" }), skillCtx),
    ) as { alerts: Alert[]; total: number };
    expect(list.total).toBe(2);
    const spo2 = list.alerts.find((a) => a.condition === "spo2:critical-low")!;
    expect(spo2.occurrences).toBe(5);
    const acked = await skill("acknowledge").handler({ alertId: spo2.alertId }, skillCtx);
    expect(skill("acknowledge").output.parse(acked).alert).toMatchObject({
      state: "acknowledged",
      acknowledgedBy: "dr-who",
    });
    const { cards } = skill("get_cards").output.parse(
      await skill("get_cards").handler({ patientId: "p-1" }, skillCtx),
    ) as { cards: CdsCard[] };
    expect(cards.map((c) => c.indicator)).toEqual(["critical"]);
    clock.increment(1_000);
    await running?.close();
    expect(published.filter((t) => t === "alert")).toHaveLength(3); // two new, one escalation of the finding
    expect((kv.get("alerts") as { alerts: unknown[] }).alerts).toHaveLength(2);
  });
});
