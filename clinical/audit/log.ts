import {
  matchesQuery,
  type AuditChainStatus,
  type AuditEntry,
  type AuditQuery,
  type AuditRecord,
} from "../../protocol/index.js";
import { appendEntry, verifyChain } from "./chain.js";

export { matchesQuery, type AuditQuery };

/**
 * Append-only audit storage. The lead backs it with a JetStream stream (sequence = stream
 * sequence); unit tests use {@link InMemoryAuditLog}. Appends are serialised by the log.
 */
export interface AuditLog {
  append(record: AuditRecord): Promise<AuditEntry>;
  /** Entries in sequence order from `fromSeq` (default 0). */
  read(fromSeq?: number): Promise<AuditEntry[]>;
  query(q: AuditQuery): Promise<AuditEntry[]>;
  head(): Promise<{ seq: number; hash: string } | undefined>;
  /** Verifies the chain as stored, including what only the store can tell (e.g. a deleted tail). */
  verify(): Promise<AuditChainStatus>;
}

export class InMemoryAuditLog implements AuditLog {
  /** Exposed so tests can tamper with stored entries. */
  readonly entries: AuditEntry[] = [];
  private last: { seq: number; hash: string } | undefined;

  async append(record: AuditRecord): Promise<AuditEntry> {
    const e = appendEntry(this.last, record);
    this.entries.push(e);
    this.last = { seq: e.seq, hash: e.hash };
    return e;
  }
  async read(fromSeq = 0): Promise<AuditEntry[]> {
    return this.entries.filter((e) => e.seq >= fromSeq).map((e) => ({ ...e }));
  }
  async query(q: AuditQuery): Promise<AuditEntry[]> {
    const hits = this.entries.filter((e) => matchesQuery(e, q)).reverse();
    return (q.limit ? hits.slice(0, q.limit) : hits).map((e) => ({ ...e }));
  }
  async head(): Promise<{ seq: number; hash: string } | undefined> {
    return this.last;
  }
  async verify(): Promise<AuditChainStatus> {
    return verifyChain(this.entries, { head: this.last });
  }
}
