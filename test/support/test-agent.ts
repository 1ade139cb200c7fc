import { z } from "zod";
import { defineAgent, defineSkill } from "../../runtime/index.js";
import { HmsError } from "../../protocol/index.js";

/** A small agent for runtime tests: echo, a slow counter with progress, failures of each kind. */
export const echo = defineSkill({
  verb: "echo_text",
  title: "Echo",
  description: "Returns the text it was given, upper-cased when asked.",
  input: z.object({ text: z.string().min(1), upper: z.boolean().default(false) }),
  output: z.object({ text: z.string(), by: z.string() }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  roles: ["clinician", "admin", "agent"],
  handler: async (input, ctx) => ({ text: input.upper ? input.text.toUpperCase() : input.text, by: ctx.agentId }),
});

export const lookup = defineSkill({
  verb: "lookup_code",
  title: "Look up a code",
  description: "A quick read-only lookup answered statelessly with a Message (no task stored).",
  input: z.object({ code: z.string().min(1) }),
  output: z.object({ code: z.string(), length: z.number().int() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  stateless: true,
  handler: async (input) => {
    if (input.code === "missing") throw new HmsError("NOT_FOUND", "no such code: missing");
    return { code: input.code, length: input.code.length };
  },
});

export const count = defineSkill({
  verb: "count_slowly",
  title: "Count slowly",
  description: "Counts to n, one step every stepMs, streaming each step as progress (transient progress when asked).",
  input: z.object({
    n: z.number().int().min(1).max(1000),
    stepMs: z.number().int().min(0).max(10_000).default(20),
    transient: z.boolean().default(false),
  }),
  output: z.object({ counted: z.number().int(), resumed: z.boolean(), pid: z.number().int() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  handler: async (input, ctx) => {
    for (let i = 1; i <= input.n; i++) {
      ctx.signal.throwIfAborted();
      await new Promise((r) => setTimeout(r, input.stepMs));
      await ctx.progress(`step ${i} of ${input.n}`, { step: i }, { transient: input.transient });
    }
    return { counted: input.n, resumed: ctx.redelivered, pid: process.pid };
  },
});

export const fail = defineSkill({
  verb: "fail_with",
  title: "Fail with a code",
  description: "Fails with the given error code (for error-path tests).",
  input: z.object({ code: z.enum(["NOT_FOUND", "CONSENT_DENIED", "INTERNAL", "CRASH"]) }),
  output: z.object({ never: z.boolean() }),
  handler: async (input) => {
    if (input.code === "CRASH") throw new TypeError("boom");
    throw new HmsError(input.code, `failing with ${input.code} as asked`);
  },
});

export const ask = defineSkill({
  verb: "ask_approval",
  title: "Ask for approval",
  description: "Parks the task in input-required until approve_task finishes it.",
  input: z.object({ what: z.string() }),
  output: z.object({ approved: z.boolean(), note: z.string() }),
  handler: async (input, ctx) => ctx.inputRequired(`approve ${input.what}?`, { what: input.what }),
});

export const approve = defineSkill({
  verb: "approve_task",
  title: "Approve a waiting task",
  description: "Finishes a task parked by ask_approval: completes it, or rejects it with a reason.",
  input: z.object({ taskId: z.string(), approve: z.boolean(), note: z.string() }),
  output: z.object({ finished: z.string() }),
  handler: async (input, ctx) => {
    await ctx.finishTask(
      input.taskId,
      input.approve
        ? { output: { approved: true, note: input.note } }
        : { error: { code: "REJECTED", message: input.note }, state: "rejected" },
    );
    return { finished: input.taskId };
  },
});

export const testAgent = defineAgent({
  id: "testbed",
  name: "Testbed agent",
  description: "Agent used by the runtime's own tests.",
  version: "0.0.1",
  skills: [echo, count, fail, ask, approve, lookup],
});
