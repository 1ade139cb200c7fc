/** Consent: role policy (minimum necessary), access decisions, FHIR Consent mapping. Pure. */
export { decideAccess, inForce, applies, type DecideOptions } from "./decide.js";
export { DEFAULT_ROLE_POLICY, uncoveredCategories, mustDeidentify, type RoleGrant, type RolePolicy } from "./policy.js";
export {
  toFhirConsent,
  fromFhirConsent,
  ROLE_SYSTEM,
  PRINCIPAL_SYSTEM,
  DATA_CLASS_SYSTEM,
  PURPOSE_SYSTEM,
} from "./fhir.js";
