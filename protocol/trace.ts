import { randomBytes } from "node:crypto";

/** W3C Trace Context `traceparent`: version-traceid-parentid-flags. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function newTraceparent(traceId?: string): string {
  return `00-${traceId ?? randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
}

/** The trace id of a traceparent, or undefined when it is absent or malformed. */
export function traceIdOf(traceparent: string | undefined | null): string | undefined {
  const m = traceparent ? TRACEPARENT.exec(traceparent) : null;
  return m ? m[1] : undefined;
}

/** A child traceparent: same trace, new span. */
export function childTraceparent(parent: string | undefined): string {
  return newTraceparent(traceIdOf(parent));
}
