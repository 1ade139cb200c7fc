import { HmsError } from "../../protocol/index.js";
import { CONSENT_DESK, RESEARCHER, type Scenario } from "./support.js";

const COHORT = ["pt-moderate-ileal-tpmt-im", "pt-severe-ileocolonic-perianal", "pt-age-over-89", "pt-restricted-zip"];
const NOT_OPTED_IN = "pt-mild-colonic";

/** (e) A researcher requests a cohort summary → de-identified data only, and only with opt-in. */
export const researcherCohort: Scenario = {
  name: "researcher-cohort",
  title: "Researcher cohort summary",
  async run(ctx) {
    const client = ctx.sys.host.client;
    for (const p of COHORT)
      await client.call(
        "consent",
        "record",
        {
          patientId: p,
          decision: "permit",
          purposes: ["HRESCH"],
          actorRoles: ["researcher"],
          recordedBy: CONSENT_DESK.subject,
        },
        { principal: CONSENT_DESK },
      );
    ctx.story(`${COHORT.length} patients have opted in to research; ${NOT_OPTED_IN} has not.`);
    const summaries: Array<Record<string, unknown>> = [];
    for (const p of COHORT) {
      const r = await client.call<{ summary: Record<string, unknown> }>(
        "ehr",
        "get_patient_summary",
        { patientId: p },
        { principal: RESEARCHER },
      );
      summaries.push(r.summary);
    }
    const rows = summaries.map((s) => {
      const d = s.demographics as { age: number; ageTopCoded?: boolean; sex: string };
      const a = s.activity as { band: string };
      const m = (s.diagnosis as { montreal: { location: string | null; behaviour: string | null } }).montreal;
      return `${String(s.patientId).padEnd(14)} ${d.ageTopCoded ? "90+" : String(d.age).padStart(3)} ${d.sex.padEnd(7)} ${a.band.padEnd(9)} ${m.location ?? "?"} ${m.behaviour ?? "?"}`;
    });
    ctx.story("Cohort (pseudonym, age, sex, activity, Montreal L/B), de-identified:");
    for (const r of rows) ctx.story(`  ${r}`);
    let refused: string | undefined;
    try {
      await client.call("ehr", "get_patient_summary", { patientId: NOT_OPTED_IN }, { principal: RESEARCHER });
    } catch (err) {
      refused = err instanceof HmsError ? `${err.code}: ${err.message}` : String(err);
    }
    ctx.story(`${NOT_OPTED_IN} without opt-in: ${refused ?? "NOT refused"}.`);
    return { summaries, refused, cohort: COHORT };
  },
};
