import { z } from "zod";
import {
  BiomarkerInfluenceSchema,
  GenotypeSchema,
  OptimizerConfigSchema,
  OptimizerConstraintsSchema,
  OptimizerResultSchema,
  PatientSummarySchema,
  PharmacogenomicsSchema,
} from "../../protocol/index.js";
import {
  evaluateBiomarkers,
  genotypeFromVcf,
  interpretThiopurineGenotype,
  loadPgx,
  loadPlanSpace,
  optimizeTreatment,
  patientFactors,
  type OptimizerImpl,
} from "../../clinical/index.js";
import { defineSkill } from "../../runtime/index.js";

/** What the optimizer's skills need from the agent. */
export interface OptimizerSkillDeps {
  impl: () => OptimizerImpl;
  referenceDir?: string;
}

const CLINICAL = ["clinician", "researcher", "admin", "agent"] as const;

/** The optimizer agent's skills; thin wrappers over clinical/treatment and clinical/pgx. */
export function optimizerSkills(deps: OptimizerSkillDeps) {
  const optimize = defineSkill({
    verb: "optimize_treatment",
    title: "Optimize a treatment plan",
    description:
      "Genetic algorithm over 52-week Crohn's plans (advanced therapy, immunomodulator, steroid bridge, decision points at weeks 12 and 26, monitoring). Returns the top-k feasible plans with fitness, confidence, explanations, biomarker influences and convergence history. Same seed and config give the same plans.",
    input: z.object({
      patient: PatientSummarySchema,
      constraints: OptimizerConstraintsSchema.optional(),
      config: OptimizerConfigSchema.optional(),
    }),
    output: OptimizerResultSchema,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    roles: [...CLINICAL],
    handler: async (input, ctx) => {
      const pending: Promise<void>[] = [];
      const res = await optimizeTreatment(input, {
        impl: deps.impl(),
        referenceDir: deps.referenceDir,
        signal: ctx.signal,
        onProgress: (p) => {
          pending.push(
            ctx.progress(
              `generation ${p.generation}: best fitness ${p.best.toFixed(3)}`,
              { ...p },
              { transient: true },
            ),
          );
        },
      });
      await Promise.all(pending);
      ctx.logger.info(
        { impl: res.impl, evaluations: res.evaluations, ms: Math.round(res.elapsedMs) },
        "treatment optimized",
      );
      return res;
    },
  });

  const biomarkers = defineSkill({
    verb: "evaluate_biomarkers",
    title: "Evaluate biomarkers",
    description:
      "Latest calprotectin, CRP and albumin against loinc.json thresholds, and how each moves the outcome model (relapse hazard, drug efficacy, antibody clearance); plus phenotype, history and genotype notes.",
    input: z.object({ patient: PatientSummarySchema }),
    output: z.object({
      influences: z.array(BiomarkerInfluenceSchema),
      activityBand: z.string(),
      notes: z.array(z.string()),
    }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    roles: [...CLINICAL],
    stateless: true,
    handler: async ({ patient }) => {
      const space = loadPlanSpace(deps.referenceDir);
      return {
        influences: evaluateBiomarkers(patient, space),
        activityBand: patient.activity.band,
        notes: patientFactors(patient, space).notes,
      };
    },
  });

  const genotype = defineSkill({
    verb: "interpret_genotype",
    title: "Interpret a genotype",
    description:
      "TPMT/NUDT15 diplotypes (or VCF text) to CPIC phenotypes and thiopurine starting dose (pharmacogenomics.json); HLA-DQA1*05 carriage (anti-TNF immunogenicity) and NOD2 variants (phenotype marker).",
    input: z.object({
      tpmt: z.string().nullable().optional(),
      nudt15: z.string().nullable().optional(),
      hlaDqa105: z.boolean().nullable().optional(),
      nod2: z.array(z.string()).nullable().optional(),
      /** Single-sample VCF text; calls override the fields above. */
      vcf: z.string().optional(),
    }),
    output: z.object({
      genotype: GenotypeSchema,
      pharmacogenomics: PharmacogenomicsSchema,
      markers: z.array(
        z.object({
          marker: z.string(),
          present: z.boolean().nullable(),
          effect: z.string(),
          clinicalUse: z.string(),
          reference: z.string(),
        }),
      ),
    }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    roles: [...CLINICAL],
    stateless: true,
    handler: async (input) => {
      const fromVcf = input.vcf ? genotypeFromVcf(input.vcf) : null;
      const g = {
        tpmt: fromVcf?.tpmt ?? input.tpmt ?? null,
        nudt15: fromVcf?.nudt15 ?? input.nudt15 ?? null,
        hlaDqa105: fromVcf?.hlaDqa105 ?? input.hlaDqa105 ?? null,
        nod2: fromVcf?.nod2 ?? input.nod2 ?? null,
      };
      const pgx = loadPgx(deps.referenceDir);
      const idx = (prefix: string) => pgx.markers.findIndex((m) => m.marker.startsWith(prefix));
      const hla = pgx.marker("HLA-DQA1*05");
      const nod2 = pgx.marker("NOD2");
      return {
        genotype: g,
        pharmacogenomics: interpretThiopurineGenotype(g, { referenceDir: deps.referenceDir }),
        markers: [
          {
            marker: hla.marker,
            present: g.hlaDqa105,
            effect: hla.effect,
            clinicalUse: hla.clinical_use,
            reference: `pharmacogenomics.json#other_markers[${idx("HLA-DQA1*05")}]`,
          },
          {
            marker: nod2.marker,
            present: g.nod2 === null ? null : g.nod2.length > 0,
            effect: nod2.effect,
            clinicalUse: nod2.clinical_use,
            reference: `pharmacogenomics.json#other_markers[${idx("NOD2")}]`,
          },
        ],
      };
    },
  });

  return [optimize, biomarkers, genotype] as const;
}
