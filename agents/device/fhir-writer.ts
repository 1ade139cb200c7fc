import type { Observation } from "fhir/r4.js";
import type { FhirBundle, FhirClient, FhirJson } from "../../runtime/index.js";
import { READING_IDENTIFIER_SYSTEM } from "./observation.js";

/**
 * Writes a batch of Observations as one FHIR transaction of conditional creates
 * (`ifNoneExist: identifier=<system>|<value>`), so a batch written twice (a retry, a redelivered
 * reading) leaves one Observation per reading. Each write reports its outcome (for the healer's
 * `call-outcome` topic) whether it succeeded or not.
 */

export interface CallOutcome {
  /** The dependency: "fhir". */
  component: string;
  ok: boolean;
  ms: number;
  error?: string;
}

/** Builds the transaction bundle for a batch. */
export function observationTransaction(observations: readonly Observation[]): FhirBundle {
  return {
    resourceType: "Bundle",
    type: "transaction",
    entry: observations.map((o) => {
      const id = o.identifier?.find((i) => i.system === READING_IDENTIFIER_SYSTEM)?.value;
      return {
        resource: o as unknown as FhirJson,
        request: {
          method: "POST",
          url: "Observation",
          ...(id
            ? { ifNoneExist: `identifier=${encodeURIComponent(READING_IDENTIFIER_SYSTEM)}|${encodeURIComponent(id)}` }
            : {}),
        },
      };
    }),
  };
}

export function fhirObservationWriter(
  fhir: Pick<FhirClient, "transaction">,
  report: (o: CallOutcome) => void = () => {},
): (observations: Observation[]) => Promise<void> {
  return async (observations) => {
    if (observations.length === 0) return;
    const t0 = performance.now();
    try {
      await fhir.transaction(observationTransaction(observations));
      report({ component: "fhir", ok: true, ms: Math.round(performance.now() - t0) });
    } catch (err) {
      report({
        component: "fhir",
        ok: false,
        ms: Math.round(performance.now() - t0),
        error: err instanceof Error ? err.message : String(err),
      });
      throw err;
    }
  };
}
