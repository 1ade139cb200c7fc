import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import type { Logger } from "pino";
import {
  AuditEntrySchema,
  HmsError,
  matchesQuery,
  token,
  type AuditChainStatus,
  type AuditEntry,
  type AuditQuery,
  type AuditRecord,
} from "../../protocol/index.js";
import { ensureStream } from "../bus/connect.js";

/**
 * The audit trail in JetStream: stream HMS_AUDIT, one subject per tenant
 * (`audit.v1.<tenant>.consent`), one message per hash-chained entry. Appends are compare-and-set
 * on the subject's last sequence (`Nats-Expected-Last-Subject-Sequence`), so two consent instances
 * can never fork the chain: the loser re-reads the head and chains after the winner.
 *
 * The hash chain itself is clinical logic (`clinical/audit`), which the runtime may not import:
 * the caller hands it in as {@link AuditChain}.
 */

export const AUDIT_STREAM = "HMS_AUDIT";
/** Subject of one tenant's audit chain. */
export const auditSubject = (tenant: string): string => `audit.v1.${token(tenant, "tenant")}.consent`;
/** Appends that lost the race this many times in a row give up with CONFLICT. */
export const DEFAULT_AUDIT_APPEND_ATTEMPTS = 50;
const READ_BATCH = 1_000;
/** A read batch that brings nothing within this time fails. */
export const DEFAULT_AUDIT_READ_TIMEOUT_MS = 10_000;

/** How entries are chained and checked (clinical/audit's appendEntry and verifyChain). */
export interface AuditChain {
  seal(prev: { seq: number; hash: string } | undefined, record: AuditRecord): AuditEntry;
  verify(entries: readonly AuditEntry[], opts: { head?: { seq: number; hash: string } }): AuditChainStatus;
}

export interface JetStreamAuditLogOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  tenant: string;
  chain: AuditChain;
  logger: Logger;
  /** @defaultValue DEFAULT_AUDIT_APPEND_ATTEMPTS */
  maxAttempts?: number;
  /** @defaultValue DEFAULT_AUDIT_READ_TIMEOUT_MS */
  readTimeoutMs?: number;
}

/** Filter of {@link JetStreamAuditLog.query}: protocol's AuditQuery. */
export type AuditLogQuery = AuditQuery;

interface Head {
  seq: number;
  hash: string;
  /** Stream sequence of the head entry; 0 before the first append. */
  streamSeq: number;
}

/** One stored message, parsed when it is a well-formed entry. */
interface RawEntry {
  streamSeq: number;
  entry?: AuditEntry;
}

/** Creates the audit stream if it is missing: file storage, no age or size limit. */
export async function ensureAuditStream(jsm: JetStreamManager): Promise<void> {
  await ensureStream(jsm, {
    name: AUDIT_STREAM,
    subjects: ["audit.v1.*.consent"],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
  });
}

/** Implements clinical/audit's AuditLog (structurally) on JetStream. */
export class JetStreamAuditLog {
  readonly subject: string;
  private head_: Head | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly dec = new TextDecoder();
  private readonly enc = new TextEncoder();

  private constructor(private readonly opts: JetStreamAuditLogOptions) {
    this.subject = auditSubject(opts.tenant);
  }

  /** Makes sure the stream exists and returns the tenant's log. */
  static async open(opts: JetStreamAuditLogOptions): Promise<JetStreamAuditLog> {
    await ensureAuditStream(opts.jsm);
    return new JetStreamAuditLog(opts);
  }

  /** The last stored entry, read from the stream (not a cache). */
  private async loadHead(): Promise<Head | undefined> {
    const m = await this.opts.jsm.streams.getMessage(AUDIT_STREAM, { last_by_subj: this.subject });
    if (!m) return undefined;
    const parsed = AuditEntrySchema.safeParse(m.json());
    if (!parsed.success)
      throw new HmsError(
        "INTERNAL",
        `audit stream ${AUDIT_STREAM} message ${m.seq} is not an audit entry: refusing to chain after it`,
      );
    return { seq: parsed.data.seq, hash: parsed.data.hash, streamSeq: m.seq };
  }

  /** Appends one record after the current head; serialised here and across instances by CAS. */
  append(record: AuditRecord): Promise<AuditEntry> {
    const run = this.queue.then(() => this.appendNow(record));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async appendNow(record: AuditRecord): Promise<AuditEntry> {
    const attempts = this.opts.maxAttempts ?? DEFAULT_AUDIT_APPEND_ATTEMPTS;
    for (let i = 0; i < attempts; i++) {
      const head = (this.head_ ??= await this.loadHead());
      const entry = this.opts.chain.seal(head, record);
      try {
        const ack = await this.opts.js.publish(this.subject, this.enc.encode(JSON.stringify(entry)), {
          expect: { lastSubjectSequence: head?.streamSeq ?? 0 },
        });
        this.head_ = { seq: entry.seq, hash: entry.hash, streamSeq: ack.seq };
        return entry;
      } catch (err) {
        this.head_ = undefined;
        const lost =
          err instanceof JetStreamApiError &&
          (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
            err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
        if (!lost)
          throw new HmsError("DEPENDENCY_FAILED", `audit append to ${AUDIT_STREAM} failed: ${(err as Error).message}`, {
            cause: err,
            data: { dependency: "nats", stream: AUDIT_STREAM },
          });
        this.opts.logger.debug({ attempt: i + 1 }, "audit append lost the race; re-reading the head");
      }
    }
    throw new HmsError("CONFLICT", `audit append to ${AUDIT_STREAM} lost the race ${attempts} times`);
  }

  /**
   * Every message on the tenant's subject from `fromStreamSeq`, in stream order: an ephemeral
   * consumer (its creation fixes how many messages are pending) fetched in batches.
   */
  private async raw(fromStreamSeq = 1): Promise<RawEntry[]> {
    const { js, jsm } = this.opts;
    const ci = await jsm.consumers.add(AUDIT_STREAM, {
      filter_subject: this.subject,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: fromStreamSeq,
      inactive_threshold: 30_000 * 1_000_000,
      mem_storage: true,
    });
    const out: RawEntry[] = [];
    try {
      const total = ci.num_pending;
      const consumer = await js.consumers.get(AUDIT_STREAM, ci.name);
      while (out.length < total) {
        const before = out.length;
        const batch = await consumer.fetch({
          max_messages: Math.min(READ_BATCH, total - out.length),
          expires: this.opts.readTimeoutMs ?? DEFAULT_AUDIT_READ_TIMEOUT_MS,
        });
        for await (const m of batch) {
          let entry: AuditEntry | undefined;
          try {
            const parsed = AuditEntrySchema.safeParse(JSON.parse(this.dec.decode(m.data)));
            if (parsed.success) entry = parsed.data;
          } catch {
            entry = undefined;
          }
          out.push({ streamSeq: m.seq, ...(entry ? { entry } : {}) });
        }
        if (out.length === before)
          throw new HmsError(
            "DEPENDENCY_FAILED",
            `audit read from ${AUDIT_STREAM} stalled after ${out.length} of ${total} entries`,
            { data: { dependency: "nats", stream: AUDIT_STREAM } },
          );
      }
    } finally {
      await jsm.consumers.delete(AUDIT_STREAM, ci.name).catch(() => undefined);
    }
    return out;
  }

  /** Well-formed entries with chain sequence ≥ fromSeq, in order. */
  async read(fromSeq = 0): Promise<AuditEntry[]> {
    return (await this.raw()).flatMap((r) => (r.entry && r.entry.seq >= fromSeq ? [r.entry] : []));
  }

  /** Matching entries, newest first. */
  async query(q: AuditLogQuery): Promise<AuditEntry[]> {
    const hits = (await this.read()).filter((e) => matchesQuery(e, q)).reverse();
    return q.limit ? hits.slice(0, q.limit) : hits;
  }

  async head(): Promise<{ seq: number; hash: string } | undefined> {
    const h = await this.loadHead().catch(() => undefined);
    return h ? { seq: h.seq, hash: h.hash } : undefined;
  }

  /**
   * Verifies the whole chain as stored. A message that is not an entry counts as altered; a gap in
   * the chain's numbering, a purged start or a deleted message after the last entry as removed.
   */
  async verify(): Promise<AuditChainStatus> {
    const raw = await this.raw();
    const bad = raw.findIndex((r) => !r.entry);
    if (bad >= 0) {
      const prefix = raw.slice(0, bad).map((r) => r.entry!);
      const status = this.opts.chain.verify(prefix, {});
      if (!status.ok) return status;
      return { ok: false, checked: prefix.length, firstBadSeq: (prefix.at(-1)?.seq ?? -1) + 1, problem: "altered" };
    }
    const entries = raw.map((r) => r.entry!);
    const status = this.opts.chain.verify(entries, {});
    if (!status.ok) return status;
    // Entries are never deleted: a deleted or purged message where this chain could have been is a removal.
    const info = await this.opts.jsm.streams.info(AUDIT_STREAM, { deleted_details: true });
    const lastStreamSeq = raw.at(-1)?.streamSeq ?? 0;
    const next = (entries.at(-1)?.seq ?? -1) + 1;
    const deletedAfter = (info.state.deleted ?? []).some((s) => s > lastStreamSeq);
    const purgedStart = entries.length === 0 && info.state.first_seq > 1;
    if (deletedAfter || purgedStart)
      return { ok: false, checked: status.checked, firstBadSeq: next, problem: "removed" };
    return status;
  }
}
