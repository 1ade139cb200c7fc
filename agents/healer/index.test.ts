import pino from "pino";
import { SimulatedClock } from "xstate";
import { describe, expect, it } from "vitest";
import type { HealingAction, HealthStatus } from "../../protocol/clinical/device.js";
import type { SkillContext } from "../../runtime/index.js";
import { healerAgent } from "./index.js";

const ctx = { logger: pino({ level: "silent" }) } as unknown as SkillContext;

describe("healer agent skills", () => {
  it("reports status, heals on request and lists the journal", async () => {
    const clock = new SimulatedClock();
    clock.set(1_000);
    const agent = healerAgent({ clock });
    const skill = (verb: string) => agent.skills.find((s) => s.verb === verb)!;
    type Out = { components: HealthStatus[]; action: HealingAction; actions: HealingAction[] };
    const run = async (verb: string, input: unknown) =>
      skill(verb).output.parse(await skill(verb).handler(skill(verb).input.parse(input), ctx)) as Out;
    expect((await run("get_status", { component: "ehr" })).components[0]?.status).toBe("unknown");
    const healed = await run("heal_component", { component: "fhir" });
    expect(healed.action).toMatchObject({ component: "fhir", strategy: "circuit-open", status: "succeeded" });
    await expect(skill("heal_component").handler({ component: "ehr", strategy: "restart" }, ctx)).rejects.toMatchObject(
      { code: "UNSUPPORTED_OPERATION" },
    );
    const journal = await run("list_actions", {});
    expect(journal.actions).toHaveLength(1);
  });
});
