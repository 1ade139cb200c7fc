import { describe, expect, it } from "vitest";
import { JsonRpcTransportError } from "@a2a-js/sdk/errors";
import { HmsError, type WireTask } from "../../protocol/index.js";
import { fromWireError, outcome } from "./bus-client.js";

const wire = (code: number, data?: unknown) =>
  new JsonRpcTransportError({
    jsonrpc: "2.0",
    id: 1,
    error: { code, message: "refused", ...(data ? { data } : {}) },
  } as never);

describe("errors a caller gets back", () => {
  it("keeps the stable code a refusal carries, and maps bare JSON-RPC codes by the binding's table", () => {
    expect((fromWireError(wire(-32602, { code: "INVALID_INPUT", issues: [] }), "ehr", "x") as HmsError).code).toBe(
      "INVALID_INPUT",
    );
    expect((fromWireError(wire(-32602), "ehr", "x") as HmsError).code).toBe("INVALID_INPUT");
    expect((fromWireError(wire(-32001), "ehr", "x") as HmsError).code).toBe("TASK_NOT_FOUND");
    expect((fromWireError(wire(-32009), "ehr", "x") as HmsError).code).toBe("VERSION_NOT_SUPPORTED");
    expect((fromWireError(wire(-32099), "ehr", "x") as HmsError).code).toBe("INTERNAL");
    const own = new HmsError("AGENT_UNAVAILABLE", "nobody");
    expect(fromWireError(own, "ehr", "x")).toBe(own);
  });

  it("reads a finished task: output, waiting data, or the typed error", () => {
    const base = { id: "t", contextId: "c" };
    const done: WireTask = {
      ...base,
      status: { state: "TASK_STATE_COMPLETED" },
      artifacts: [{ artifactId: "t-result", name: "result", parts: [{ data: { ok: 1 } }] }],
    };
    expect(outcome("a", "v", done)).toEqual({ ok: 1 });
    const waiting: WireTask = {
      ...base,
      status: {
        state: "TASK_STATE_INPUT_REQUIRED",
        message: { messageId: "m", role: "ROLE_AGENT", parts: [{ text: "approve?" }, { data: { planId: "p" } }] },
      },
    };
    expect(outcome("a", "v", waiting)).toEqual({ planId: "p" });
    const failed: WireTask = {
      ...base,
      status: {
        state: "TASK_STATE_FAILED",
        message: {
          messageId: "m",
          role: "ROLE_AGENT",
          parts: [{ text: "no" }, { data: { error: { code: "NOT_FOUND", message: "no such patient" } } }],
        },
      },
    };
    expect(() => outcome("a", "v", failed)).toThrow(
      expect.objectContaining({ code: "NOT_FOUND", message: "no such patient" }),
    );
    const rejected: WireTask = {
      ...base,
      status: {
        state: "TASK_STATE_REJECTED",
        message: { messageId: "m", role: "ROLE_AGENT", parts: [{ text: "consent denied" }] },
      },
    };
    expect(() => outcome("a", "v", rejected)).toThrow(expect.objectContaining({ code: "CONSENT_DENIED" }));
  });
});
