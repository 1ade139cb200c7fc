import type { Logger } from "pino";
import { realClock, type Clock } from "../../runtime/index.js";

/**
 * Collects items and hands them to `flush` in batches: when `maxSize` items are waiting, or
 * `maxDelayMs` after the first item of a batch arrived, whichever comes first. One flush runs at a
 * time; items that arrive meanwhile wait for the next. A failed flush goes to `onError` with its
 * items (the lead can dead-letter them) and never stops the batcher.
 */

export interface BatcherOptions<T> {
  /** The flush target, e.g. a FHIR transaction of Observations. */
  flush: (items: T[]) => Promise<void>;
  /** @defaultValue DEFAULT_BATCH_SIZE */
  maxSize?: number;
  /** @defaultValue DEFAULT_BATCH_DELAY_MS */
  maxDelayMs?: number;
  clock?: Clock;
  onError?: (err: unknown, items: T[]) => void;
  logger?: Logger;
}

export const DEFAULT_BATCH_SIZE = 100;
export const DEFAULT_BATCH_DELAY_MS = 1_000;

export interface Batcher<T> {
  add(...items: T[]): void;
  /** Flushes what is waiting now and resolves when every flush so far has finished. */
  drain(): Promise<void>;
  pending(): number;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function createBatcher<T>(opts: BatcherOptions<T>): Batcher<T> {
  const {
    flush,
    maxSize = DEFAULT_BATCH_SIZE,
    maxDelayMs = DEFAULT_BATCH_DELAY_MS,
    clock = realClock,
    onError,
    logger,
  } = opts;
  if (!(maxSize >= 1)) throw new RangeError("maxSize must be at least 1");
  let buffer: T[] = [];
  let timer: unknown = undefined;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const cancelTimer = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };

  const flushNow = (): Promise<void> => {
    cancelTimer();
    if (buffer.length === 0) return chain;
    const batch = buffer;
    buffer = [];
    chain = chain.then(async () => {
      try {
        await flush(batch);
      } catch (err) {
        logger?.warn({ err, size: batch.length }, "batch flush failed");
        onError?.(err, batch);
      }
    });
    return chain;
  };

  const add = (...items: T[]) => {
    if (closed) throw new RangeError("batcher is closed");
    for (const item of items) {
      buffer.push(item);
      if (buffer.length >= maxSize) void flushNow();
    }
    if (buffer.length > 0 && timer === undefined)
      timer = clock.setTimeout(() => {
        timer = undefined;
        void flushNow();
      }, maxDelayMs);
  };

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      closed = true;
      await flushNow();
    })();
    return closing;
  };
  return { add, drain: flushNow, pending: () => buffer.length, close, [Symbol.asyncDispose]: close };
}
