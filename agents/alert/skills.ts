import { z } from "zod";
import { AlarmPrioritySchema, AlertSchema, AlertStateSchema, CdsCardSchema } from "../../protocol/index.js";
import { defineSkill } from "../../runtime/index.js";
import type { AlertService } from "./service.js";

/** The alert agent's skills; thin wrappers over AlertService. */
export function alertSkills(service: () => Promise<AlertService>) {
  const list = defineSkill({
    verb: "list",
    title: "List alerts",
    description:
      "Lists alerts, most urgent first, optionally by patient, priority (high, medium, low) and state (open, acknowledged, resolved).",
    input: z.object({
      patientId: z.string().optional(),
      priority: AlarmPrioritySchema.optional(),
      state: AlertStateSchema.optional(),
      limit: z.number().int().min(1).max(500).default(50),
    }),
    output: z.object({ alerts: z.array(AlertSchema), total: z.number().int() }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    handler: async ({ limit, ...filter }) => {
      const all = (await service()).list(filter);
      return { alerts: all.slice(0, limit), total: all.length };
    },
  });

  const acknowledge = defineSkill({
    verb: "acknowledge",
    title: "Acknowledge an alert",
    description: "Acknowledges an open alert as the calling user; this stops its escalation.",
    input: z.object({ alertId: z.string().min(1) }),
    output: z.object({ alert: AlertSchema }),
    annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: false },
    roles: ["clinician", "nurse", "admin"],
    handler: async ({ alertId }, ctx) => ({
      alert: (await service()).acknowledge(alertId, ctx.principal?.subject ?? "unknown"),
    }),
  });

  const getCards = defineSkill({
    verb: "get_cards",
    title: "Get CDS Hooks cards",
    description:
      "Open alerts as CDS Hooks cards (summary under 140 characters, indicator info/warning/critical, source, suggestions), optionally for one patient.",
    input: z.object({ patientId: z.string().optional() }),
    output: z.object({ cards: z.array(CdsCardSchema) }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    handler: async ({ patientId }) => ({ cards: (await service()).cards(patientId) }),
  });

  return [list, acknowledge, getCards] as const;
}
