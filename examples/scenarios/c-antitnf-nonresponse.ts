import { decide, regimenLine, requestPlan, type Scenario } from "./support.js";

const PATIENT = "pt-antitnf-primary-nonresponse";

/** (c) Prior anti-TNF primary non-response → a different class. */
export const antiTnfNonResponse: Scenario = {
  name: "antitnf-nonresponse",
  title: "Primary non-response to an anti-TNF",
  async run(ctx) {
    ctx.story(`Patient ${PATIENT}: moderate Crohn's; infliximab failed (primary non-response).`);
    const { plan } = await requestPlan(ctx, PATIENT);
    if (!plan) throw new Error("no plan reached clinician review");
    const advanced = plan.plan?.items.find((i) => i.role === "advanced");
    ctx.story(
      `The coordinator proposes: ${regimenLine(plan)} — ${advanced ? `a ${advanced.drugClass}, not another anti-TNF` : "no advanced therapy"}.`,
    );
    const approved = await decide(ctx, plan.planId, true);
    return { plan: approved };
  },
};
