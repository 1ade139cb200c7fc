import type { Logger } from "pino";
import { AssembledPlanSchema, type AssembledPlan, type Principal } from "../protocol/index.js";
import type { Config } from "./config.js";
import { bold, cyan, dim, elapsedStamp, green, out, red, yellow } from "./output.js";
import { startSystem } from "./system.js";

export const DEMO_CLINICIAN: Principal = { subject: "dr.demo", roles: ["clinician"], purposeOfUse: "TREAT" };

export interface DemoOptions {
  patient: string;
  json: boolean;
  seed?: number;
}

/**
 * The main job: every agent on the embedded defaults, one plan for one patient, approved by a demo
 * clinician, printed step by step. Returns the approved plan.
 */
export async function runDemo(cfg: Config, log: Logger, opts: DemoOptions): Promise<AssembledPlan> {
  const say = (line: string) => {
    if (!opts.json) out(line);
  };
  const t0 = Date.now();
  const stamp = () => elapsedStamp(t0);
  const sys = await startSystem(cfg, log, []);
  try {
    say(bold(`HMS-A2A demo: a treatment plan for ${opts.patient}`));
    say(
      dim(
        `NATS ${sys.host.natsUrl}${sys.host.embedded ? " (embedded)" : ""} · FHIR ${sys.fhirBaseUrl}${sys.embeddedFhir ? " (embedded)" : ""} · agents: ${sys.host.agents.map((a) => a.id).join(", ")}`,
      ),
    );
    say(`${stamp()} ${cyan("clinician")} ${DEMO_CLINICIAN.subject} asks the coordinator for a plan`);
    const client = sys.host.client;
    const request = {
      patientId: opts.patient,
      requester: DEMO_CLINICIAN,
      goals: {
        excludedDrugs: [],
        excludedClasses: [],
        ...(opts.seed !== undefined ? { optimizer: { seed: opts.seed } } : {}),
      },
    };
    let lastOptimizer = "";
    const proposed = await client.callForTask("coordinator", "plan_treatment", request, {
      principal: DEMO_CLINICIAN,
      timeoutMs: 300_000,
      onProgress: (message) => {
        if (message.startsWith("optimizer: ")) {
          // The GA reports every few generations: show one line per tenth of the run.
          if (message.slice(0, 40) === lastOptimizer.slice(0, 40)) return;
          lastOptimizer = message;
        }
        say(`${stamp()} ${cyan("coordinator")} ${message}`);
      },
    });
    const state = proposed.task.status.state;
    if (state !== "TASK_STATE_INPUT_REQUIRED") {
      const text = (proposed.task.status.message?.parts.find((p) => "text" in p) as { text?: string } | undefined)
        ?.text;
      throw new Error(`plan did not reach clinician review (${state}): ${text ?? "no reason given"}`);
    }
    const plan = AssembledPlanSchema.parse(proposed.output);
    say(`${stamp()} ${cyan("coordinator")} plan ${plan.planId} is ready for review`);
    printPlan(plan, say);
    say(`${stamp()} ${cyan("clinician")} ${DEMO_CLINICIAN.subject} approves the plan`);
    const approved = AssembledPlanSchema.parse(
      await client.call(
        "coordinator",
        "approve_plan",
        { planId: plan.planId, approve: true },
        {
          principal: DEMO_CLINICIAN,
          timeoutMs: 120_000,
          onProgress: (m) => say(`${stamp()} ${cyan("coordinator")} ${m}`),
        },
      ),
    );
    if (approved.status !== "approved" || !approved.written)
      throw new Error(`approval did not complete: ${approved.status} ${approved.reason ?? ""}`);
    say(
      `${stamp()} ${green("written to the EHR")}: ${approved.written.carePlanRef} (draft), ${approved.written.medicationRequestRefs.join(", ")} (proposals), ${approved.written.provenanceRef}`,
    );
    say(`${dim(`FHIR: ${sys.fhirBaseUrl}/${approved.written.carePlanRef}`)}`);
    printProvenance(approved, say);
    if (opts.json) out(JSON.stringify(approved, null, 2));
    return approved;
  } finally {
    await sys.close();
  }
}

function printPlan(plan: AssembledPlan, say: (l: string) => void): void {
  const p = plan.plan;
  if (!p) return;
  say(bold("\n  Regimen"));
  for (const i of p.items) {
    const sched =
      i.schedule.kind === "daily"
        ? "daily"
        : i.schedule.kind === "every"
          ? `every ${i.schedule.weeks} weeks`
          : `at weeks ${i.schedule.weeks.join(", ")}`;
    const frac =
      i.doseFraction !== undefined && i.doseFraction < 1
        ? yellow(` (${Math.round(i.doseFraction * 100)}% of standard: pharmacogenomics)`)
        : "";
    say(
      `  • ${i.drug} ${i.dose} ${i.unit} ${i.route} ${sched}, ${i.phase} weeks ${i.startWeek}–${i.endWeek ?? p.horizonWeeks}${frac}`,
    );
  }
  if (p.decisionPoints.length) {
    say(bold("  Decision points"));
    for (const d of p.decisionPoints)
      say(
        `  • week ${d.week}: remission → ${d.onRemission.kind}; partial → ${d.onPartialResponse.kind}; none → ${d.onNoResponse.kind}${d.onNoResponse.kind === "switch" ? ` to ${d.onNoResponse.drug}` : ""}`,
      );
  }
  say(bold("  Monitoring"));
  for (const m of p.monitoring) say(`  • ${m.test} at weeks ${m.weeks.join(", ")} ${dim(`(${m.reason})`)}`);
  if (plan.ranked) {
    const o = plan.ranked.outcome;
    say(bold("  Expected outcome") + dim(" (model, agents/optimizer/MODEL.md)"));
    say(
      `  • P(remission) week 12 ${(o.pRemissionWeek12 * 100).toFixed(0)}%, week 52 ${(o.pRemissionWeek52 * 100).toFixed(0)}%; confidence ${(plan.ranked.confidence * 100).toFixed(0)}%`,
    );
    for (const e of plan.ranked.explanations.slice(0, 4)) say(`  • ${dim(e)}`);
  }
  say(bold("  Verifier findings"));
  if (!plan.findings.length) say(`  • ${green("none")}`);
  for (const f of plan.findings)
    say(
      `  • ${f.severity === "error" ? red(f.severity) : f.severity === "warning" ? yellow(f.severity) : dim(f.severity)} ${f.ruleId}: ${f.message} ${dim(`[${f.reference}]`)}`,
    );
  say("");
}

function printProvenance(plan: AssembledPlan, say: (l: string) => void): void {
  const pv = plan.provenance;
  say(bold("  Provenance"));
  say(
    `  • FHIR resources read: ${pv.fhirResources.length} (${pv.fhirResources.slice(0, 4).join(", ")}${pv.fhirResources.length > 4 ? ", …" : ""})`,
  );
  say(`  • agents: ${pv.agents.map((a) => `${a.id} v${a.version}`).join(", ")}`);
  if (pv.optimizer)
    say(
      `  • optimizer: ${pv.optimizer.impl}, seed ${pv.optimizer.seed}, ${pv.optimizer.rounds} round(s), population ${String(pv.optimizer.config.populationSize)}, generations ${String(pv.optimizer.config.generations)}`,
    );
  // Every call in order: a task by its id, a quick skill's answer (an A2A Message) by its message id.
  for (const c of pv.calls)
    say(`  • ${c.agent}.${c.skill}: ${c.taskId ? `task ${c.taskId}` : `answer ${c.messageId ?? "?"}`}`);
}
