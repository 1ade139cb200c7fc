import type { Logger } from "pino";
import { connectBus } from "../runtime/index.js";
import { openInspector, parseFilter, parseSince, type Conversation, type InspectorRecord } from "../inspector/index.js";
import { out, paint, useColor, type Colour } from "./output.js";

export interface InspectCommandOptions {
  natsUrl: string;
  /** @defaultValue "default" */
  tenant?: string;
  logger: Logger;
  natsUser?: string;
  natsPass?: string;
  natsToken?: string;
  agent?: string;
  /** With `follow` false (the default): print this task's conversation and return. */
  task?: string;
  trace?: string;
  patient?: string;
  method?: string;
  event?: string;
  heartbeats?: boolean;
  xstate?: boolean;
  /** Replay from a sequence (`120`, `e:120`), a duration (`5m`) or an ISO time before following. */
  since?: string;
  json?: boolean;
  /** @defaultValue stdout is a terminal and NO_COLOR is unset */
  color?: boolean;
  /** With `task`: keep tailing that task after printing its conversation. */
  follow?: boolean;
  /** HMAC key of patient pseudonyms (share it with the gateway so both show the same ones). */
  pseudonymKey?: string;
  /** @defaultValue writes the line to stdout */
  out?: (line: string) => void;
  /** Stops the tail; without one it runs until SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** Called once the replay is printed and the tail is live. */
  onLive?: (replayed: number) => void;
}

type Paint = (c: Colour, s: string) => string;
const painter =
  (on: boolean): Paint =>
  (c, s) =>
    paint(c, s, on);
const short = (id: string | undefined) => (id ? id.slice(0, 8) : "-");
const KIND_COLOR = { rpc: "blue", task: "cyan", topic: "magenta", xstate: "dim" } as const;

/** One line of the terminal tail: time, from → to, event, method, task, trace, summary. */
export function formatRecord(r: InspectorRecord, color = false): string {
  const p = painter(color);
  const time = r.at.slice(11, 23);
  const state =
    r.state && /FAILED|REJECTED|CANCELED/.test(r.state)
      ? p("red", r.summary)
      : r.state === "COMPLETED"
        ? p("green", r.summary)
        : r.summary;
  return [
    p("dim", time),
    `${r.from} → ${r.to}`.padEnd(24),
    p(KIND_COLOR[r.kind], r.event.padEnd(14)),
    (r.method ?? "-").padEnd(16),
    `task ${short(r.taskId)}`,
    `trace ${short(r.traceId)}`,
    r.patient ? p("yellow", r.patient) : "",
    state,
  ]
    .filter(Boolean)
    .join("  ");
}

/** The conversation of one task: every record with its offset from the first, then per-task timings. */
export function formatConversation(c: Conversation, color = false): string[] {
  const p = painter(color);
  const first = c.records[0];
  const t0 = first ? Date.parse(first.at) : 0;
  const lines = [
    p(
      "cyan",
      `conversation of task ${c.taskId}  trace ${c.traceId ?? "-"}${c.patient ? `  patient ${c.patient}` : ""}`,
    ),
    `participants: ${c.participants.join(", ")}`,
  ];
  for (const r of c.records)
    lines.push(`${p("dim", `+${String(Date.parse(r.at) - t0).padStart(6)}ms`)}  ${formatRecord(r, color)}`);
  for (const t of c.tasks)
    lines.push(
      `  ${t.caller} → ${t.agentId}  ${t.skill ?? "?"}  ${t.state}${t.ms === undefined ? "" : `  ${t.ms}ms`}  task ${short(t.taskId)}`,
    );
  return lines;
}

/**
 * `hms inspect`: a live tail of the A2A traffic of a tenant (rpc journal, task events, topic facts),
 * redacted by the inspector's allowlist, coloured on a terminal or as JSON lines with `json`.
 */
export async function inspectCommand(opts: InspectCommandOptions): Promise<void> {
  const write = opts.out ?? out;
  const color = opts.color ?? useColor();
  const filter = parseFilter({
    agent: opts.agent,
    task: opts.task,
    trace: opts.trace,
    patient: opts.patient,
    method: opts.method,
    event: opts.event,
    heartbeats: opts.heartbeats,
    xstate: opts.xstate,
  });
  const since = opts.since ? parseSince(opts.since) : undefined;
  await using bus = await connectBus({
    url: opts.natsUrl,
    name: "hms-inspect",
    logger: opts.logger,
    user: opts.natsUser,
    pass: opts.natsPass,
    token: opts.natsToken,
  });
  await using insp = await openInspector({
    nc: bus.nc,
    tenant: opts.tenant,
    logger: opts.logger,
    redaction: { pseudonymKey: opts.pseudonymKey },
  });
  const print = (r: InspectorRecord) => write(opts.json ? JSON.stringify(r) : formatRecord(r, color));

  if (opts.task && !opts.follow) {
    const c = await insp.conversation(opts.task);
    if (opts.json) for (const r of c.records) write(JSON.stringify(r));
    else for (const l of formatConversation(c, color)) write(l);
    return;
  }
  const stop = opts.signal ?? signalOnExit();
  if (stop.aborted) return;
  const feed = await insp.feed({ filter, since, onRecord: print, signal: stop });
  opts.onLive?.(await feed.live);
  await feed.done;
}

function signalOnExit(): AbortSignal {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return ac.signal;
}
