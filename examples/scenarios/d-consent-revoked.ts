import { CONSENT_DESK, carePlansOf, decide, requestPlan, type Scenario } from "./support.js";

const PATIENT = "pt-latent-tb-untreated";

/**
 * (d) The patient withdraws consent while the plan is in progress → the plan ends rejected,
 * nothing is written, and the audit trail shows why. Treatment access is permitted by role policy
 * unless the patient opts out, so withdrawing means recording a deny Consent.
 */
export const consentRevoked: Scenario = {
  name: "consent-revoked",
  title: "Consent withdrawn during planning",
  async run(ctx) {
    const client = ctx.sys.host.client;
    ctx.story(`Patient ${PATIENT}: the clinician asks for a plan.`);
    const { plan } = await requestPlan(ctx, PATIENT);
    if (!plan) throw new Error("no plan reached clinician review");
    ctx.story(
      `Plan ${plan.planId} awaits review when the patient withdraws consent to data use for treatment planning.`,
    );
    const withdrawn = await client.call<{ id?: string; consent?: { id?: string } }>(
      "consent",
      "record",
      {
        patientId: PATIENT,
        decision: "deny",
        purposes: ["TREAT"],
        actorRoles: ["clinician", "agent"],
        recordedBy: CONSENT_DESK.subject,
      },
      { principal: CONSENT_DESK },
    );
    ctx.story(`A deny Consent is recorded (${JSON.stringify(withdrawn).match(/"id":"([^"]+)"/)?.[1] ?? "stored"}).`);
    const after = await decide(ctx, plan.planId, true);
    ctx.story(`The clinician approves, but the EHR refuses the write: plan ${after.status} — ${after.reason}.`);
    const carePlans = await carePlansOf(ctx, PATIENT);
    ctx.story(`CarePlans on record for the patient: ${carePlans.length}.`);
    const audit = await client.call<{
      entries: Array<{ requester: string; action: string; reason?: string; outcome: string }>;
    }>("consent", "query_audit", { patientId: PATIENT, outcome: "denied", limit: 20 }, { principal: CONSENT_DESK });
    for (const e of audit.entries.slice(-2))
      ctx.story(`Audit: ${e.requester} ${e.action} → ${e.outcome}${e.reason ? ` (${e.reason})` : ""}`);
    return { plan: after, carePlans, audit: audit.entries };
  },
};
