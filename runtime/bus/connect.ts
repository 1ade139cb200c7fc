import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  DiscardPolicy,
} from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { Logger } from "pino";
import { BUCKETS, HmsError, STREAMS, subjects } from "../../protocol/index.js";

export const DEFAULT_TASK_TTL_MS = 7 * 24 * 3600 * 1000;
export const DEFAULT_EVENTS_MAX_AGE_MS = 24 * 3600 * 1000;

export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  kv: { cards: KV; tasks: KV; snapshots: KV };
  /** Drains and closes the connection. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface ConnectBusOptions {
  url: string;
  /** Connection name shown in nats-server monitoring. */
  name: string;
  logger?: Logger;
  user?: string;
  pass?: string;
  token?: string;
}

/** Connects, makes sure the binding's streams and buckets exist, and opens them. */
export async function connectBus(opts: ConnectBusOptions): Promise<Bus> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: opts.url,
      name: opts.name,
      user: opts.user,
      pass: opts.pass,
      token: opts.token,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      noAsyncTraces: true,
    });
  } catch (err) {
    throw new HmsError("DEPENDENCY_FAILED", `cannot connect to NATS at ${opts.url}: ${(err as Error).message}`, {
      cause: err,
      data: { dependency: "nats", url: opts.url },
    });
  }
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "reconnect" || s.type === "error")
        opts.logger?.warn({ status: s.type }, "nats connection status");
    }
  })().catch(() => undefined);
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);
  const kvm = new Kvm(nc);
  const kvOpts = { history: 1, storage: StorageType.File } as const;
  const [cards, tasks, snapshots] = await Promise.all([
    kvm.create(BUCKETS.cards, { ...kvOpts, ttl: 0 }),
    kvm.create(BUCKETS.tasks, { ...kvOpts, ttl: DEFAULT_TASK_TTL_MS }),
    kvm.create(BUCKETS.snapshots, { ...kvOpts, ttl: 0 }),
  ]);
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    })());
  return { nc, js: jetstream(nc), jsm, kv: { cards, tasks, snapshots }, close, [Symbol.asyncDispose]: close };
}

/** Creates a stream unless it exists (another process may create it at the same moment). */
export async function ensureStream(
  jsm: JetStreamManager,
  cfg: Parameters<JetStreamManager["streams"]["add"]>[0] & { name: string },
): Promise<void> {
  try {
    await jsm.streams.info(cfg.name);
  } catch {
    try {
      await jsm.streams.add(cfg);
    } catch (err) {
      // Another process created it between our info and add.
      if (!/already in use|exists/i.test((err as Error).message)) throw err;
    }
  }
}

async function ensureStreams(jsm: JetStreamManager): Promise<void> {
  const ns = (ms: number) => ms * 1_000_000;
  await Promise.all([
    ensureStream(jsm, {
      name: STREAMS.taskEvents,
      subjects: [subjects.allTaskEvents()],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: ns(DEFAULT_EVENTS_MAX_AGE_MS),
      duplicate_window: ns(120_000),
    }),
    ensureStream(jsm, {
      name: STREAMS.work,
      subjects: [subjects.allWork()],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      duplicate_window: ns(120_000),
    }),
    ensureStream(jsm, {
      name: STREAMS.topics,
      subjects: [subjects.allTopics()],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: ns(DEFAULT_EVENTS_MAX_AGE_MS),
      max_msgs: 1_000_000,
      discard: DiscardPolicy.Old,
      duplicate_window: ns(120_000),
    }),
    ensureStream(jsm, {
      // The rpc adapters' journal of handled requests, for the inspector. The rpc subjects
      // themselves are not captured: a stream's interest would hide NATS "no responders".
      name: STREAMS.journal,
      subjects: ["obs.v1.*.journal.*"],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      no_ack: true,
      max_age: ns(DEFAULT_EVENTS_MAX_AGE_MS),
      max_msgs: 1_000_000,
      discard: DiscardPolicy.Old,
    }),
  ]);
}
