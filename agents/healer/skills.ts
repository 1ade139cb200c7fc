import { z } from "zod";
import { HealingActionSchema, HealingStrategySchema, HealthStatusSchema } from "../../protocol/index.js";
import { defineSkill } from "../../runtime/index.js";
import type { Healer } from "./service.js";

/** The healer agent's skills; thin wrappers over Healer. */
export function healerSkills(healer: () => Healer) {
  const getStatus = defineSkill({
    verb: "get_status",
    title: "Get component health",
    description:
      "Health of every agent and dependency (or one): healthy, degraded, unhealthy or unknown, with last check, response time, error rate and circuit state.",
    input: z.object({ component: z.string().optional() }),
    output: z.object({ components: z.array(HealthStatusSchema) }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    handler: async ({ component }) => ({ components: healer().status(component) }),
  });

  const heal = defineSkill({
    verb: "heal_component",
    title: "Heal a component",
    description:
      "Heals a component now: restart its process (with OTP-style restart limits and back-off), fail over, or open/close a circuit. Without a strategy the healer picks one.",
    input: z.object({ component: z.string().min(1), strategy: HealingStrategySchema.optional() }),
    output: z.object({ action: HealingActionSchema }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    roles: ["admin", "agent"],
    handler: async ({ component, strategy }) => ({ action: await healer().heal(component, strategy) }),
  });

  const listActions = defineSkill({
    verb: "list_actions",
    title: "List healing actions",
    description:
      "The journal of healing actions, newest first: component, strategy, status, start and finish times, error.",
    input: z.object({
      component: z.string().optional(),
      strategy: HealingStrategySchema.optional(),
      limit: z.number().int().min(1).max(1_000).default(100),
    }),
    output: z.object({ actions: z.array(HealingActionSchema) }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    handler: async (filter) => ({ actions: healer().actions(filter) }),
  });

  return [getStatus, heal, listActions] as const;
}
