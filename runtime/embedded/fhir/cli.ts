import type { Logger } from "pino";
import { startFhirServer, type FhirServer } from "./server.js";

export interface FhirCliOptions {
  port?: number;
  host?: string;
  seedDir?: string;
  logger: Logger;
  /** Resolves when the server should stop (e.g. on SIGINT); the CLI wires signals, not this module. */
  until: Promise<unknown>;
  /** Called once with the base URL, for the CLI to print. */
  onListening?: (baseUrl: string) => void;
}

/** Entry for `hms fhir`: runs the embedded server until `until` settles, then closes it. */
export async function runFhirCli({ until, onListening, ...opts }: FhirCliOptions): Promise<void> {
  const server: FhirServer = await startFhirServer(opts);
  try {
    onListening?.(server.baseUrl);
    await until.catch(() => undefined);
  } finally {
    await server.close();
  }
}
