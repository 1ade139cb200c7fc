import { createHash } from "node:crypto";
import { AuditRecordSchema, type AuditChainStatus, type AuditEntry, type AuditRecord } from "../../protocol/index.js";

/**
 * The audit hash chain: entry n stores hash(n) = sha256(hash(n-1) + canonical JSON of record n).
 * Changing a stored record breaks its own hash; removing one breaks the numbering; rewriting
 * hashes to hide a change breaks the link to the next entry. Pure.
 */

export const GENESIS_HASH = "0".repeat(64);

/** JSON with keys sorted at every level, so the hash does not depend on key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

export function hashRecord(prevHash: string, record: AuditRecord): string {
  return createHash("sha256").update(prevHash).update(canonicalJson(record)).digest("hex");
}

/** The record part of an entry (everything but seq, prevHash, hash). */
export function recordOf(e: AuditEntry): AuditRecord {
  const { seq: _s, prevHash: _p, hash: _h, ...record } = e;
  return AuditRecordSchema.parse(record);
}

/** Appends `record` after `prev` (or starts the chain). */
export function appendEntry(prev: Pick<AuditEntry, "seq" | "hash"> | undefined, record: AuditRecord): AuditEntry {
  const clean = AuditRecordSchema.parse(record);
  const prevHash = prev?.hash ?? GENESIS_HASH;
  return { ...clean, seq: prev ? prev.seq + 1 : 0, prevHash, hash: hashRecord(prevHash, clean) };
}

/**
 * Verifies entries in order. `from` says where the slice starts (default: the chain start);
 * `head` is the last (seq, hash) the store reported, to catch a truncated tail.
 */
export function verifyChain(
  entries: readonly AuditEntry[],
  opts: { from?: { seq: number; prevHash: string }; head?: { seq: number; hash: string } } = {},
): AuditChainStatus {
  let expectedSeq = opts.from?.seq ?? 0;
  let expectedPrev = opts.from?.prevHash ?? GENESIS_HASH;
  let checked = 0;
  for (const e of entries) {
    if (e.seq !== expectedSeq)
      return { ok: false, checked, firstBadSeq: expectedSeq, problem: e.seq > expectedSeq ? "removed" : "reordered" };
    let record: AuditRecord;
    try {
      record = recordOf(e);
    } catch {
      return { ok: false, checked, firstBadSeq: e.seq, problem: "altered" };
    }
    if (hashRecord(e.prevHash, record) !== e.hash)
      return { ok: false, checked, firstBadSeq: e.seq, problem: "altered" };
    // The entry is self-consistent but does not follow its predecessor: the predecessor was rewritten.
    if (e.prevHash !== expectedPrev)
      return { ok: false, checked, firstBadSeq: Math.max(expectedSeq - 1, 0), problem: "altered" };
    expectedSeq = e.seq + 1;
    expectedPrev = e.hash;
    checked++;
  }
  if (opts.head) {
    if (opts.head.seq >= expectedSeq) return { ok: false, checked, firstBadSeq: expectedSeq, problem: "removed" };
    if (checked > 0 && opts.head.seq === expectedSeq - 1 && opts.head.hash !== expectedPrev)
      return { ok: false, checked, firstBadSeq: opts.head.seq, problem: "altered" };
  }
  return { ok: true, checked };
}
