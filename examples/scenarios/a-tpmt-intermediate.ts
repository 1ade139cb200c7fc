import { loadDrugs } from "../../clinical/reference/drugs.js";
import { ADVANCED_DRUGS } from "../../clinical/treatment/space.js";
import { carePlansOf, decide, regimenLine, requestPlan, type Scenario } from "./support.js";

const PATIENT = "pt-moderate-ileal-tpmt-im";

/**
 * (a) Moderate ileal Crohn's, TPMT intermediate → an advanced therapy with a reduced-dose
 * thiopurine. The payer's formulary requires an anti-TNF first (step therapy), so the clinician
 * rules the other advanced classes out; the combination with a thiopurine and its CPIC-reduced
 * starting dose are the optimizer's and verifier's own doing. (Without the formulary rule the
 * model rates IL-23 monotherapy as good as infliximab + azathioprine: agents/optimizer/MODEL.md.)
 */
export const tpmtIntermediate: Scenario = {
  name: "tpmt-intermediate",
  title: "Moderate ileal disease, TPMT intermediate metabolizer (anti-TNF first by formulary)",
  async run(ctx) {
    const drugs = loadDrugs();
    const classes = [...new Set(ADVANCED_DRUGS.map((id) => drugs.byId(id).class))];
    const notAntiTnf = classes.filter((c) => c !== "anti-TNF");
    ctx.story(
      `Patient ${PATIENT}: moderate ileal, stricturing Crohn's (A2 L1 B2); TPMT *1/*3A (intermediate metabolizer).`,
    );
    ctx.story(`The formulary requires an anti-TNF first line: the clinician excludes ${notAntiTnf.join(", ")}.`);
    const { plan } = await requestPlan(ctx, PATIENT, { excludedClasses: notAntiTnf });
    if (!plan) throw new Error("no plan reached clinician review");
    ctx.story(`The coordinator proposes: ${regimenLine(plan)}.`);
    const thio = plan.plan?.items.find((i) => i.role === "immunomodulator");
    if (thio)
      ctx.story(
        `${thio.drug} starts at ${Math.round((thio.doseFraction ?? 1) * 100)}% of the standard dose, as CPIC advises for a TPMT intermediate metabolizer.`,
      );
    const approved = await decide(ctx, plan.planId, true);
    ctx.story(
      `The clinician approves; the plan is written as ${approved.written?.carePlanRef} (draft) with ${approved.written?.medicationRequestRefs.length} proposed MedicationRequests.`,
    );
    const carePlans = await carePlansOf(ctx, PATIENT);
    return { plan: approved, carePlans };
  },
};
