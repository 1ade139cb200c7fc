import {
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type OrderedConsumerOptions,
} from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { HEADERS, HmsError, STREAMS, subjects, traceIdOf } from "../protocol/index.js";
import type { RawMessage } from "./correlate.js";
import type { Since } from "./filter.js";

export type StoredSource = "events" | "journal" | "topics";
export const STORED_SOURCES: readonly StoredSource[] = ["events", "journal", "topics"];
const STREAM_OF: Record<StoredSource, string> = {
  events: STREAMS.taskEvents,
  journal: STREAMS.journal,
  topics: STREAMS.topics,
};
/** Messages each consumer may hold unread: the bound on memory per reader, whatever the burst. */
export const DEFAULT_CONSUMER_BUFFER = 256;

export interface BusDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  tenant: string;
}

export const subjectOf = (src: StoredSource, tenant: string): string =>
  src === "events"
    ? subjects.allTaskEvents(tenant)
    : src === "journal"
      ? subjects.allJournal(tenant)
      : subjects.allTopics(tenant);

type Start = Partial<OrderedConsumerOptions>;

/** A JetStream ordered consumer read one message at a time, so replay can be merged across streams. */
export interface Cursor {
  src: StoredSource;
  /** Messages stored when the cursor opened that it has not yet handed out. */
  backlog: boolean;
  head?: JsMsg;
  next(): Promise<JsMsg | undefined>;
  close(): Promise<void>;
}

export const rawOf = (src: RawMessage["src"], m: JsMsg): RawMessage => ({
  src,
  subject: m.subject,
  seq: m.seq,
  at: new Date(Math.floor(Number(m.info.timestampNanos) / 1_000_000)),
  headers: m.headers,
  data: m.data,
});

export async function openCursor(
  d: BusDeps,
  src: StoredSource,
  start: Start,
  subject = subjectOf(src, d.tenant),
): Promise<Cursor> {
  const consumer = await d.js.consumers.get(STREAM_OF[src], { filter_subjects: subject, ...start });
  const pending = (await consumer.info(true)).num_pending;
  const messages: ConsumerMessages = await consumer.consume({ max_messages: DEFAULT_CONSUMER_BUFFER });
  const it = messages[Symbol.asyncIterator]();
  let closed = false;
  return {
    src,
    backlog: pending > 0,
    async next() {
      if (closed) return undefined;
      const r = await it.next();
      return r.done ? undefined : r.value;
    },
    async close() {
      if (closed) return;
      closed = true;
      // close() waits for the iterator to be drained, which a reader that stopped midway never does.
      messages.stop();
      await it.return?.().catch(() => undefined);
    },
  };
}

/** Consumer start options for a replay point, per stream (a sequence in one stream is a time in the others). */
export async function startsFor(d: BusDeps, since: Since | undefined): Promise<Record<StoredSource, Start>> {
  const at = (t: Date): Start => ({ deliver_policy: DeliverPolicy.StartTime, opt_start_time: t.toISOString() });
  const all = (s: Start) => ({ events: s, journal: s, topics: s });
  if (!since) return all({ deliver_policy: DeliverPolicy.New });
  if (since.kind === "time") return all(at(since.at));
  const msg = await d.jsm.streams.getMessage(STREAM_OF[since.src], { seq: since.seq }).catch(() => null);
  const time = msg ? msg.time : new Date();
  return { ...all(at(time)), [since.src]: { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: since.seq } };
}

const nanos = (m: JsMsg): number => Number(m.info.timestampNanos);

/**
 * Yields the stored backlog of several cursors merged in time order (stream order within each),
 * one message ahead per stream, so the replay needs no more memory than the consumers' buffers.
 * Stops a cursor at its first message newer than `until`. The cursors stay open for live use.
 */
export async function* mergeBacklog(cursors: Cursor[], until?: Date): AsyncGenerator<RawMessage> {
  const limit = until ? until.getTime() * 1_000_000 : undefined;
  const live = cursors.filter((c) => c.backlog);
  for (const c of live) c.head = await c.next();
  for (;;) {
    let best: Cursor | undefined;
    for (const c of live) {
      if (!c.head || (limit !== undefined && nanos(c.head) > limit)) continue;
      if (!best || nanos(c.head) < nanos(best.head!)) best = c;
    }
    if (!best) break;
    const m = best.head!;
    yield rawOf(best.src, m);
    best.head = m.info.pending > 0 ? await best.next() : undefined;
  }
  // A head past `until` or the end of the backlog is handed to the live phase, not lost.
}

/** Core-NATS XState inspection of a tenant (not stored, so live only). */
export function subscribeXstate(d: BusDeps, fn: (m: RawMessage) => void): Subscription {
  return d.nc.subscribe(subjects.allXstate(d.tenant), {
    callback: (err, m) =>
      void (err ? undefined : fn({ src: "xstate", subject: m.subject, at: new Date(), data: m.data })),
  });
}

/** The stored message behind a record cursor (`e:12`), unredacted, for an audited reveal. */
export async function storedMessage(
  d: BusDeps,
  id: string,
): Promise<{ subject: string; at: string; traceId?: string; payload: unknown }> {
  const m = /^([ejt]):(\d+)$/.exec(id);
  if (!m) throw new HmsError("INVALID_INPUT", `not a stored record id: ${id}`);
  const src: StoredSource = m[1] === "e" ? "events" : m[1] === "j" ? "journal" : "topics";
  const msg = await d.jsm.streams.getMessage(STREAM_OF[src], { seq: Number(m[2]) }).catch(() => null);
  const prefix = src === "journal" ? subjects.obsPrefix(d.tenant) : subjects.a2aPrefix(d.tenant);
  if (!msg || !msg.subject.startsWith(prefix))
    throw new HmsError("NOT_FOUND", `no stored message ${id} on this tenant`);
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(msg.data));
  } catch {
    payload = new TextDecoder().decode(msg.data);
  }
  return {
    subject: msg.subject,
    at: msg.time.toISOString(),
    traceId: traceIdOf(msg.header?.get(HEADERS.traceparent)),
    payload,
  };
}

/** The first stored event of a task (its creation), or undefined when the stream no longer has it. */
export async function firstEvent(d: BusDeps, taskId: string): Promise<RawMessage | undefined> {
  const c = await openCursor(d, "events", { deliver_policy: DeliverPolicy.All }, subjects.taskEvents(d.tenant, taskId));
  try {
    if (!c.backlog) return undefined;
    const m = await c.next();
    return m ? rawOf("events", m) : undefined;
  } finally {
    await c.close();
  }
}
