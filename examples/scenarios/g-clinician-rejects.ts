import { carePlansOf, decide, regimenLine, requestPlan, type Scenario } from "./support.js";

const PATIENT = "pt-elderly-cv-risk";
const REASON = "Patient prefers to avoid infusions; revisit after cardiology review.";

/** (g) The clinician rejects the plan → the reason is recorded and nothing is written. */
export const clinicianRejects: Scenario = {
  name: "clinician-rejects",
  title: "Clinician rejects the plan",
  async run(ctx) {
    ctx.story(`Patient ${PATIENT}: age 71 with cardiovascular risk.`);
    const { plan, task } = await requestPlan(ctx, PATIENT);
    if (!plan) throw new Error("no plan reached clinician review");
    ctx.story(`Proposed: ${regimenLine(plan)}.`);
    const rejected = await decide(ctx, plan.planId, false, REASON);
    ctx.story(
      `The clinician rejects it: "${rejected.decision?.reason}" (recorded on plan ${rejected.planId}, status ${rejected.status}).`,
    );
    const sdk = await ctx.sys.host.client.client("coordinator");
    const finalTask = await sdk.getTask({ tenant: "", id: task.id });
    const carePlans = await carePlansOf(ctx, PATIENT);
    ctx.story(`CarePlans written: ${carePlans.length}.`);
    return { plan: rejected, taskState: finalTask.status?.state, carePlans, reason: REASON };
  },
};
