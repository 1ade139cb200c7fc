/**
 * clinical: the domain logic agents share (audit chain, consent, de-identification, scores, labs,
 * reference data). Imports only `protocol`. Every export is named; other layers import clinical only
 * from here (eslint.config.js, test/architecture.test.ts). Add a name when another layer needs it.
 */
export {
  appendEntry,
  verifyChain,
  IncidentDetector,
  toFhirAuditEvent,
  type AuditLog,
  type AuditQuery,
  type IncidentOptions,
} from "./audit/index.js";
export { decideAccess, toFhirConsent, fromFhirConsent, PRINCIPAL_SYSTEM, type DecideOptions } from "./consent/index.js";
export { ageAt, deidentifyResources, pseudonymFor, type PseudonymStore } from "./deid/index.js";
export { interpretLab } from "./labs.js";
export { loadLoinc, defaultReferenceDir, type LoincReference, type ReferenceBound } from "./reference/loinc.js";
export { mdcForKey, mdcObservation, mdcUnitForUcum, toUcum } from "./reference/loinc-vitals.js";
export { loadSafeHarbor } from "./reference/safe-harbor.js";
