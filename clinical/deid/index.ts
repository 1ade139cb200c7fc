/** HIPAA Safe Harbor de-identification with stable random pseudonyms. */
export {
  deidentifyResources,
  ageAt,
  dateOffsetFor,
  shiftDate,
  zip3,
  AGE_EXTENSION,
  AGE_TOP_CODED_EXTENSION,
  PSEUDONYM_SYSTEM,
  REDACTED,
  MAX_DATE_SHIFT_DAYS,
  type DeidOptions,
  type DeidResult,
} from "./safe-harbor.js";
export {
  MapPseudonymStore,
  FilePseudonymStore,
  pseudonymFor,
  PSEUDONYM_PREFIX,
  type PseudonymStore,
} from "./pseudonyms.js";
