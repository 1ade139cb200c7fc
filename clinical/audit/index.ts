/** The audit trail: hash chain, storage interface, incident detection, FHIR AuditEvent mapping. */
export { appendEntry, verifyChain, hashRecord, canonicalJson, recordOf, GENESIS_HASH } from "./chain.js";
export { InMemoryAuditLog, matchesQuery, type AuditLog, type AuditQuery } from "./log.js";
export {
  IncidentDetector,
  detectIncidents,
  DEFAULT_DENIAL_THRESHOLD,
  DEFAULT_PATIENT_READ_LIMIT,
  DEFAULT_INCIDENT_WINDOW_MS,
  type IncidentOptions,
} from "./incidents.js";
export { toFhirAuditEvent } from "./fhir.js";
