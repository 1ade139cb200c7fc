import { decide, regimenLine, requestPlan, type Scenario } from "./support.js";

const PATIENT = "pt-heart-failure-nyha3";

/** (b) NYHA III heart failure → no anti-TNF, and the reason why. */
export const heartFailure: Scenario = {
  name: "heart-failure",
  title: "NYHA class III heart failure",
  async run(ctx) {
    ctx.story(`Patient ${PATIENT}: moderate Crohn's and NYHA class III heart failure.`);
    const { plan } = await requestPlan(ctx, PATIENT);
    if (!plan) throw new Error("no plan reached clinician review");
    ctx.story(`The coordinator proposes: ${regimenLine(plan)}.`);
    const why = [
      ...(plan.ranked?.explanations ?? []),
      ...plan.provenance.findings.map((f) => `${f.ruleId}: ${f.message}`),
    ].filter((t) => /heart|NYHA|anti-TNF/i.test(t));
    for (const w of why.slice(0, 3)) ctx.story(`Why no anti-TNF: ${w}`);
    const approved = await decide(ctx, plan.planId, true);
    return { plan: approved, why };
  },
};
