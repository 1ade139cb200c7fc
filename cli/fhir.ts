import { resolve } from "node:path";
import type { Logger } from "pino";
import { REPO_ROOT } from "./config.js";

/** Starts the embedded FHIR server seeded from examples/patients (runtime/embedded/fhir). */
export async function startEmbeddedFhir(
  logger: Logger,
  port = 0,
): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const { startFhirServer } = await import("../runtime/embedded/fhir/index.js");
  return startFhirServer({ port, logger, seedDir: resolve(REPO_ROOT, "examples", "patients") });
}
