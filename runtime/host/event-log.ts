import { headers as natsHeaders, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";
import { HEADERS, STREAMS, StreamResponseSchema, subjects, type WireStreamResponse } from "../../protocol/index.js";

export interface SequencedEvent {
  seq: number;
  event: WireStreamResponse;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Publishes one task event into JetStream, numbered per task (A2A-Seq), deduplicated by (task, seq). */
export async function appendEvent(
  js: JetStreamClient,
  tenant: string,
  taskId: string,
  seq: number,
  event: WireStreamResponse,
  traceparent?: string,
): Promise<void> {
  const h = natsHeaders();
  h.set(HEADERS.seq, String(seq));
  h.set(HEADERS.taskId, taskId);
  if (traceparent) h.set(HEADERS.traceparent, traceparent);
  // msgID makes a retried append after a lost ack a no-op (stream duplicate window).
  await js.publish(subjects.taskEvents(tenant, taskId), enc.encode(JSON.stringify(event)), {
    headers: h,
    msgID: `${taskId}:${seq}`,
  });
}

function decode(data: Uint8Array, hdrs: { get(k: string): string } | undefined): SequencedEvent | undefined {
  const seq = Number(hdrs?.get(HEADERS.seq));
  const parsed = StreamResponseSchema.safeParse(JSON.parse(dec.decode(data)));
  if (!parsed.success || !Number.isInteger(seq)) return undefined;
  return { seq, event: parsed.data };
}

/**
 * Live events of a task through a core-NATS subscription (JetStream-stored messages are also
 * delivered to plain subscribers). Subscribe before the work is handed over so nothing is missed.
 */
export function liveEvents(
  nc: NatsConnection,
  tenant: string,
  taskId: string,
): { sub: Subscription; next(timeoutMs: number): Promise<SequencedEvent | undefined> } {
  const queue: SequencedEvent[] = [];
  let wake: (() => void) | undefined;
  const sub = nc.subscribe(subjects.taskEvents(tenant, taskId), {
    callback: (err, msg) => {
      if (err) return;
      const e = decode(msg.data, msg.headers);
      if (e) {
        queue.push(e);
        wake?.();
      }
    },
  });
  return {
    sub,
    async next(timeoutMs: number) {
      if (queue.length) return queue.shift();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
      return queue.shift();
    },
  };
}

/** Stored events of a task with A2A-Seq > afterSeq, in order (an ordered consumer replays JetStream). */
export async function storedEvents(
  js: JetStreamClient,
  tenant: string,
  taskId: string,
  afterSeq: number,
): Promise<SequencedEvent[]> {
  const consumer = await js.consumers.get(STREAMS.taskEvents, {
    filter_subjects: subjects.taskEvents(tenant, taskId),
    deliver_policy: DeliverPolicy.All,
  });
  const info = await consumer.info(true);
  const pending = info.num_pending;
  const out: SequencedEvent[] = [];
  if (pending === 0) return out;
  const msgs = await consumer.fetch({ max_messages: pending, expires: 2_000 });
  for await (const m of msgs) {
    const e = decode(m.data, m.headers);
    if (e && e.seq > afterSeq) out.push(e);
    if (m.info.pending === 0) break;
  }
  await consumer.delete().catch(() => undefined);
  return out;
}
