import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Where pseudonyms live. Safe Harbor 164.514(c): a re-identification code must not be derived from
 * the individual's data, so a pseudonym is a random surrogate and this store is the lookup table
 * the data custodian holds. The lead backs it with a NATS KV bucket; tests use the Map or file one.
 */
export interface PseudonymStore {
  get(patientId: string): Promise<string | undefined>;
  put(patientId: string, pseudonym: string): Promise<void>;
}

export class MapPseudonymStore implements PseudonymStore {
  private readonly map = new Map<string, string>();
  async get(patientId: string): Promise<string | undefined> {
    return this.map.get(patientId);
  }
  async put(patientId: string, pseudonym: string): Promise<void> {
    this.map.set(patientId, pseudonym);
  }
}

/** A JSON file of patientId → pseudonym, rewritten atomically on each put; survives restarts. */
export class FilePseudonymStore implements PseudonymStore {
  private cache: Map<string, string> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  constructor(private readonly file: string) {}

  private async load(): Promise<Map<string, string>> {
    if (this.cache) return this.cache;
    try {
      this.cache = new Map(Object.entries(JSON.parse(await readFile(this.file, "utf8")) as Record<string, string>));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      this.cache = new Map();
    }
    return this.cache;
  }
  async get(patientId: string): Promise<string | undefined> {
    return (await this.load()).get(patientId);
  }
  async put(patientId: string, pseudonym: string): Promise<void> {
    const run = async () => {
      const m = await this.load();
      m.set(patientId, pseudonym);
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(Object.fromEntries(m), null, 1));
      await rename(tmp, this.file);
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    await next;
  }
}

/** Prefix of every pseudonym; the rest is 16 random hex digits (a valid FHIR id). */
export const PSEUDONYM_PREFIX = "anon-";

const inFlight = new Map<string, Promise<string>>();

/** The patient's pseudonym, created (random) and stored on first use. */
export async function pseudonymFor(
  store: PseudonymStore,
  patientId: string,
  random: (bytes: number) => Buffer = randomBytes,
): Promise<string> {
  const existing = await store.get(patientId);
  if (existing) return existing;
  const key = patientId;
  let p = inFlight.get(key);
  if (!p) {
    p = (async () => {
      const again = await store.get(patientId);
      if (again) return again;
      const pseudonym = `${PSEUDONYM_PREFIX}${random(8).toString("hex")}`;
      await store.put(patientId, pseudonym);
      return pseudonym;
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}
