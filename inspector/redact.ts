import { createHmac, randomBytes } from "node:crypto";

/**
 * Server-side redaction by allowlist: a payload leaves the server with every value replaced by
 * "[redacted]" unless its key is known not to identify anyone. Patient ids become keyed pseudonyms,
 * so an operator can follow one patient's conversations without learning who the patient is.
 */
export const REDACTED = "[redacted]";

/** Keys whose primitive values (string, number, boolean) are shown as they are. */
export const DEFAULT_SAFE_KEYS: readonly string[] = [
  "skill",
  "verb",
  "method",
  "state",
  "status",
  "code",
  "kind",
  "type",
  "severity",
  "category",
  "unit",
  "system",
  "version",
  "agentId",
  "instanceId",
  "source",
  "by",
  "role",
  "mediaType",
  "artifactId",
  "lastChunk",
  "taskId",
  "contextId",
  "messageId",
  "ok",
  "ms",
  "inflight",
  "uptimeMs",
  "pid",
  "at",
  "timestamp",
  "count",
  "counted",
  "step",
  "n",
  "stepMs",
  "upper",
  "resumed",
  "score",
  "level",
  "priority",
  "ready",
  "permit",
  "purposeOfUse",
  "riskLevel",
  "model",
  "seed",
  "generations",
];

/** Keys whose string values are patient ids: they are replaced by the patient's pseudonym. */
export const DEFAULT_PATIENT_KEYS: readonly string[] = ["patientId", "patientRef", "patient", "subjectId"];

/** Texts the runtime itself writes (status messages), which carry no patient data. */
export const DEFAULT_SAFE_TEXTS: readonly RegExp[] = [
  /^[a-z][a-z0-9_]*: (started|done)$/,
  /^[a-z][a-z0-9_]*: resumed on [a-z0-9-]+$/,
  /^step \d+ of \d+$/,
  /^Task canceled at the client's request\.$/,
  /^unknown skill [a-z0-9_]+$/,
];

export interface RedactionPolicy {
  safeKeys: ReadonlySet<string>;
  patientKeys: ReadonlySet<string>;
  safeTexts: readonly RegExp[];
  pseudonym(patientId: string): string;
}

export interface RedactionOptions {
  /** @defaultValue DEFAULT_SAFE_KEYS */
  safeKeys?: readonly string[];
  /** @defaultValue DEFAULT_PATIENT_KEYS */
  patientKeys?: readonly string[];
  /** @defaultValue DEFAULT_SAFE_TEXTS */
  safeTexts?: readonly RegExp[];
  /** HMAC key of the pseudonyms; share it between processes that must agree. @defaultValue random per process */
  pseudonymKey?: string;
}

const PSEUDONYM = /^p-[0-9a-f]{10}$/;

export function redactionPolicy(opts: RedactionOptions = {}): RedactionPolicy {
  const key = opts.pseudonymKey ?? randomBytes(32).toString("hex");
  return {
    safeKeys: new Set(opts.safeKeys ?? DEFAULT_SAFE_KEYS),
    patientKeys: new Set(opts.patientKeys ?? DEFAULT_PATIENT_KEYS),
    safeTexts: opts.safeTexts ?? DEFAULT_SAFE_TEXTS,
    pseudonym: (id) =>
      PSEUDONYM.test(id) ? id : `p-${createHmac("sha256", key).update(patientIdOf(id)).digest("hex").slice(0, 10)}`,
  };
}

/** `Patient/abc` → `abc`; anything else unchanged. */
const patientIdOf = (v: string): string => (v.startsWith("Patient/") ? v.slice("Patient/".length) : v);

export interface Redacted {
  value: unknown;
  /** Number of values replaced. */
  count: number;
}

/** Redacts a JSON value: keeps structure and key names, replaces every value not allowed by the policy. */
export function redact(value: unknown, policy: RedactionPolicy): Redacted {
  let count = 0;
  const walk = (v: unknown, key: string | undefined): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x, k);
      return out;
    }
    if (v === null || v === undefined) return v;
    if (key !== undefined && policy.patientKeys.has(key) && typeof v === "string") return policy.pseudonym(v);
    if (typeof v === "string" && v.startsWith("Patient/")) return `Patient/${policy.pseudonym(v)}`;
    if (key !== undefined && policy.safeKeys.has(key)) return v;
    if (key === "text" && typeof v === "string" && policy.safeTexts.some((r) => r.test(v))) return v;
    count++;
    return REDACTED;
  };
  return { value: walk(value, undefined), count };
}

/** The pseudonym of the first patient id found in a payload (by key or `Patient/<id>` reference). */
export function findPatient(value: unknown, policy: RedactionPolicy): string | undefined {
  const stack: Array<[unknown, string | undefined]> = [[value, undefined]];
  let budget = 10_000; // a bound on work per payload
  while (stack.length && budget-- > 0) {
    const [v, key] = stack.pop()!;
    if (typeof v === "string") {
      if (key !== undefined && policy.patientKeys.has(key) && v.length > 0) return policy.pseudonym(v);
      if (v.startsWith("Patient/")) return policy.pseudonym(v);
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push([x, key]);
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) stack.push([x, k]);
    }
  }
  return undefined;
}

/** Top-level keys of an object, for one-line summaries that must not show values. */
export const keysOf = (v: unknown): string =>
  v !== null && typeof v === "object" && !Array.isArray(v)
    ? `{${Object.keys(v).slice(0, 6).join(", ")}${Object.keys(v).length > 6 ? ", …" : ""}}`
    : "";
