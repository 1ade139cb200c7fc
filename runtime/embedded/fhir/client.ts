import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IPolicy,
} from "cockatiel";
import { Client } from "fhir-kit-client";
import type { Logger } from "pino";
import { HmsError } from "../../../protocol/index.js";

/**
 * A resilient FHIR client for agents: fhir-kit-client against any R4 base URL, with a per-call
 * deadline, retries with exponential back-off for transient failures (network, 5xx, 429) and a
 * circuit breaker, so a dead server fails fast. Failures become HmsError; a server that is down
 * or whose circuit is open gives DEPENDENCY_FAILED naming the base URL.
 */

export const DEFAULT_FHIR_TIMEOUT_MS = 5_000;
export const DEFAULT_FHIR_RETRIES = 2;
export const DEFAULT_FHIR_BACKOFF_MS = 100;
export const DEFAULT_FHIR_BREAKER_THRESHOLD = 5;
export const DEFAULT_FHIR_HALF_OPEN_MS = 5_000;

export interface FhirClientOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`. */
  bearerToken?: string;
  logger: Logger;
  /** @defaultValue DEFAULT_FHIR_TIMEOUT_MS */
  timeoutMs?: number;
  /** Retries after the first attempt. @defaultValue DEFAULT_FHIR_RETRIES */
  retries?: number;
  /** @defaultValue DEFAULT_FHIR_BACKOFF_MS */
  backoffMs?: number;
  /** Consecutive failures that open the circuit. @defaultValue DEFAULT_FHIR_BREAKER_THRESHOLD */
  breakerThreshold?: number;
  /** @defaultValue DEFAULT_FHIR_HALF_OPEN_MS */
  halfOpenAfterMs?: number;
}

export type FhirJson = { resourceType: string; id?: string; [k: string]: unknown };
export type FhirBundle = FhirJson & {
  entry?: { resource?: FhirJson; fullUrl?: string; response?: { status?: string; location?: string } }[];
  total?: number;
  link?: { relation: string; url: string }[];
};
export type SearchParams = Record<string, string | number | boolean | (string | number | boolean)[]>;

/** `Type?name=value&…` for a batch entry, repeating a parameter given several values. */
export function searchUrl(resourceType: string, params: SearchParams): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, String(x));
  return `${resourceType}?${q.toString()}`;
}

interface HttpLikeError {
  response?: { status?: number; data?: unknown };
}

const statusOf = (err: unknown): number | undefined => (err as HttpLikeError)?.response?.status;

/** Network errors, timeouts, 5xx and 429 are worth another try; other HTTP errors are answers. */
export function isTransient(err: unknown): boolean {
  if (err instanceof BrokenCircuitError) return false;
  if (err instanceof HmsError) return false;
  const s = statusOf(err);
  return s === undefined || s >= 500 || s === 429;
}

function outcomeText(data: unknown): string | undefined {
  let d = data;
  if (typeof d === "string") {
    try {
      d = JSON.parse(d);
    } catch {
      return (d as string).slice(0, 300);
    }
  }
  const issues = (d as { issue?: { details?: { text?: string }; diagnostics?: string; code?: string }[] } | undefined)
    ?.issue;
  return issues
    ?.map((i) => i.details?.text ?? i.diagnostics ?? i.code)
    .filter(Boolean)
    .join("; ");
}

export class FhirClient {
  readonly baseUrl: string;
  private readonly client: Client;
  private readonly policy: IPolicy;
  private readonly log: Logger;
  private readonly timeoutMs: number;

  constructor(opts: FhirClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.log = opts.logger.child({ dependency: "fhir" });
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_FHIR_TIMEOUT_MS;
    this.client = new Client({
      baseUrl: this.baseUrl,
      customHeaders: { Accept: "application/fhir+json", "Content-Type": "application/fhir+json" },
      ...(opts.bearerToken ? { bearerToken: opts.bearerToken } : {}),
    });
    const transient = handleWhen(isTransient);
    const retryPolicy = retry(transient, {
      maxAttempts: opts.retries ?? DEFAULT_FHIR_RETRIES,
      backoff: new ExponentialBackoff({ initialDelay: opts.backoffMs ?? DEFAULT_FHIR_BACKOFF_MS, maxDelay: 2_000 }),
    });
    retryPolicy.onRetry((r) =>
      this.log.warn(
        { url: this.baseUrl, delayMs: r.delay, err: "error" in r ? String(r.error) : undefined },
        "fhir call retried",
      ),
    );
    const breaker = circuitBreaker(transient, {
      halfOpenAfter: opts.halfOpenAfterMs ?? DEFAULT_FHIR_HALF_OPEN_MS,
      breaker: new ConsecutiveBreaker(opts.breakerThreshold ?? DEFAULT_FHIR_BREAKER_THRESHOLD),
    });
    breaker.onBreak(() => this.log.error({ url: this.baseUrl }, "fhir circuit opened"));
    breaker.onReset(() => this.log.info({ url: this.baseUrl }, "fhir circuit closed"));
    this.policy = wrap(retryPolicy, breaker, timeout(this.timeoutMs, TimeoutStrategy.Aggressive));
  }

  private async call<T>(what: string, fn: (signal: AbortSignal) => Promise<unknown>, outer?: AbortSignal): Promise<T> {
    if (outer?.aborted) throw outer.reason;
    try {
      return (await this.policy.execute(
        ({ signal }) => fn(outer ? AbortSignal.any([signal, outer]) : signal),
        outer,
      )) as T;
    } catch (err) {
      throw this.toHmsError(what, err);
    }
  }

  private toHmsError(what: string, err: unknown): HmsError {
    if (err instanceof HmsError) return err;
    const status = statusOf(err);
    const detail = outcomeText((err as HttpLikeError)?.response?.data);
    const data = { dependency: "fhir", url: this.baseUrl, ...(status ? { status } : {}) };
    if (status === 404 || status === 410)
      return new HmsError("NOT_FOUND", `${what}: not found on FHIR server ${this.baseUrl}`, { cause: err, data });
    if (status === 400 || status === 422)
      return new HmsError(
        "INVALID_INPUT",
        `${what}: FHIR server ${this.baseUrl} rejected the request${detail ? `: ${detail}` : ""}`,
        { cause: err, data },
      );
    if (status === 409 || status === 412)
      return new HmsError(
        "CONFLICT",
        `${what}: conflict on FHIR server ${this.baseUrl}${detail ? `: ${detail}` : ""}`,
        { cause: err, data },
      );
    const why =
      err instanceof BrokenCircuitError
        ? "circuit open after repeated failures"
        : err instanceof TaskCancelledError
          ? `no answer within ${this.timeoutMs} ms`
          : status
            ? `HTTP ${status}${detail ? `: ${detail}` : ""}`
            : describeFailure(err);
    return new HmsError("DEPENDENCY_FAILED", `${what}: FHIR server ${this.baseUrl} unavailable (${why})`, {
      cause: err,
      data,
    });
  }

  read(resourceType: string, id: string, signal?: AbortSignal): Promise<FhirJson> {
    return this.call(
      `read ${resourceType}/${id}`,
      (s) => this.client.read({ resourceType, id, options: { signal: s } }),
      signal,
    );
  }

  search(resourceType: string, searchParams: SearchParams, signal?: AbortSignal): Promise<FhirBundle> {
    return this.call(
      `search ${resourceType}`,
      (s) => this.client.search({ resourceType, searchParams, options: { signal: s } }),
      signal,
    );
  }

  /** Resources of a search result, following `next` links up to `maxResources`. */
  async searchAll(
    resourceType: string,
    searchParams: SearchParams,
    maxResources: number,
    signal?: AbortSignal,
  ): Promise<FhirJson[]> {
    return this.collect(resourceType, await this.search(resourceType, searchParams, signal), maxResources, signal);
  }

  /** Resources of a searchset bundle already fetched, then of its `next` pages, up to `maxResources`. */
  async collect(
    resourceType: string,
    first: FhirBundle,
    maxResources: number,
    signal?: AbortSignal,
  ): Promise<FhirJson[]> {
    const out: FhirJson[] = [];
    let bundle: FhirBundle | undefined = first;
    while (bundle) {
      for (const e of bundle.entry ?? []) if (e.resource && out.length < maxResources) out.push(e.resource);
      const next = bundle.link?.find((l) => l.relation === "next");
      if (!next || out.length >= maxResources) break;
      const current: FhirBundle = bundle;
      bundle = await this.call<FhirBundle>(
        `search ${resourceType} (next page)`,
        (s) =>
          this.client.nextPage({
            bundle: current as Parameters<Client["nextPage"]>[0]["bundle"],
            options: { signal: s },
          }) ?? Promise.resolve(undefined),
        signal,
      );
    }
    return out;
  }

  create(resource: FhirJson, opts: { ifNoneExist?: string; signal?: AbortSignal } = {}): Promise<FhirJson> {
    const headers = opts.ifNoneExist ? { "If-None-Exist": opts.ifNoneExist } : undefined;
    return this.call(
      `create ${resource.resourceType}`,
      (s) =>
        this.client.create({
          resourceType: resource.resourceType,
          body: resource,
          options: { signal: s, ...(headers ? { headers } : {}) },
        }),
      opts.signal,
    );
  }

  update(resource: FhirJson & { id: string }, signal?: AbortSignal): Promise<FhirJson> {
    return this.call(
      `update ${resource.resourceType}/${resource.id}`,
      (s) =>
        this.client.update({
          resourceType: resource.resourceType,
          id: resource.id,
          body: resource,
          options: { signal: s },
        }),
      signal,
    );
  }

  /**
   * Reads and searches in one FHIR batch request (R4 §3.1.0.11.1; relative URLs such as
   * `Patient/1` or `Observation?subject=Patient/1`). Each answer in order: the resource (a searchset
   * Bundle for a search), or the HmsError its entry failed with. A failed request as a whole throws.
   */
  async batchGet(urls: readonly string[], signal?: AbortSignal): Promise<(FhirJson | HmsError)[]> {
    const body: FhirBundle = {
      resourceType: "Bundle",
      type: "batch",
      entry: urls.map((url) => ({ request: { method: "GET", url } })) as FhirBundle["entry"],
    };
    const res = await this.batch(body, signal, `batch of ${urls.length} reads`);
    const entries = res.entry ?? [];
    const miscounted = () =>
      new HmsError(
        "DEPENDENCY_FAILED",
        `batch of ${urls.length} reads: FHIR server ${this.baseUrl} answered ${entries.length} entries`,
        { data: { dependency: "fhir", url: this.baseUrl } },
      );
    if (res.resourceType !== "Bundle" || entries.length !== urls.length) throw miscounted();
    return urls.map((url, i) => {
      const e = entries[i];
      if (!e) throw miscounted(); // the lengths are equal: unreachable
      const status = Number.parseInt(e.response?.status ?? "200", 10);
      if (status < 400 && e.resource) return e.resource;
      const outcome = (e as { response?: { outcome?: unknown } }).response?.outcome ?? e.resource;
      return this.toHmsError(`GET ${url.split("?")[0]}`, {
        response: { status: status >= 400 ? status : 502, data: outcome },
      });
    });
  }

  /** A FHIR batch (`type: batch`): entries succeed or fail one by one; read each entry's `response.status`. */
  batch(bundle: FhirBundle, signal?: AbortSignal, what = `batch of ${bundle.entry?.length ?? 0}`): Promise<FhirBundle> {
    return this.call(what, (s) => this.client.batch({ body: bundle, options: { signal: s } }), signal);
  }

  transaction(bundle: FhirBundle, signal?: AbortSignal): Promise<FhirBundle> {
    return this.call("transaction", (s) => this.client.transaction({ body: bundle, options: { signal: s } }), signal);
  }
}

/** The most telling text of a failure: its cause, else its message, else the value itself. */
function describeFailure(err: unknown): string {
  const e = err as { cause?: unknown; message?: unknown } | null | undefined;
  const reason: unknown = e?.cause ?? e?.message ?? err;
  return typeof reason === "object" && reason !== null && !(reason instanceof Error)
    ? JSON.stringify(reason)
    : String(reason);
}
