/**
 * Local errors (`HmsError`, never leave the process as-is) and the one table that maps each
 * stable code to its wire forms: A2A JSON-RPC code, HTTP status. MCP tools report any HmsError as
 * `isError: true` with the code in `structuredContent`.
 */

/** A2A 1.0 JSON-RPC error codes (spec §5.4 / a2a-js `A2A_ERROR_CODE`), plus JSON-RPC 2.0's own. */
export const JSONRPC_CODES = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  TASK_NOT_FOUND: -32001,
  TASK_NOT_CANCELABLE: -32002,
  PUSH_NOTIFICATION_NOT_SUPPORTED: -32003,
  UNSUPPORTED_OPERATION: -32004,
  CONTENT_TYPE_NOT_SUPPORTED: -32005,
  INVALID_AGENT_RESPONSE: -32006,
  AUTHENTICATED_EXTENDED_CARD_NOT_CONFIGURED: -32007,
  EXTENSION_SUPPORT_REQUIRED: -32008,
  VERSION_NOT_SUPPORTED: -32009,
} as const;

export const ERROR_TABLE = {
  /** Input failed validation; `data.issues` names the fields. */
  INVALID_INPUT: { jsonrpc: JSONRPC_CODES.INVALID_PARAMS, http: 400 },
  /** Bytes that are not JSON. */
  PARSE_ERROR: { jsonrpc: JSONRPC_CODES.PARSE_ERROR, http: 400 },
  /** JSON that is not a JSON-RPC request. */
  INVALID_REQUEST: { jsonrpc: JSONRPC_CODES.INVALID_REQUEST, http: 400 },
  METHOD_NOT_FOUND: { jsonrpc: JSONRPC_CODES.METHOD_NOT_FOUND, http: 404 },
  /** Also used for a task the caller may not read, so its existence is not revealed. */
  TASK_NOT_FOUND: { jsonrpc: JSONRPC_CODES.TASK_NOT_FOUND, http: 404 },
  TASK_NOT_CANCELABLE: { jsonrpc: JSONRPC_CODES.TASK_NOT_CANCELABLE, http: 400 },
  UNSUPPORTED_OPERATION: { jsonrpc: JSONRPC_CODES.UNSUPPORTED_OPERATION, http: 400 },
  VERSION_NOT_SUPPORTED: { jsonrpc: JSONRPC_CODES.VERSION_NOT_SUPPORTED, http: 400 },
  /** A clinical or domain resource (patient, plan, device) that does not exist. */
  NOT_FOUND: { jsonrpc: JSONRPC_CODES.INVALID_PARAMS, http: 404 },
  /** NATS "no responders": nobody serves that agent; `data.agentId`. */
  AGENT_UNAVAILABLE: { jsonrpc: JSONRPC_CODES.INTERNAL_ERROR, http: 503 },
  /** A call ran past its deadline; `data.timeoutMs`. */
  DEADLINE_EXCEEDED: { jsonrpc: JSONRPC_CODES.INTERNAL_ERROR, http: 504 },
  /** A dependency (FHIR server, native module) failed or its circuit is open; `data.dependency`. */
  DEPENDENCY_FAILED: { jsonrpc: JSONRPC_CODES.INTERNAL_ERROR, http: 502 },
  /** Not authenticated. */
  UNAUTHENTICATED: { jsonrpc: JSONRPC_CODES.INVALID_REQUEST, http: 401 },
  /** Authenticated but the role does not allow it. */
  FORBIDDEN: { jsonrpc: JSONRPC_CODES.INVALID_REQUEST, http: 403 },
  /** Consent denied: moves a task to TASK_STATE_REJECTED; through the gateway 403. */
  CONSENT_DENIED: { jsonrpc: JSONRPC_CODES.INVALID_REQUEST, http: 403 },
  /** A clinician rejected a proposed plan: the plan task ends TASK_STATE_REJECTED with the reason. */
  PLAN_REJECTED: { jsonrpc: JSONRPC_CODES.INVALID_REQUEST, http: 409 },
  /** A write that conflicts with current state (CAS failure, duplicate). */
  CONFLICT: { jsonrpc: JSONRPC_CODES.INVALID_PARAMS, http: 409 },
  INTERNAL: { jsonrpc: JSONRPC_CODES.INTERNAL_ERROR, http: 500 },
} as const satisfies Record<string, { jsonrpc: number; http: number }>;

export type ErrorCode = keyof typeof ERROR_TABLE;
export const ERROR_CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

export class HmsError extends Error {
  readonly code: ErrorCode;
  readonly data?: unknown;
  constructor(code: ErrorCode, message: string, opts?: ErrorOptions & { data?: unknown }) {
    super(message, opts);
    this.name = "HmsError";
    this.code = code;
    this.data = opts?.data;
  }

  static is(err: unknown, code?: ErrorCode): err is HmsError {
    return err instanceof HmsError && (code === undefined || err.code === code);
  }

  /** Any thrown value as an HmsError (unknown errors become INTERNAL with the original as cause). */
  static from(err: unknown): HmsError {
    if (err instanceof HmsError) return err;
    if (isZodError(err)) return invalidInput(err);
    const message = err instanceof Error ? err.message : String(err);
    return new HmsError("INTERNAL", message, { cause: err });
  }

  get jsonRpcCode(): number {
    return ERROR_TABLE[this.code].jsonrpc;
  }

  get httpStatus(): number {
    return ERROR_TABLE[this.code].http;
  }

  /** The JSON-RPC error object a peer sees; the stable code travels in `data.code`. */
  toJsonRpc(): { code: number; message: string; data: Record<string, unknown> } {
    const extra =
      this.data && typeof this.data === "object"
        ? (this.data as Record<string, unknown>)
        : this.data === undefined
          ? {}
          : { detail: this.data };
    return { code: this.jsonRpcCode, message: this.message, data: { ...extra, code: this.code } };
  }

  toJSON(): { code: ErrorCode; message: string; data?: unknown } {
    return { code: this.code, message: this.message, ...(this.data === undefined ? {} : { data: this.data }) };
  }
}

interface ZodLikeIssue {
  path: PropertyKey[];
  message: string;
}
interface ZodLikeError {
  name: string;
  issues: ZodLikeIssue[];
}

function isZodError(err: unknown): err is ZodLikeError {
  return (
    !!err &&
    typeof err === "object" &&
    (err as { name?: unknown }).name === "ZodError" &&
    Array.isArray((err as ZodLikeError).issues)
  );
}

/** Formats a zod error as INVALID_INPUT whose message names every offending field. */
export function invalidInput(err: Pick<ZodLikeError, "issues">, what = "input"): HmsError {
  const issues = err.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message }));
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  return new HmsError("INVALID_INPUT", `invalid ${what}: ${summary}`, { data: { issues } });
}
