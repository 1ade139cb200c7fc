import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { FhirEngine } from "./engine.js";

/**
 * Loads every `*.json` transaction bundle in `dir` into the engine, in file-name order. Bundles use
 * PUT with stable ids, so loading twice changes nothing but version numbers.
 */
export async function seedFromDir(engine: FhirEngine, dir: string, logger: Logger): Promise<number> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".json")).sort();
  let loaded = 0;
  for (const file of files) {
    const body = JSON.parse(await readFile(join(dir, file), "utf8")) as { resourceType?: string; type?: string };
    if (body.resourceType !== "Bundle" || (body.type !== "transaction" && body.type !== "batch")) continue;
    const res = await engine.handle("POST", "", "", body, {});
    if (res.status >= 400) {
      const text = (res.body as { issue?: { details?: { text?: string } }[] }).issue?.[0]?.details?.text;
      throw new Error(`seed bundle ${file} was rejected (${res.status}): ${text ?? "unknown error"}`);
    }
    loaded++;
  }
  logger.info({ dir, bundles: loaded }, "fhir seed loaded");
  return loaded;
}
