import type { Scenario } from "./support.js";
import { tpmtIntermediate } from "./a-tpmt-intermediate.js";
import { heartFailure } from "./b-heart-failure.js";
import { antiTnfNonResponse } from "./c-antitnf-nonresponse.js";
import { consentRevoked } from "./d-consent-revoked.js";
import { researcherCohort } from "./e-researcher-cohort.js";
import { coordinatorKilled } from "./f-coordinator-killed.js";
import { clinicianRejects } from "./g-clinician-rejects.js";

/** Every scenario, runnable as `hms scenario <name>` and as an end-to-end test. */
export const SCENARIOS: readonly Scenario[] = [
  tpmtIntermediate,
  heartFailure,
  antiTnfNonResponse,
  consentRevoked,
  researcherCohort,
  coordinatorKilled,
  clinicianRejects,
];

export type { Scenario, ScenarioContext } from "./support.js";
