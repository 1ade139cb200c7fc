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
export { AGE_EXTENSION, AGE_TOP_CODED_EXTENSION } from "./deid/index.js";
export type { LabPatient } from "./labs.js";
export { genotypeFromVcf, interpretThiopurineGenotype } from "./pgx.js";
export { HMS_CODES, HMS_OBSERVATION_SYSTEM, type LoincEntry } from "./reference/loinc.js";
export { loadScores, type ScoresReference } from "./reference/scores.js";
export { computeCdai, computeHbi, montrealAgeCode } from "./scores.js";
export { loadDrugs } from "./reference/drugs.js";
export { loadPgx } from "./reference/pgx.js";
export { loadOptimizerImpl, type ImplName, type OptimizerImpl } from "./treatment/loader.js";
export { evaluateBiomarkers, patientFactors } from "./treatment/model.js";
export { optimizeTreatment, simulateOutcome } from "./treatment/optimize.js";
export { loadPlanSpace } from "./treatment/space.js";
export { suggestAlternatives, verifyPlan } from "./treatment/verify.js";
