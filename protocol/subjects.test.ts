import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseSubject, subjects, toToken, token } from "./subjects.js";

describe("subjects of the NATS binding", () => {
  it("builds each subject of BINDING.md §2", () => {
    expect(subjects.rpc("default", "ehr")).toBe("a2a.v1.default.agent.ehr.rpc");
    expect(subjects.taskEvents("t1", "0f8e-aa")).toBe("a2a.v1.t1.task.0f8e-aa.events");
    expect(subjects.topic("default", "alarm", "device")).toBe("a2a.v1.default.topic.alarm.device");
    expect(subjects.xstate("default", "coordinator")).toBe("obs.v1.default.xstate.coordinator");
  });

  it("refuses a token that could add a level or a wildcard", () => {
    for (const bad of ["a.b", "*", ">", "A", "", "has space", "x".repeat(65)])
      expect(() => token(bad)).toThrow(TypeError);
  });

  it("parses back what it builds", () => {
    expect(parseSubject(subjects.rpc("default", "ehr"))).toEqual({ kind: "rpc", tenant: "default", agentId: "ehr" });
    expect(parseSubject(subjects.taskEvents("default", "abc"))).toEqual({
      kind: "task-events",
      tenant: "default",
      taskId: "abc",
    });
    expect(parseSubject(subjects.topic("default", "heartbeat", "alert"))).toEqual({
      kind: "topic",
      tenant: "default",
      type: "heartbeat",
      source: "alert",
    });
    expect(parseSubject("something.else")).toEqual({ kind: "other" });
  });

  it("turns any id into a valid token (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        expect(() => token(toToken(s))).not.toThrow();
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});
