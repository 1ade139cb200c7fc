import { assign, createActor, emit, fromCallback, setup, type EventObject, type Snapshot } from "xstate";
import type { AlarmPriority } from "../../protocol/index.js";
import type { Clock } from "../../runtime/index.js";

/**
 * The lifecycle of one alert: open → acknowledged → resolved, with escalation while open.
 * The escalation deadline is an absolute time in context (`escalateAt`, epoch ms), watched by an
 * invoked callback actor on an injected clock — not an `after` timer, which would not survive a
 * persisted snapshot being restored. On restore the watcher restarts from context, so an alert
 * whose deadline passed while the process was down escalates at once.
 */

export interface EscalationPolicy {
  /** Wait before each escalation step while unacknowledged. @defaultValue DEFAULT_ESCALATION.delayMs */
  delayMs: number;
  /** Highest tier an alert escalates to (tier 0 = first responders). @defaultValue DEFAULT_ESCALATION.maxTier */
  maxTier: number;
  /** Priorities that escalate. @defaultValue ["high"] */
  priorities: AlarmPriority[];
}

export const DEFAULT_ESCALATION: EscalationPolicy = { delayMs: 5 * 60_000, maxTier: 2, priorities: ["high"] };

export interface AlertMachineContext {
  alertId: string;
  priority: AlarmPriority;
  tier: number;
  /** Absolute epoch ms of the next escalation; null when none is pending. */
  escalateAt: number | null;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  resolvedAt: number | null;
  policy: EscalationPolicy;
}

export interface AlertMachineInput {
  alertId: string;
  priority: AlarmPriority;
  createdAt: number;
  policy: EscalationPolicy;
}

export type AlertMachineEvent =
  | { type: "ACK"; by: string; at: number }
  | { type: "RESOLVE"; at: number }
  /** A duplicate arrived; it may raise the priority (and so start escalation). */
  | { type: "REPEAT"; priority: AlarmPriority; at: number }
  | { type: "DEADLINE"; at: number };

export type AlertMachineEmitted = { type: "escalated"; alertId: string; tier: number; at: number };

/** Order of alarm priorities, low to high. */
export const PRIORITY_RANK: Record<AlarmPriority, number> = { low: 0, medium: 1, high: 2 };

export function higherPriority(a: AlarmPriority, b: AlarmPriority): AlarmPriority {
  return PRIORITY_RANK[a] >= PRIORITY_RANK[b] ? a : b;
}

function nextDeadline(policy: EscalationPolicy, priority: AlarmPriority, tier: number, from: number): number | null {
  return policy.priorities.includes(priority) && tier < policy.maxTier ? from + policy.delayMs : null;
}

export function createAlertMachine(clock: Clock) {
  return setup({
    types: {
      context: {} as AlertMachineContext,
      input: {} as AlertMachineInput,
      events: {} as AlertMachineEvent,
      emitted: {} as AlertMachineEmitted,
    },
    actors: {
      deadline: fromCallback<EventObject, { deadline: number }>(({ input, sendBack }) => {
        const handle = clock.setTimeout(
          () => sendBack({ type: "DEADLINE", at: clock.now() }),
          Math.max(0, input.deadline - clock.now()),
        );
        return () => clock.clearTimeout(handle);
      }),
    },
    guards: {
      hasDeadline: ({ context }) => context.escalateAt !== null,
    },
  }).createMachine({
    id: "alert",
    context: ({ input }) => ({
      alertId: input.alertId,
      priority: input.priority,
      tier: 0,
      escalateAt: nextDeadline(input.policy, input.priority, 0, input.createdAt),
      acknowledgedBy: null,
      acknowledgedAt: null,
      resolvedAt: null,
      policy: input.policy,
    }),
    initial: "open",
    states: {
      open: {
        initial: "check",
        states: {
          check: { always: [{ guard: "hasDeadline", target: "watching" }, { target: "quiet" }] },
          watching: {
            invoke: { src: "deadline", input: ({ context }) => ({ deadline: context.escalateAt! }) },
            on: {
              DEADLINE: {
                target: "check",
                reenter: true,
                actions: [
                  assign(({ context, event }) => {
                    const tier = context.tier + 1;
                    return { tier, escalateAt: nextDeadline(context.policy, context.priority, tier, event.at) };
                  }),
                  emit(({ context, event }) => ({
                    type: "escalated" as const,
                    alertId: context.alertId,
                    tier: context.tier,
                    at: event.at,
                  })),
                ],
              },
            },
          },
          quiet: {},
        },
        on: {
          ACK: {
            target: "acknowledged",
            actions: assign(({ event }) => ({ acknowledgedBy: event.by, acknowledgedAt: event.at, escalateAt: null })),
          },
          RESOLVE: { target: "resolved", actions: assign(({ event }) => ({ resolvedAt: event.at, escalateAt: null })) },
          REPEAT: {
            target: ".check",
            reenter: false,
            actions: assign(({ context, event }) => {
              const priority = higherPriority(context.priority, event.priority);
              const escalateAt = context.escalateAt ?? nextDeadline(context.policy, priority, context.tier, event.at);
              return { priority, escalateAt };
            }),
          },
        },
      },
      acknowledged: {
        on: {
          RESOLVE: { target: "resolved", actions: assign(({ event }) => ({ resolvedAt: event.at })) },
          REPEAT: {
            actions: assign(({ context, event }) => ({ priority: higherPriority(context.priority, event.priority) })),
          },
        },
      },
      resolved: { type: "final" },
    },
  });
}

export type AlertMachine = ReturnType<typeof createAlertMachine>;

/**
 * An actor for a persisted snapshot. The machine's input only seeds a fresh context; on restore the
 * context comes from the snapshot, so the input given here is a placeholder the types require.
 */
export function restoreAlertActor(machine: AlertMachine, snapshot: unknown) {
  return createActor(machine, {
    snapshot: snapshot as Snapshot<unknown>,
    input: { alertId: "", priority: "low", createdAt: 0, policy: DEFAULT_ESCALATION },
  });
}
