/**
 * The embedded FHIR R4 server: Medplum's FhirRouter over its MemoryRepository behind node:http.
 * Used when no FHIR_BASE_URL is configured; agents reach it only over HTTP, like any FHIR server.
 *
 * @example
 * await using fhir = await startFhirServer({ seedDir: "examples/patients", logger });
 * const client = new Client({ baseUrl: fhir.baseUrl });
 */
export {
  startFhirServer,
  DEFAULT_FHIR_HOST,
  FHIR_BASE_PATH,
  type FhirServer,
  type FhirServerOptions,
} from "./server.js";
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./engine.js";
export { runFhirCli, type FhirCliOptions } from "./cli.js";
export {
  FhirClient,
  isTransient,
  searchUrl,
  DEFAULT_FHIR_TIMEOUT_MS,
  DEFAULT_FHIR_RETRIES,
  DEFAULT_FHIR_BACKOFF_MS,
  DEFAULT_FHIR_BREAKER_THRESHOLD,
  DEFAULT_FHIR_HALF_OPEN_MS,
  type FhirClientOptions,
  type FhirJson,
  type FhirBundle,
  type SearchParams,
} from "./client.js";
