import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import { operationOutcome, type FhirEngine } from "./engine.js";

export const FHIR_JSON = "application/fhir+json";
/** Largest request body accepted (a seed bundle is ~60 KB). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** A node:http server that hands `<basePath>/...` requests to the engine and speaks application/fhir+json. */
export function createFhirHttpServer(engine: FhirEngine, basePath: string, logger: Logger): Server {
  return createServer((req, res) => {
    handle(engine, basePath, req, res).catch((err: unknown) => {
      logger.error({ err }, "fhir request failed");
      if (!res.headersSent) send(res, 500, operationOutcome("exception", "internal server error"));
      else res.end();
    });
  });
}

async function handle(engine: FhirEngine, basePath: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (!url.pathname.startsWith(basePath))
    return send(res, 404, operationOutcome("not-found", `no FHIR endpoint at ${url.pathname}`));
  const path = url.pathname.slice(basePath.length).replace(/^\/+|\/+$/g, "");
  const method = (req.method ?? "GET").toUpperCase();
  let body: unknown;
  if (method === "POST" || method === "PUT" || method === "PATCH") {
    const raw = await readBody(req);
    if (raw === undefined)
      return send(res, 413, operationOutcome("too-costly", `request body over ${MAX_BODY_BYTES} bytes`));
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        return send(res, 400, operationOutcome("structure", "request body is not valid JSON"));
      }
    }
  }
  const out = await engine.handle(
    method,
    path,
    url.search,
    body,
    req.headers,
    `http://${req.headers.host ?? "localhost"}${basePath}`,
  );
  send(res, out.status, out.body, out.headers);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooBig = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(tooBig ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": `${FHIR_JSON}; charset=utf-8`,
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
