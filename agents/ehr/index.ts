import type { Logger } from "pino";
import { defineAgent } from "../../runtime/index.js";
import { FhirClient } from "../../runtime/index.js";
import { EhrService } from "./service.js";
import { ehrSkills } from "./skills.js";

/**
 * EHR agent: FHIR reads and writes through fhir-kit-client (retries, circuit breaker), the Crohn's
 * patient summary, bounded observation queries, idempotent care-plan writes and change detection.
 * Every PHI access is checked (and audited) by the consent agent first.
 */

export interface EhrAgentOptions {
  /** FHIR R4 base URL (FHIR_BASE_URL, or the embedded server's). */
  fhirBaseUrl: string;
  fhirBearerToken?: string;
  logger: Logger;
  referenceDir?: string;
  /** Resilience settings of the FHIR client (see FhirClientOptions). */
  fhir?: {
    timeoutMs?: number;
    retries?: number;
    backoffMs?: number;
    breakerThreshold?: number;
    halfOpenAfterMs?: number;
  };
  now?: () => Date;
}

export { EhrService, type Caller } from "./service.js";
export { buildPatientSummary } from "./summary.js";
export { buildCarePlanTransaction } from "./care-plan.js";
export { CarePlanWriteSchema, CarePlanWriteResultSchema } from "../../protocol/index.js";

export function ehrAgent(opts: EhrAgentOptions) {
  const logger = opts.logger.child({ agentId: "ehr" });
  const fhir = new FhirClient({
    baseUrl: opts.fhirBaseUrl,
    ...(opts.fhirBearerToken ? { bearerToken: opts.fhirBearerToken } : {}),
    logger,
    ...opts.fhir,
  });
  const service = new EhrService({
    fhir,
    logger,
    ...(opts.referenceDir ? { referenceDir: opts.referenceDir } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  return defineAgent({
    id: "ehr",
    name: "EHR agent",
    description:
      "Reads and writes the FHIR R4 EHR: patient search, Crohn's patient summaries, observations, draft care plans, change feed. Consent-checked and audited.",
    version: "0.1.0",
    skills: ehrSkills(() => service),
  });
}
