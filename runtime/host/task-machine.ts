import { fromPromise, setup } from "xstate";

/**
 * The lifecycle of one task inside an agent: working until the skill settles, then a final state
 * that mirrors the A2A terminal state. CANCEL moves it to canceled at once; the skill's promise
 * is abandoned (its signal is aborted by the worker) and its result ignored.
 */
export const taskMachine = setup({
  types: {
    context: {} as { run: (signal: AbortSignal) => Promise<unknown>; output?: unknown; error?: unknown },
    input: {} as { run: (signal: AbortSignal) => Promise<unknown> },
    events: {} as { type: "CANCEL" },
  },
  actors: {
    runSkill: fromPromise<unknown, { run: (signal: AbortSignal) => Promise<unknown> }>(({ input, signal }) =>
      input.run(signal),
    ),
  },
}).createMachine({
  id: "task",
  context: ({ input }) => ({ run: input.run }),
  initial: "working",
  states: {
    working: {
      invoke: {
        src: "runSkill",
        input: ({ context }) => ({ run: context.run }),
        onDone: { target: "succeeded", actions: ({ context, event }) => void (context.output = event.output) },
        onError: { target: "failed", actions: ({ context, event }) => void (context.error = event.error) },
      },
      on: { CANCEL: "canceled" },
    },
    succeeded: { type: "final" },
    failed: { type: "final" },
    canceled: { type: "final" },
  },
});
