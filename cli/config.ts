import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_GATEWAY_PORT, DEFAULT_TENANT, parseTokens } from "../runtime/index.js";
import { invalidInput, type Principal } from "../protocol/index.js";

export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * Every setting, read once from the environment by the composition root (design.md §9). Each
 * default serves the embedded setup.
 */
export const ConfigSchema = z.object({
  /** A running NATS; unset = start an embedded nats-server. */
  NATS_URL: z.string().url().optional(),
  NATS_USER: z.string().optional(),
  NATS_PASS: z.string().optional(),
  NATS_TOKEN: z.string().optional(),
  /** nats-server binary for the embedded server. */
  NATS_SERVER: z.string().optional(),
  HMS_TENANT: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/)
    .default(DEFAULT_TENANT),
  /** A FHIR R4 base URL; unset = start the embedded FHIR server seeded from examples/patients. */
  FHIR_BASE_URL: z.string().url().optional(),
  /** Bearer token for FHIR_BASE_URL. */
  FHIR_TOKEN: z.string().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Force the log format: "json" or "pretty" (default: pretty on a terminal). */
  LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
  OPTIMIZER_IMPL: z.enum(["native", "ts"]).optional(),
  HMS_GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_GATEWAY_PORT),
  HMS_GATEWAY_HOST: z.string().default("127.0.0.1"),
  /** JSON object: bearer token → principal ({subject, roles, purposeOfUse}). */
  HMS_GATEWAY_TOKENS: z.string().optional(),
  /** Key of the inspector's patient pseudonyms; set the same value for `hms inspect` and the gateway page. */
  HMS_INSPECT_KEY: z.string().min(8).optional(),
  /** Clinical reference data directory. */
  HMS_REFERENCE_DIR: z.string().default(resolve(REPO_ROOT, "clinical", "reference", "data")),
  /** Fault injection for kill-and-resume tests: the coordinator SIGKILLs itself on entering this state. */
  HMS_FAULT_CRASH_AT: z.string().optional(),
  /** Milliseconds before unacknowledged work moves to another instance. */
  HMS_ACK_WAIT_MS: z.coerce.number().int().min(500).optional(),
});
export type Config = z.infer<typeof ConfigSchema>;

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked = Object.fromEntries(
    Object.keys(ConfigSchema.shape).map((k) => [k, env[k] === "" ? undefined : env[k]]),
  );
  const r = ConfigSchema.safeParse(picked);
  if (!r.success) throw invalidInput(r.error, "environment");
  return r.data;
}

export function gatewayTokens(cfg: Config): Map<string, Principal> | undefined {
  return cfg.HMS_GATEWAY_TOKENS ? parseTokens(cfg.HMS_GATEWAY_TOKENS) : undefined;
}
