import { z } from "zod";
import { defineAgent, defineSkill } from "../../runtime/index.js";

/**
 * An agent that talks to another one, so the inspector has multi-agent conversations to show:
 * `relay_note` asks testbed to echo a note about a patient, then to count a few steps.
 */
export const relay = defineSkill({
  verb: "relay_note",
  title: "Relay a note",
  description: "Has the testbed agent echo a note about a patient, then count `steps` steps.",
  input: z.object({
    patientId: z.string().min(1),
    note: z.string().min(1),
    steps: z.number().int().min(1).max(50).default(2),
  }),
  output: z.object({ echoed: z.string(), counted: z.number().int(), patientId: z.string() }),
  annotations: { readOnlyHint: true },
  handler: async (input, ctx) => {
    const echoed = await ctx.call<{ text: string }>("testbed", "echo_text", {
      text: `${input.note} (${input.patientId})`,
      upper: false,
    });
    const counted = await ctx.call<{ counted: number }>("testbed", "count_slowly", { n: input.steps, stepMs: 1 });
    return { echoed: echoed.text, counted: counted.counted, patientId: input.patientId };
  },
});

export const chattyAgent = defineAgent({
  id: "chatty",
  name: "Chatty agent",
  description: "Test agent that calls the testbed agent (multi-agent conversations for the inspector).",
  version: "0.0.1",
  skills: [relay],
});
