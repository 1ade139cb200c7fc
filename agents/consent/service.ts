import type { Logger } from "pino";
import { z } from "zod";
import {
  decideAccess,
  deidentifyResources,
  fromFhirConsent,
  IncidentDetector,
  loadSafeHarbor,
  pseudonymFor,
  toFhirConsent,
  type AuditLog,
  type AuditQuery,
  type DecideOptions,
  type IncidentOptions,
  type PseudonymStore,
} from "../../clinical/index.js";
import {
  AuditChainStatusSchema,
  AuditEntrySchema,
  FhirIdSchema,
  HmsError,
  type AccessRequest,
  type AuditEntry,
  type AuditIncident,
  type AuditRecord,
  type ConsentDecision,
  type ConsentRecord,
  type Principal,
} from "../../protocol/index.js";
import type { FhirClient, FhirJson } from "../../runtime/index.js";
import { AuditMirror } from "./audit-mirror.js";

/**
 * The consent agent's core: FHIR Consent records, access decisions, de-identification with stable
 * pseudonyms, the hash-chained audit trail (mirrored to FHIR AuditEvent) and incident detection.
 * Fails closed: if consents cannot be read, the request is refused with DEPENDENCY_FAILED.
 */

export const MAX_CONSENTS_PER_PATIENT = 200;
/**
 * How long a patient's consents read from FHIR are reused by access checks. Changes made through
 * this agent drop the entry at once (here, and in other instances through topic `consent-change`);
 * the TTL bounds staleness for changes made elsewhere or a topic fact still in flight.
 */
export const DEFAULT_CONSENT_CACHE_TTL_MS = 1_000;
/** Patients whose consents are kept (oldest dropped first). */
export const MAX_CACHED_PATIENTS = 1_000;
/** Permits with a de-identify obligation remembered to match their de-identification. */
export const MAX_REMEMBERED_PERMITS = 1_000;

export interface ConsentServiceOptions {
  fhir: FhirClient;
  audit: AuditLog;
  pseudonyms: PseudonymStore;
  logger: Logger;
  referenceDir?: string;
  now?: () => Date;
  decide?: DecideOptions;
  incidents?: IncidentOptions;
  /** Mirror every audit entry to the FHIR server as an AuditEvent. @defaultValue true */
  mirrorAuditToFhir?: boolean;
  /** Reuse a patient's consents for this long (0: read FHIR on every check). @defaultValue DEFAULT_CONSENT_CACHE_TTL_MS */
  consentCacheTtlMs?: number;
  /** Called after a consent is recorded or revoked (the agent publishes `consent-change`). */
  onConsentChange?: (patientId: string) => Promise<void>;
  /** Called with each incident (the agent publishes it as an alert). */
  onIncident?: (incident: AuditIncident) => Promise<void>;
}

export const DeidentifyInputSchema = z.object({
  patientId: FhirIdSchema,
  resources: z.array(z.looseObject({ resourceType: z.string() })).max(5_000),
  /**
   * Audit sequence of the permit (with obligation de-identify) this serves: that entry already
   * records the access, so no second entry is written when this instance made that decision.
   */
  decisionSeq: z.number().int().nonnegative().optional(),
});
export const DeidentifyOutputSchema = z.object({
  pseudonym: z.string(),
  resources: z.array(z.looseObject({ resourceType: z.string() })),
  /** Safe Harbor identifier keys (A-R) that were acted on. */
  applied: z.array(z.string()),
});

export const AuditQueryInputSchema = z.object({
  patientId: FhirIdSchema.optional(),
  requester: z.string().optional(),
  outcome: z.enum(["success", "denied", "failure"]).optional(),
  since: z.string().optional(),
  until: z.string().optional(),
  limit: z.number().int().min(1).max(1000).default(100),
  /** Also verify the whole hash chain. */
  verify: z.boolean().default(false),
});
export const AuditQueryOutputSchema = z.object({
  entries: z.array(AuditEntrySchema),
  chain: AuditChainStatusSchema.optional(),
});

export class ConsentService {
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly detector: IncidentDetector;
  /** Recent permits that obliged de-identification: audit seq → who and whom (bounded). */
  private readonly deidPermits = new Map<number, { patientId: string; requester: string }>();
  /** Consents per patient as last read, with the read time (ms since epoch, wall clock). */
  private readonly consentCache = new Map<string, { at: number; consents: Promise<ConsentRecord[]> }>();

  /** The FHIR AuditEvent mirror, unless turned off. */
  private readonly mirror: AuditMirror | undefined;

  constructor(private readonly opts: ConsentServiceOptions) {
    this.log = opts.logger;
    this.mirror = (opts.mirrorAuditToFhir ?? true) ? new AuditMirror(opts.fhir, opts.logger) : undefined;
    this.now = opts.now ?? (() => new Date());
    this.detector = new IncidentDetector(opts.incidents);
  }

  /** Appends to the audit trail, queues it for the FHIR mirror, and checks for incidents. */
  async audit(
    record: Omit<AuditRecord, "time" | "severity" | "categories"> &
      Partial<Pick<AuditRecord, "time" | "severity" | "categories">>,
  ): Promise<AuditEntry> {
    const entry = await this.opts.audit.append({
      time: this.now().toISOString(),
      severity: "normal",
      categories: [],
      ...record,
    });
    // The chain is the record of truth; a FHIR outage must not block decisions, so the mirror
    // is best effort and off the decision path (batched, see AuditMirror).
    this.mirror?.add(entry);
    const incident = this.detector.observe(entry);
    if (incident) {
      this.log.error(
        { kind: incident.kind, requester: incident.requester, count: incident.count },
        "security incident",
      );
      await this.opts.onIncident?.(incident);
    }
    return entry;
  }

  /** Resolves once every audit entry so far is on the FHIR server (or its failure logged). */
  flushAuditMirror(): Promise<void> {
    return this.mirror?.flush() ?? Promise.resolve();
  }

  /** Drops the cached consents of a patient (after a change here or a `consent-change` fact). */
  invalidateConsents(patientId?: string): void {
    if (patientId === undefined) this.consentCache.clear();
    else this.consentCache.delete(patientId);
  }

  /** listConsents, reused for consentCacheTtlMs; a failed read is never cached. */
  private cachedConsents(patientId: string, signal?: AbortSignal): Promise<ConsentRecord[]> {
    const ttl = this.opts.consentCacheTtlMs ?? DEFAULT_CONSENT_CACHE_TTL_MS;
    if (ttl <= 0) return this.listConsents(patientId, signal);
    const now = Date.now();
    const hit = this.consentCache.get(patientId);
    if (hit && now - hit.at < ttl) return hit.consents;
    const consents = this.listConsents(patientId, signal);
    const entry = { at: now, consents };
    this.consentCache.delete(patientId);
    this.consentCache.set(patientId, entry);
    if (this.consentCache.size > MAX_CACHED_PATIENTS) this.consentCache.delete(this.consentCache.keys().next().value!);
    consents.catch(() => {
      if (this.consentCache.get(patientId) === entry) this.consentCache.delete(patientId);
    });
    return consents;
  }

  /** Forgets the patient's consents here and tells the other instances. */
  private async consentChanged(patientId: string): Promise<void> {
    this.invalidateConsents(patientId);
    await this.opts
      .onConsentChange?.(patientId)
      .catch((err: unknown) => this.log.warn({ err: String(err), patientId }, "consent-change not published"));
  }

  async listConsents(patientId: string, signal?: AbortSignal): Promise<ConsentRecord[]> {
    const resources = await this.opts.fhir.searchAll(
      "Consent",
      { patient: `Patient/${patientId}`, _count: MAX_CONSENTS_PER_PATIENT },
      MAX_CONSENTS_PER_PATIENT,
      signal,
    );
    return resources.map((r) => fromFhirConsent(r));
  }

  async record(rec: ConsentRecord, by: Principal): Promise<ConsentRecord> {
    const body = toFhirConsent({
      ...rec,
      recordedAt: rec.recordedAt ?? this.now().toISOString(),
      recordedBy: rec.recordedBy ?? by.subject,
    }) as FhirJson;
    const saved = rec.id ? await this.opts.fhir.update({ ...body, id: rec.id }) : await this.opts.fhir.create(body);
    const out = fromFhirConsent(saved);
    await this.consentChanged(rec.patientId);
    await this.audit({
      requester: by.subject,
      roles: by.roles,
      purposeOfUse: by.purposeOfUse,
      patientId: rec.patientId,
      action: "consent-change",
      categories: ["consents"],
      what: `Consent/${out.id} recorded (${out.decision})`,
      outcome: "success",
    });
    return out;
  }

  async revoke(consentId: string, by: Principal, reason?: string): Promise<ConsentRecord> {
    const current = fromFhirConsent(await this.opts.fhir.read("Consent", consentId));
    const saved = fromFhirConsent(
      await this.opts.fhir.update({
        ...(toFhirConsent({ ...current, status: "inactive" }) as FhirJson),
        id: consentId,
      }),
    );
    await this.consentChanged(current.patientId);
    await this.audit({
      requester: by.subject,
      roles: by.roles,
      purposeOfUse: by.purposeOfUse,
      patientId: current.patientId,
      action: "consent-change",
      categories: ["consents"],
      what: `Consent/${consentId} revoked`,
      outcome: "success",
      ...(reason ? { reason } : {}),
    });
    return saved;
  }

  /** Decides and audits one request. Break-the-glass is audited at high severity. */
  async checkAccess(req: AccessRequest, signal?: AbortSignal): Promise<ConsentDecision> {
    let consents: ConsentRecord[];
    try {
      consents = await this.cachedConsents(req.patientId, signal);
    } catch (err) {
      await this.audit({
        requester: req.requester,
        roles: req.roles,
        purposeOfUse: req.purposeOfUse,
        patientId: req.patientId,
        action: req.action,
        categories: req.categories,
        what: req.what ?? "access check",
        outcome: "failure",
        reason: "consents unavailable",
        ...(req.taskId ? { taskId: req.taskId } : {}),
      });
      throw HmsError.from(err);
    }
    const decision = decideAccess(req, consents, this.now(), this.opts.decide);
    const entry = await this.audit({
      requester: req.requester,
      roles: req.roles,
      purposeOfUse: req.purposeOfUse,
      patientId: req.patientId,
      action: decision.breakGlass ? "break-glass" : req.action,
      categories: req.categories,
      what: req.what ?? `${req.action} ${req.categories.join(",")}`,
      outcome: decision.permit ? "success" : "denied",
      severity: decision.breakGlass ? "high" : "normal",
      reason: decision.breakGlass ? req.reason : decision.reason,
      ...(req.taskId ? { taskId: req.taskId } : {}),
    });
    // A break-glass read also counts as a read for bulk-access detection.
    if (decision.breakGlass) this.detector.observe({ ...entry, action: "read" });
    if (decision.permit && decision.obligations.includes("de-identify")) {
      this.deidPermits.set(entry.seq, { patientId: req.patientId, requester: req.requester });
      if (this.deidPermits.size > MAX_REMEMBERED_PERMITS)
        this.deidPermits.delete(this.deidPermits.keys().next().value!);
    }
    return { ...decision, auditSeq: entry.seq };
  }

  async deidentify(
    input: z.infer<typeof DeidentifyInputSchema>,
    by: Principal | undefined,
  ): Promise<z.infer<typeof DeidentifyOutputSchema>> {
    const pseudonym = await pseudonymFor(this.opts.pseudonyms, input.patientId);
    const res = deidentifyResources(input.resources, {
      pseudonym,
      patientId: input.patientId,
      safeHarbor: loadSafeHarbor(this.opts.referenceDir),
      asOf: this.now(),
    });
    const permit = input.decisionSeq !== undefined ? this.deidPermits.get(input.decisionSeq) : undefined;
    // Part of an access already audited by its decision: one access, one entry. Otherwise (a direct
    // call, or a decision another instance made) the de-identification is audited on its own.
    if (!(permit && permit.patientId === input.patientId && permit.requester === by?.subject))
      await this.audit({
        requester: by?.subject ?? "unknown",
        roles: by?.roles ?? ["agent"],
        purposeOfUse: by?.purposeOfUse,
        patientId: input.patientId,
        action: "deidentify",
        what: `${input.resources.length} resources de-identified as ${pseudonym}`,
        outcome: "success",
      });
    return {
      pseudonym,
      resources: res.resources as z.infer<typeof DeidentifyOutputSchema>["resources"],
      applied: res.applied,
    };
  }

  async queryAudit(q: z.infer<typeof AuditQueryInputSchema>): Promise<z.infer<typeof AuditQueryOutputSchema>> {
    const query: AuditQuery = { ...q };
    const entries = await this.opts.audit.query(query);
    if (!q.verify) return { entries };
    const chain = await this.opts.audit.verify();
    return { entries, chain };
  }
}
