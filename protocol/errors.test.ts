import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ERROR_CODES, ERROR_TABLE, HmsError, JSONRPC_CODES, invalidInput } from "./errors.js";

describe("the error table", () => {
  // One row per code: what a peer sees for it over A2A JSON-RPC and over HTTP.
  const expected: Record<string, [number, number]> = {
    INVALID_INPUT: [-32602, 400],
    PARSE_ERROR: [-32700, 400],
    INVALID_REQUEST: [-32600, 400],
    METHOD_NOT_FOUND: [-32601, 404],
    TASK_NOT_FOUND: [-32001, 404],
    TASK_NOT_CANCELABLE: [-32002, 400],
    UNSUPPORTED_OPERATION: [-32004, 400],
    VERSION_NOT_SUPPORTED: [-32009, 400],
    NOT_FOUND: [-32602, 404],
    AGENT_UNAVAILABLE: [-32603, 503],
    DEADLINE_EXCEEDED: [-32603, 504],
    DEPENDENCY_FAILED: [-32603, 502],
    UNAUTHENTICATED: [-32600, 401],
    FORBIDDEN: [-32600, 403],
    CONSENT_DENIED: [-32600, 403],
    PLAN_REJECTED: [-32600, 409],
    CONFLICT: [-32602, 409],
    INTERNAL: [-32603, 500],
  };

  it("has exactly the documented codes", () => {
    expect([...ERROR_CODES].sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))("maps %s to its JSON-RPC code and HTTP status", (code, [rpc, http]) => {
    const e = new HmsError(code as keyof typeof ERROR_TABLE, "x");
    expect(e.jsonRpcCode).toBe(rpc);
    expect(e.httpStatus).toBe(http);
    expect(e.toJsonRpc()).toMatchObject({ code: rpc, message: "x", data: { code } });
  });

  it("uses only JSON-RPC 2.0 and A2A codes", () => {
    const known = new Set(Object.values(JSONRPC_CODES));
    for (const row of Object.values(ERROR_TABLE)) expect(known.has(row.jsonrpc)).toBe(true);
  });
});

describe("HmsError", () => {
  it("names every offending field when input fails its schema", () => {
    const r = z.object({ patientId: z.string(), dose: z.number().positive() }).safeParse({ dose: -1 });
    const e = invalidInput(r.error!);
    expect(e.code).toBe("INVALID_INPUT");
    expect(e.message).toMatch(/patientId/);
    expect(e.message).toMatch(/dose/);
    expect((e.data as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toEqual(["patientId", "dose"]);
  });

  it("turns unknown throwables into INTERNAL and keeps the cause", () => {
    const cause = new TypeError("boom");
    const e = HmsError.from(cause);
    expect(e.code).toBe("INTERNAL");
    expect(e.cause).toBe(cause);
    expect(HmsError.from("plain string").message).toBe("plain string");
    const zodErr = z.string().safeParse(1).error!;
    expect(HmsError.from(zodErr).code).toBe("INVALID_INPUT");
  });
});
