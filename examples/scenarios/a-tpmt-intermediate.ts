import { decide, carePlansOf, regimenLine, requestPlan, type Scenario } from "./support.js";

const PATIENT = "pt-moderate-ileal-tpmt-im";

/** (a) Moderate ileal Crohn's, TPMT intermediate → an advanced therapy with a reduced-dose thiopurine. */
export const tpmtIntermediate: Scenario = {
  name: "tpmt-intermediate",
  title: "Moderate ileal disease, TPMT intermediate metabolizer",
  async run(ctx) {
    ctx.story(`Patient ${PATIENT}: moderate ileal, stricturing Crohn's (A2 L1 B2); TPMT *1/*3A (intermediate metabolizer).`);
    const { plan } = await requestPlan(ctx, PATIENT);
    if (!plan) throw new Error("no plan reached clinician review");
    ctx.story(`The coordinator proposes: ${regimenLine(plan)}.`);
    const thio = plan.plan?.items.find((i) => i.role === "immunomodulator");
    if (thio) ctx.story(`${thio.drug} starts at ${Math.round((thio.doseFraction ?? 1) * 100)}% of the standard dose, as CPIC advises for a TPMT intermediate metabolizer.`);
    const approved = await decide(ctx, plan.planId, true);
    ctx.story(`Dr approves; the plan is written as ${approved.written?.carePlanRef} (draft) with ${approved.written?.medicationRequestRefs.length} proposed MedicationRequests.`);
    const carePlans = await carePlansOf(ctx, PATIENT);
    return { plan: approved, carePlans };
  },
};
