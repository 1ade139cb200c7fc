/**
 * Writes examples/patients/PLANS.md: for each synthetic patient, the plan the coordinator's
 * pipeline proposes (optimize → verify → re-optimize without the blocked drugs, as the coordinator
 * does), written for a clinician to review: regimen (drug, dose, route, schedule, weeks), what
 * happens to the drugs the patient takes now, decision points, monitoring, verifier findings and
 * the three facts that drove the choice.
 *
 *   npx tsx scripts/plans-md.ts            write the file
 *   npx tsx scripts/plans-md.ts --check    exit 1 when the file differs from what would be written
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as fhir4 from "fhir/r4.js";
import { buildPatientSummary } from "../agents/ehr/summary.js";
import { tsImpl, type OptimizerImpl } from "../clinical/treatment/loader.js";
import { optimizeTreatment } from "../clinical/treatment/optimize.js";
import { scheduleText } from "../clinical/treatment/rules-regimen.js";
import { blockingDrugs, verifyPlan } from "../clinical/treatment/verify.js";
import type { PatientSummary } from "../protocol/clinical/patient.js";
import type { DecisionAction, RankedPlan, RegimenItem, VerificationReport } from "../protocol/clinical/plan.js";
import { AS_OF } from "./gen-patients.js";

const DIR = fileURLToPath(new URL("../examples/patients/", import.meta.url));
export const PLANS_FILE = join(DIR, "PLANS.md");
/** The coordinator's bound on optimize → verify rounds (PlanRequestSchema maxRounds default). */
const MAX_ROUNDS = 3;

export interface ProposedPlan {
  summary: PatientSummary;
  ranked: RankedPlan | null;
  report: VerificationReport | null;
  excluded: string[];
  rounds: number;
}

/** The coordinator's loop, in process: the best plan, verified, re-optimized without blocked drugs. */
export async function proposePlan(summary: PatientSummary, impl: OptimizerImpl): Promise<ProposedPlan> {
  const excluded: string[] = [];
  let last: ProposedPlan = { summary, ranked: null, report: null, excluded, rounds: 0 };
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const res = await optimizeTreatment({ patient: summary, constraints: { excludedDrugs: [...excluded] } }, { impl });
    const best = res.plans.find((p) => p.feasible) ?? null;
    if (!best) return { ...last, ranked: null, report: null, rounds: round };
    const report = verifyPlan(summary, best.plan);
    last = { summary, ranked: best, report, excluded: [...excluded], rounds: round };
    if (report.isValid) return last;
    const blocked = blockingDrugs(best.plan, report).filter((d) => !excluded.includes(d));
    if (blocked.length === 0) return last;
    excluded.push(...blocked);
  }
  return last;
}

const weeksText = (it: RegimenItem, horizon: number) =>
  `weeks ${it.startWeek}–${it.endWeek ?? horizon}${it.endWeek === null ? " (ongoing)" : ""}`;
const actionText = (a: DecisionAction) => (a.kind === "switch" ? `switch to ${a.drug}` : a.kind);

/** The facts a clinician would name first for this choice, most decisive first. */
export function drivingFacts(p: PatientSummary, ranked: RankedPlan, excluded: string[]): string[] {
  const facts: string[] = [];
  const c = p.comorbidities;
  for (const m of p.currentMedications.filter((x) => x.drugClass !== null))
    facts.push(`on ${m.drug} now (${m.response})`);
  const failed = p.treatmentHistory.filter((h) =>
    ["primary-non-response", "loss-of-response", "intolerance", "adverse-event"].includes(h.response),
  );
  if (failed.length > 0) facts.push(`earlier ${failed.map((h) => `${h.drug}: ${h.response}`).join(", ")}`);
  for (const a of p.allergies.filter((x) => x.reactions.length > 0))
    facts.push(`documented ${a.reactions.map((r) => r.manifestation).join(", ")} to ${a.substance}`);
  const flags = [
    c.pregnant && "pregnant",
    c.lactating && "breastfeeding",
    c.latentTbUntreated && "untreated latent TB",
    c.hepatitisBActive && "hepatitis B (HBsAg positive)",
    c.hepatitisBPast && "past hepatitis B (anti-HBc positive)",
    c.activeSeriousInfection && "active serious infection",
    c.heartFailureNyha !== null && c.heartFailureNyha >= 3 && `NYHA ${c.heartFailureNyha} heart failure`,
    c.demyelinatingDisease && "demyelinating disease",
    p.demographics.age >= 65 && `age ${p.demographics.age}`,
  ].filter((x): x is string => typeof x === "string");
  if (flags.length > 0) facts.push(flags.join(", "));
  if (ranked.plan.items.some((i) => i.drug === "azathioprine" || i.drug === "mercaptopurine"))
    facts.push(`TPMT ${p.pharmacogenomics.tpmtPhenotype} / NUDT15 ${p.pharmacogenomics.nudt15Phenotype}`);
  if (c.currentInteractingMedications.length > 0) facts.push(`takes ${c.currentInteractingMedications.join(", ")}`);
  if (excluded.length > 0) facts.push(`verifier ruled out ${excluded.join(", ")}`);
  const m = p.diagnosis.montreal;
  facts.push(
    `${p.activity.band} disease${m.location ? `, Montreal ${m.location}${m.behaviour ? ` ${m.behaviour}` : ""}${m.perianal ? " perianal" : ""}` : ""}`,
  );
  return facts.slice(0, 3);
}

function section(pp: ProposedPlan): string {
  const p = pp.summary;
  const lines: string[] = [`## \`${p.patientId}\``, ""];
  const demo = `${p.demographics.age} y, ${p.demographics.sex}${p.demographics.weightKg ? `, ${p.demographics.weightKg} kg` : ""}`;
  lines.push(`${demo}; ${p.activity.band} disease.`, "");
  if (!pp.ranked || !pp.report) {
    lines.push(
      "**No plan**: the optimizer found no feasible regimen for this patient; the coordinator ends the plan as failed for a clinician to decide.",
      "",
    );
    return lines.join("\n");
  }
  const plan = pp.ranked.plan;
  lines.push(`Drivers: ${drivingFacts(p, pp.ranked, pp.excluded).join("; ")}.`, "");
  lines.push("| drug | phase | dose | route | schedule | weeks |", "| --- | --- | --- | --- | --- | --- |");
  for (const it of plan.items)
    lines.push(
      `| ${it.drug} | ${it.phase} | ${it.dose} ${it.unit}${it.doseFraction !== undefined && it.doseFraction < 1 ? ` (${Math.round(it.doseFraction * 100)}% of standard)` : ""} | ${it.route} | ${scheduleText(it.schedule)} | ${weeksText(it, plan.horizonWeeks)} |`,
    );
  lines.push("");
  if (plan.currentTherapy.length > 0) {
    lines.push("Current drugs:");
    for (const c of plan.currentTherapy)
      lines.push(
        `- ${c.drug}: ${c.action}${c.replacedBy ? ` → ${c.replacedBy}` : ""}${c.stopWeek !== undefined ? ` (week ${c.stopWeek})` : ""}${c.washoutWeeks ? `, ${c.washoutWeeks} weeks apart` : ""} — ${c.reason}`,
      );
    lines.push("");
  }
  if (plan.decisionPoints.length > 0) {
    lines.push("Decision points:");
    for (const d of plan.decisionPoints)
      lines.push(
        `- week ${d.week}: remission → ${actionText(d.onRemission)}; partial response → ${actionText(d.onPartialResponse)}; no response → ${actionText(d.onNoResponse)}`,
      );
    lines.push("");
  }
  lines.push("Monitoring:");
  for (const m of plan.monitoring) lines.push(`- ${m.test} at weeks ${m.weeks.join(", ")} — ${m.reason}`);
  lines.push("");
  const findings = pp.report.findings;
  lines.push(
    findings.length === 0
      ? "Findings: none."
      : [
          "Findings:",
          ...findings.map((f) => `- ${f.severity} \`${f.ruleId}\`${f.item ? ` (${f.item})` : ""}: ${f.message}`),
        ].join("\n"),
  );
  lines.push("");
  return lines.join("\n");
}

/** The whole page, from the bundles in examples/patients. */
export async function renderPlans(impl: OptimizerImpl = tsImpl): Promise<string> {
  const files = readdirSync(DIR)
    .filter((f) => f.startsWith("pt-") && f.endsWith(".json"))
    .sort();
  const parts = [
    "# Proposed plans for the synthetic patients",
    "",
    `Generated by \`npx tsx scripts/plans-md.ts\` (checked by \`scripts/plans-md.test.ts\`): the coordinator's pipeline (the TypeScript optimizer, which gives the native one's plans; seed 42, default configuration, up to ${MAX_ROUNDS} rounds of optimize → verify) for each patient in this folder, as of ${AS_OF}. Every plan is a proposal for clinician review. Doses and schedules come from \`clinical/reference/data/drugs.json\` (label regimens); findings cite their rule.`,
    "",
  ];
  for (const f of files) {
    const bundle = JSON.parse(readFileSync(join(DIR, f), "utf8")) as fhir4.Bundle;
    const resources = (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
    const summary = buildPatientSummary(resources, { asOf: new Date(`${AS_OF}T00:00:00Z`) });
    parts.push(section(await proposePlan(summary, impl)));
    // One patient at a time: a caller's event loop (a vitest worker's RPC) stays free between them.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return parts.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await renderPlans();
  if (process.argv.includes("--check")) {
    const same = readFileSync(PLANS_FILE, "utf8") === text;
    process.stdout.write(same ? "PLANS.md is up to date\n" : "PLANS.md differs: run npx tsx scripts/plans-md.ts\n");
    process.exit(same ? 0 : 1);
  }
  writeFileSync(PLANS_FILE, text);
  process.stdout.write(`wrote ${PLANS_FILE}\n`);
}
