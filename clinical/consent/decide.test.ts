import { describe, expect, it } from "vitest";
import { ConsentRecordSchema, type AccessRequest, type ConsentRecord } from "../../protocol/clinical/consent.js";
import { decideAccess, fromFhirConsent, toFhirConsent } from "./index.js";

const now = new Date("2026-01-15T12:00:00Z");
const consent = (c: Partial<ConsentRecord> & Pick<ConsentRecord, "decision">): ConsentRecord =>
  ConsentRecordSchema.parse({ id: "c1", patientId: "pt-a", ...c });
const req = (r: Partial<AccessRequest> = {}): AccessRequest => ({
  requester: "dr.lee",
  roles: ["clinician"],
  patientId: "pt-a",
  categories: ["observations"],
  action: "read",
  purposeOfUse: "TREAT",
  ...r,
});
const research = req({ requester: "r.sun", roles: ["researcher"], purposeOfUse: "HRESCH" });
const optIn = (extra: Partial<ConsentRecord> = {}) => consent({ decision: "permit", purposes: ["HRESCH"], ...extra });

describe("access decisions", () => {
  it("permits a clinician reading observations for treatment", () => {
    const d = decideAccess(req(), [], now);
    expect(d).toMatchObject({ permit: true, obligations: [], breakGlass: false });
  });

  it("denies what a role does not need (a nurse reading genomics)", () => {
    const d = decideAccess(req({ roles: ["nurse"], categories: ["observations", "genomics"] }), [], now);
    expect(d.permit).toBe(false);
    expect(d.reason).toContain("genomics");
    expect(d.reason).toContain("minimum necessary");
  });

  it("denies when the patient's consent refuses that clinician", () => {
    const d = decideAccess(req(), [consent({ decision: "deny", actorSubjects: ["dr.lee"] })], now);
    expect(d).toMatchObject({ permit: false, consentRefs: ["Consent/c1"] });
    expect(
      decideAccess(req({ requester: "dr.other" }), [consent({ decision: "deny", actorSubjects: ["dr.lee"] })], now)
        .permit,
    ).toBe(true);
  });

  it("lets break-the-glass override a deny, with a review obligation", () => {
    const d = decideAccess(
      req({ purposeOfUse: "ETREAT", reason: "unconscious in ED, suspected perforation" }),
      [consent({ decision: "deny" })],
      now,
    );
    expect(d).toMatchObject({ permit: true, breakGlass: true, obligations: ["break-glass-review"] });
    expect(d.reason).toContain("unconscious");
  });

  it("refuses break-the-glass without a reason", () => {
    expect(decideAccess(req({ purposeOfUse: "ETREAT" }), [], now)).toMatchObject({
      permit: false,
      reason: expect.stringContaining("requires a reason"),
    });
  });

  it("gives researchers de-identified data only, and only with an opt-in", () => {
    expect(decideAccess(research, [], now)).toMatchObject({
      permit: false,
      reason: expect.stringContaining("not on record"),
    });
    expect(decideAccess(research, [optIn()], now)).toMatchObject({ permit: true, obligations: ["de-identify"] });
    expect(decideAccess({ ...research, action: "write" }, [optIn()], now).permit).toBe(false);
  });

  it("treats an expired opt-in as no opt-in", () => {
    const d = decideAccess(research, [optIn({ period: { start: "2024-01-01", end: "2025-12-31" } })], now);
    expect(d).toMatchObject({ permit: false, reason: expect.stringContaining("expired") });
    expect(decideAccess(research, [optIn({ period: { end: "2026-01-15" } })], now).permit).toBe(true);
  });

  it("treats a revoked opt-in as no opt-in, and a revoked deny as lifted", () => {
    expect(decideAccess(research, [optIn({ status: "inactive" })], now)).toMatchObject({
      permit: false,
      reason: expect.stringContaining("revoked"),
    });
    expect(decideAccess(req(), [consent({ decision: "deny", status: "inactive" })], now).permit).toBe(true);
  });

  it("round-trips a consent through FHIR Consent", () => {
    const c = consent({
      decision: "deny",
      actorRoles: ["researcher"],
      actorSubjects: ["r.sun"],
      purposes: ["HRESCH"],
      categories: ["genomics"],
      actions: ["read"],
      period: { start: "2025-01-01", end: "2027-01-01" },
      recordedBy: "dr.lee",
    });
    expect(fromFhirConsent(toFhirConsent(c))).toEqual(c);
  });
});
