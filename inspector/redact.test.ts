import { describe, expect, it } from "vitest";
import { findPatient, redact, redactionPolicy, REDACTED } from "./redact.js";
import { parseSince } from "./filter.js";

const policy = redactionPolicy({ pseudonymKey: "k" });

describe("payload redaction", () => {
  it("keeps allowlisted fields and replaces every other value, patient ids by their pseudonym", () => {
    const r = redact(
      {
        skill: "get_summary",
        input: { patientId: "pt-1", name: "Mei Moreau", age: 92, ref: "Patient/pt-1", tags: ["x"] },
      },
      policy,
    );
    const pseud = policy.pseudonym("pt-1");
    expect(r.value).toEqual({
      skill: "get_summary",
      input: { patientId: pseud, name: REDACTED, age: REDACTED, ref: `Patient/${pseud}`, tags: [REDACTED] },
    });
    expect(r.count).toBe(3);
    expect(findPatient({ a: { subject: "Patient/pt-1" } }, policy)).toBe(pseud);
    expect(policy.pseudonym(pseud)).toBe(pseud);
  });
  it("shows only the runtime's own status texts", () => {
    expect(redact({ text: "echo_text: started" }, policy).value).toEqual({ text: "echo_text: started" });
    expect(redact({ text: "patient Mei Moreau not found" }, policy).value).toEqual({ text: REDACTED });
  });
});

describe("--since", () => {
  it("reads sequences, cursors, durations and times", () => {
    expect(parseSince("12")).toEqual({ kind: "seq", src: "events", seq: 12 });
    expect(parseSince("j:7")).toEqual({ kind: "seq", src: "journal", seq: 7 });
    expect(parseSince("5m", () => 600_000)).toEqual({ kind: "time", at: new Date(300_000) });
    expect(() => parseSince("soon")).toThrow(/since/);
  });
});
