import type { Logger } from "pino";
import { toFhirAuditEvent } from "../../clinical/index.js";
import type { AuditEntry } from "../../protocol/index.js";
import type { FhirClient, FhirJson } from "../../runtime/index.js";

/** Most AuditEvents written in one batch request. */
export const MAX_MIRROR_BATCH = 100;

/**
 * Mirrors audit entries onto the FHIR server as AuditEvents, off the decision path: entries queue
 * up while one batch request is in flight and go out together in the next, in chain order. The
 * hash chain in JetStream is the record of truth, so the mirror is best effort: a failed batch or
 * entry is logged with its sequence numbers (`hms audit verify` reads the chain, not the mirror).
 */
export class AuditMirror {
  private queue: AuditEntry[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly fhir: FhirClient,
    private readonly log: Logger,
  ) {}

  add(entry: AuditEntry): void {
    this.queue.push(entry);
    this.draining ??= this.drain();
  }

  /** Resolves once every entry added so far is written (or its failure logged). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    // Entries of the same event-loop turn join the first batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_MIRROR_BATCH);
      const seqs = batch.map((e) => e.seq);
      try {
        const res = await this.fhir.batch({
          resourceType: "Bundle",
          type: "batch",
          entry: batch.map((e) => ({
            resource: toFhirAuditEvent(e) as FhirJson,
            request: { method: "POST", url: "AuditEvent" },
          })),
        });
        const failed = (res.entry ?? [])
          .map((e, i) => [seqs[i], e.response?.status ?? ""] as const)
          .filter(([, status]) => !/^2\d\d/.test(status));
        if (failed.length) this.log.warn({ failed }, "audit mirror to FHIR: some AuditEvents were refused");
      } catch (err) {
        this.log.warn({ err: String(err), seqs }, "audit mirror to FHIR failed");
      }
    }
    this.draining = undefined;
  }
}
