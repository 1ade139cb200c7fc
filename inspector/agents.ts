import type { Subscription } from "@nats-io/nats-core";
import { Kvm } from "@nats-io/kv";
import type { Logger } from "pino";
import { AgentCardSchema, BUCKETS, STREAMS, subjects } from "../protocol/index.js";
import type { AgentView } from "./record.js";
import type { BusDeps } from "./source.js";

/** A heartbeat older than this marks the agent stale (agents beat every DEFAULT_HEARTBEAT_MS = 2 s). */
export const DEFAULT_STALE_MS = 6_000;

export interface AgentBoard {
  list(): AgentView[];
  /** Called with an agent's view whenever its card, heartbeat, health or XState state changes. */
  onChange(fn: (view: AgentView) => void): () => void;
  close(): Promise<void>;
}

/**
 * Every agent of a tenant as the agents panel shows it: its card (KV `hms-cards`), health from its
 * heartbeats, and its last XState inspection event (`obs.v1.<tenant>.xstate.<agentId>`).
 */
export async function openAgentBoard(
  d: BusDeps,
  opts: { logger: Logger; staleMs?: number; now?: () => number },
): Promise<AgentBoard> {
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const now = opts.now ?? Date.now;
  const agents = new Map<string, AgentView & { seen?: number }>();
  const listeners = new Set<(v: AgentView) => void>();
  const dec = new TextDecoder();
  const view = (id: string) => {
    let v = agents.get(id);
    if (!v) agents.set(id, (v = { agentId: id, skills: [], health: "unknown", instances: [] }));
    return v;
  };
  const publicView = (v: AgentView & { seen?: number }): AgentView => {
    const { seen: _seen, ...rest } = v;
    return rest;
  };
  const changed = (v: AgentView & { seen?: number }) => {
    for (const fn of listeners) fn(publicView(v));
  };

  const heartbeat = (id: string, data: Uint8Array, seenAt: number): boolean => {
    try {
      const hb = JSON.parse(dec.decode(data)) as { instanceId?: string; inflight?: number; uptimeMs?: number };
      const v = view(id);
      const at = new Date(seenAt).toISOString();
      const others = v.instances.filter((i) => i.instanceId !== hb.instanceId && now() - Date.parse(i.at) < staleMs);
      v.instances = [
        ...others,
        { instanceId: String(hb.instanceId ?? "?"), inflight: hb.inflight, uptimeMs: hb.uptimeMs, at },
      ].slice(-32);
      v.lastHeartbeat = at;
      v.seen = seenAt;
      v.health = now() - seenAt > staleMs ? "stale" : "up";
      return true;
    } catch {
      return false; // a malformed heartbeat says nothing about health
    }
  };
  const kv = await new Kvm(d.nc).open(BUCKETS.cards);
  const watch = await kv.watch({ key: `${d.tenant}.*` });
  const watching = (async () => {
    for await (const e of watch) {
      const id = e.key.slice(d.tenant.length + 1);
      if (e.operation !== "PUT") {
        const v = agents.get(id);
        if (v) {
          v.name = undefined;
          v.skills = [];
          changed(v);
        }
        continue;
      }
      try {
        const card = AgentCardSchema.parse(JSON.parse(dec.decode(e.value)));
        const v = view(id);
        Object.assign(v, {
          name: card.name,
          description: card.description,
          version: card.version,
          skills: card.skills.map((s) => s.id),
        });
        if (v.seen === undefined) {
          // Health right away from the last stored heartbeat, not after the next one.
          const last = await d.jsm.streams
            .getMessage(STREAMS.topics, { last_by_subj: subjects.topic(d.tenant, "heartbeat", id) })
            .catch(() => null);
          if (last && v.seen === undefined) heartbeat(id, last.data, last.time.getTime());
        }
        changed(v);
      } catch (err) {
        opts.logger.warn({ err, key: e.key }, "unreadable agent card ignored");
      }
    }
  })().catch((err: unknown) => opts.logger.warn({ err }, "agent card watch ended"));

  const subs: Subscription[] = [
    d.nc.subscribe(subjects.allTopicsOf(d.tenant, "heartbeat"), {
      callback: (err, m) => {
        if (err) return;
        const id = m.subject.split(".").at(-1)!;
        if (heartbeat(id, m.data, now())) changed(view(id));
      },
    }),
    d.nc.subscribe(subjects.allXstate(d.tenant), {
      callback: (err, m) => {
        if (err) return;
        try {
          const e = JSON.parse(dec.decode(m.data)) as { taskId?: string; state?: unknown; event?: string; at?: number };
          const v = view(m.subject.split(".").at(-1)!);
          const state =
            e.state === undefined ? v.xstate?.state : typeof e.state === "string" ? e.state : JSON.stringify(e.state);
          v.xstate = { taskId: e.taskId, state, event: e.event, at: new Date(e.at ?? now()).toISOString() };
          changed(v);
        } catch {
          // inspection events are best effort
        }
      },
    }),
  ];
  const timer = setInterval(
    () => {
      for (const v of agents.values()) {
        const health = v.seen === undefined ? "unknown" : now() - v.seen > staleMs ? "stale" : "up";
        if (health !== v.health) {
          v.health = health;
          changed(v);
        }
      }
    },
    Math.max(250, staleMs / 4),
  );
  timer.unref();

  let closing: Promise<void> | undefined;
  return {
    list: () => [...agents.values()].map(publicView).sort((a, b) => a.agentId.localeCompare(b.agentId)),
    onChange: (fn) => {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    close: () =>
      (closing ??= (async () => {
        clearInterval(timer);
        for (const s of subs) s.unsubscribe();
        watch.stop();
        await watching;
        listeners.clear();
      })()),
  };
}
