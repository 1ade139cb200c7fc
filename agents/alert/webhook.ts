import { HmsError } from "../../protocol/index.js";

/**
 * POSTs JSON to a webhook with exponential back-off: retries network errors, timeouts, 408, 429
 * and 5xx; a 4xx other than those is final. Every attempt has its own deadline.
 */

export interface WebhookOptions {
  /** @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
  /** Retries after the first attempt. @defaultValue 3 */
  retries?: number;
  /** @defaultValue 250 */
  baseDelayMs?: number;
  /** @defaultValue 10_000 */
  maxDelayMs?: number;
  /** Per attempt. @defaultValue 5_000 */
  timeoutMs?: number;
  /** Waits between attempts (injectable for tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export const DEFAULT_WEBHOOK = { retries: 3, baseDelayMs: 250, maxDelayMs: 10_000, timeoutMs: 5_000 } as const;

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** attempt);
}

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Resolves with the number of attempts made; rejects with DEPENDENCY_FAILED after the last. */
export async function postWebhook(
  url: string,
  body: unknown,
  opts: WebhookOptions = {},
): Promise<{ attempts: number; status: number }> {
  const {
    fetch: doFetch = globalThis.fetch,
    retries = DEFAULT_WEBHOOK.retries,
    baseDelayMs = DEFAULT_WEBHOOK.baseDelayMs,
    maxDelayMs = DEFAULT_WEBHOOK.maxDelayMs,
    timeoutMs = DEFAULT_WEBHOOK.timeoutMs,
    sleep = defaultSleep,
    signal,
    headers = {},
  } = opts;
  let lastError = "";
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (signal?.aborted) throw signal.reason;
    if (attempt > 0) await sleep(backoffDelay(attempt - 1, baseDelayMs, maxDelayMs), signal);
    const attemptSignal = signal
      ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
      : AbortSignal.timeout(timeoutMs);
    try {
      const res = await doFetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
        signal: attemptSignal,
      });
      if (res.ok) return { attempts: attempt + 1, status: res.status };
      lastError = `HTTP ${res.status}`;
      if (!retryable(res.status)) break;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      lastError = err instanceof Error ? err.message : String(err);
    }
  }
  throw new HmsError("DEPENDENCY_FAILED", `webhook ${url} failed: ${lastError}`, {
    data: { dependency: "webhook", url },
  });
}
