import type { Logger } from "pino";
import { loadOptimizerImpl, type ImplName, type OptimizerImpl } from "../../clinical/index.js";
import { defineAgent } from "../../runtime/index.js";
import { verifierSkills } from "./skills.js";

/** Options of the verifier agent. */
export interface VerifierAgentOptions {
  /** Implementation used to search alternatives (OPTIMIZER_IMPL). */
  impl?: ImplName;
  nativePath?: string;
  /** Reference JSON directory (HMS_REFERENCE_DIR). @defaultValue `clinical/reference/data` */
  referenceDir?: string;
  logger?: Logger;
}

/**
 * The verifier agent: rule checks of a plan against clinical/reference/data (one rule table shared with
 * the optimizer), outcome simulation and alternatives.
 */
export function verifierAgent(opts: VerifierAgentOptions = {}) {
  let impl: OptimizerImpl | undefined;
  const getImpl = () => (impl ??= loadOptimizerImpl({ impl: opts.impl, nativePath: opts.nativePath }));
  return defineAgent({
    id: "verifier",
    name: "Plan verifier",
    description:
      "Verifies Crohn's disease treatment plans against contraindication, interaction, dosing, pharmacogenomic and monitoring rules; simulates outcomes; suggests alternatives.",
    version: "0.1.0",
    skills: verifierSkills({ impl: getImpl, referenceDir: opts.referenceDir }),
  });
}

export { verifierSkills } from "./skills.js";
