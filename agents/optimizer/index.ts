import type { Logger } from "pino";
import { loadOptimizerImpl, type ImplName, type OptimizerImpl } from "../../clinical/index.js";
import { defineAgent } from "../../runtime/index.js";
import { optimizerSkills } from "./skills.js";

/** Options of the optimizer agent. */
export interface OptimizerAgentOptions {
  /** "native" | "ts" forces an implementation (OPTIMIZER_IMPL); default: native when built, else TypeScript. */
  impl?: ImplName;
  /** Path of native/index.node. @defaultValue `<repo>/native/index.node` */
  nativePath?: string;
  /** Reference JSON directory (HMS_REFERENCE_DIR). @defaultValue `clinical/reference/data` */
  referenceDir?: string;
  logger?: Logger;
}

/**
 * The optimizer agent: treatment-plan search (Rust through Neon, TypeScript fallback), biomarker
 * evaluation and genotype interpretation. See MODEL.md for the fitness model.
 * @example optimizerAgent({ impl: process.env.OPTIMIZER_IMPL as "native" | "ts" | undefined })
 */
export function optimizerAgent(opts: OptimizerAgentOptions = {}) {
  let impl: OptimizerImpl | undefined;
  const getImpl = () => (impl ??= loadOptimizerImpl({ impl: opts.impl, nativePath: opts.nativePath }));
  return defineAgent({
    id: "optimizer",
    name: "Treatment optimizer",
    description:
      "Searches 52-week Crohn's disease treatment plans with a genetic algorithm over a decision-analytic model; interprets pharmacogenomics and biomarkers.",
    version: "0.1.0",
    skills: optimizerSkills({ impl: getImpl, referenceDir: opts.referenceDir }),
    start: async (ctx) => {
      ctx.logger.info({ impl: getImpl().name }, "optimizer implementation chosen");
    },
  });
}

export { optimizerSkills } from "./skills.js";
