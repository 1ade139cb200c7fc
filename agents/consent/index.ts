import type { Logger } from "pino";
import {
  appendEntry,
  verifyChain,
  type AuditLog,
  type AuditQuery,
  type DecideOptions,
  type IncidentOptions,
  type PseudonymStore,
} from "../../clinical/index.js";
import { defineAgent, JetStreamAuditLog, type AgentContext, type AgentState } from "../../runtime/index.js";
import type { AuditChainStatus, AuditEntry, AuditRecord } from "../../protocol/index.js";
import { FhirClient } from "../../runtime/index.js";
import { ConsentService } from "./service.js";
import { consentSkills } from "./skills.js";

/**
 * Consent agent: FHIR Consent records, role- and purpose-based access decisions (minimum
 * necessary, break-the-glass), Safe Harbor de-identification with stable pseudonyms, and the
 * hash-chained audit trail mirrored to FHIR AuditEvent. Incidents are published on topic
 * `security-incident`.
 */

export const INCIDENT_TOPIC = "security-incident";
/** Topic on which a consent recorded or revoked is announced (`{ patientId }`), so every instance drops its cached consents. */
export const CONSENT_CHANGE_TOPIC = "consent-change";

export interface ConsentAgentOptions {
  fhirBaseUrl: string;
  fhirBearerToken?: string;
  logger: Logger;
  /**
   * Where the audit chain lives. @defaultValue the tenant's chain in JetStream stream HMS_AUDIT,
   * opened when the agent starts on the bus (before that, audited skills fail closed).
   */
  audit?: AuditLog;
  /** @defaultValue the agent's durable state (KV), so pseudonyms survive restarts */
  pseudonyms?: PseudonymStore;
  referenceDir?: string;
  decide?: DecideOptions;
  incidents?: IncidentOptions;
  mirrorAuditToFhir?: boolean;
  /** See DEFAULT_CONSENT_CACHE_TTL_MS. */
  consentCacheTtlMs?: number;
  fhir?: {
    timeoutMs?: number;
    retries?: number;
    backoffMs?: number;
    breakerThreshold?: number;
    halfOpenAfterMs?: number;
  };
  now?: () => Date;
}

export { ConsentService } from "./service.js";

/**
 * Pseudonyms in the agent's durable state (`pseudonym.<patientId>`), shared by its instances.
 * Before the agent has started (no state yet) it refuses rather than mint pseudonyms it would lose.
 */
export class AgentStatePseudonymStore implements PseudonymStore {
  constructor(private readonly state: () => AgentState | undefined) {}
  private s(): AgentState {
    const st = this.state();
    if (!st) throw new Error("consent agent not started: no durable state for pseudonyms");
    return st;
  }
  async get(patientId: string): Promise<string | undefined> {
    return this.s().load<string>(`pseudonym.${patientId}`);
  }
  async put(patientId: string, pseudonym: string): Promise<void> {
    await this.s().save(`pseudonym.${patientId}`, pseudonym);
  }
}

/** The audit log the agent opens on start; refuses (fails closed) until then. */
export class DeferredAuditLog implements AuditLog {
  target: AuditLog | undefined;
  private t(): AuditLog {
    if (!this.target) throw new Error("consent agent not started: no audit log");
    return this.target;
  }
  append(record: AuditRecord): Promise<AuditEntry> {
    return this.t().append(record);
  }
  read(fromSeq?: number): Promise<AuditEntry[]> {
    return this.t().read(fromSeq);
  }
  query(q: AuditQuery): Promise<AuditEntry[]> {
    return this.t().query(q);
  }
  head(): Promise<{ seq: number; hash: string } | undefined> {
    return this.t().head();
  }
  verify(): Promise<AuditChainStatus> {
    return this.t().verify();
  }
}

/** The hash chain the JetStream log seals entries with. */
export const AUDIT_CHAIN = { seal: appendEntry, verify: verifyChain };

export function consentAgent(opts: ConsentAgentOptions) {
  const logger = opts.logger.child({ agentId: "consent" });
  let publish: AgentContext["publish"] | undefined;
  let state: AgentState | undefined;
  const deferred = opts.audit ? undefined : new DeferredAuditLog();
  const service = new ConsentService({
    fhir: new FhirClient({
      baseUrl: opts.fhirBaseUrl,
      ...(opts.fhirBearerToken ? { bearerToken: opts.fhirBearerToken } : {}),
      logger,
      ...opts.fhir,
    }),
    audit: opts.audit ?? deferred!,
    pseudonyms: opts.pseudonyms ?? new AgentStatePseudonymStore(() => state),
    logger,
    ...(opts.referenceDir ? { referenceDir: opts.referenceDir } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.decide ? { decide: opts.decide } : {}),
    ...(opts.incidents ? { incidents: opts.incidents } : {}),
    ...(opts.mirrorAuditToFhir !== undefined ? { mirrorAuditToFhir: opts.mirrorAuditToFhir } : {}),
    ...(opts.consentCacheTtlMs !== undefined ? { consentCacheTtlMs: opts.consentCacheTtlMs } : {}),
    onConsentChange: async (patientId) => {
      await publish?.(CONSENT_CHANGE_TOPIC, { patientId });
    },
    onIncident: async (incident) => {
      await publish?.(INCIDENT_TOPIC, incident);
    },
  });
  return defineAgent({
    id: "consent",
    name: "Consent agent",
    description:
      "Patient consent (FHIR Consent), access decisions by role and purpose of use, HIPAA Safe Harbor de-identification, and the hash-chained audit trail.",
    version: "0.1.0",
    skills: consentSkills(() => service),
    start: async (ctx) => {
      publish = ctx.publish;
      state = ctx.state;
      ctx.subscribe(CONSENT_CHANGE_TOPIC, "*", (data) => {
        const patientId = (data as { patientId?: unknown } | undefined)?.patientId;
        service.invalidateConsents(typeof patientId === "string" ? patientId : undefined);
      });
      if (deferred)
        deferred.target = await JetStreamAuditLog.open({
          js: ctx.bus.js,
          jsm: ctx.bus.jsm,
          tenant: ctx.tenant,
          chain: AUDIT_CHAIN,
          logger,
        });
      // On stop, the AuditEvents still queued for the FHIR mirror go out first.
      return { close: () => service.flushAuditMirror() };
    },
  });
}
