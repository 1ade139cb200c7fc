import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { FhirEngine } from "./engine.js";
import { createFhirHttpServer } from "./http.js";
import { seedFromDir } from "./seed.js";

export const DEFAULT_FHIR_HOST = "127.0.0.1";
/** Path under which the server answers; the base URL ends with it. */
export const FHIR_BASE_PATH = "/fhir/R4";

export interface FhirServerOptions {
  /** TCP port; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** @defaultValue "127.0.0.1" */
  host?: string;
  /** Directory of transaction bundles (`*.json`) loaded at start, e.g. examples/patients. */
  seedDir?: string;
  logger: Logger;
}

export interface FhirServer {
  /** e.g. `http://127.0.0.1:40123/fhir/R4` */
  readonly baseUrl: string;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the embedded FHIR server, seeds it, and resolves once it is listening. */
export async function startFhirServer({
  port = 0,
  host = DEFAULT_FHIR_HOST,
  seedDir,
  logger,
}: FhirServerOptions): Promise<FhirServer> {
  const log = logger.child({ component: "fhir" });
  const engine = new FhirEngine();
  if (seedDir) await seedFromDir(engine, seedDir, log);
  const server = createFhirHttpServer(engine, FHIR_BASE_PATH, log);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const baseUrl = `http://${urlHost}:${addr.port}${FHIR_BASE_PATH}`;
  log.info({ baseUrl }, "fhir server listening");
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }).then(() => log.info({ baseUrl }, "fhir server stopped")));
  return { baseUrl, close, [Symbol.asyncDispose]: close };
}
