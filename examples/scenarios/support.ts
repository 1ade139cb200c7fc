import { spawn, type ChildProcess } from "node:child_process";
import { AssembledPlanSchema, type AssembledPlan } from "../../protocol/clinical/coordinator.js";
import type { Principal, WireTask } from "../../protocol/index.js";
import { REPO_ROOT } from "../../cli/config.js";
import { defaultAgentCommand } from "../../cli/supervise.js";
import type { System } from "../../cli/system.js";

/** What a scenario gets: a running system and a way to tell its story. */
export interface ScenarioContext {
  sys: System;
  /** One line of the story a person reads. */
  story(line: string): void;
  /** Optimizer seed, so every run tells the same story. */
  seed: number;
}

export interface Scenario<R = unknown> {
  name: string;
  title: string;
  /** Agents that must run in-process (default: all). */
  agents?: string[];
  run(ctx: ScenarioContext): Promise<R>;
}

export const CLINICIAN: Principal = { subject: "dr.ines.moreau", roles: ["clinician"], purposeOfUse: "TREAT" };
/** The registration desk that records patients' consents. */
export const CONSENT_DESK: Principal = { subject: "consent-desk", roles: ["admin"], purposeOfUse: "TREAT" };
export const RESEARCHER: Principal = { subject: "res.kofi.mensah", roles: ["researcher"], purposeOfUse: "HRESCH" };

export interface PlanOutcome {
  task: WireTask;
  plan?: AssembledPlan;
}

/** Asks the coordinator for a plan and waits until it needs the clinician or ends. */
export async function requestPlan(
  ctx: ScenarioContext,
  patientId: string,
  opts: { requester?: Principal; excludedDrugs?: string[]; excludedClasses?: string[] } = {},
): Promise<PlanOutcome> {
  const requester = opts.requester ?? CLINICIAN;
  const r = await ctx.sys.host.client
    .callForTask(
      "coordinator",
      "plan_treatment",
      {
        patientId,
        requester,
        goals: {
          excludedDrugs: opts.excludedDrugs ?? [],
          excludedClasses: opts.excludedClasses ?? [],
          optimizer: { seed: ctx.seed },
        },
      },
      { principal: requester, timeoutMs: 300_000 },
    )
    .catch((err: unknown) => ({ error: err }));
  if ("error" in r) throw r.error;
  const parsed = AssembledPlanSchema.safeParse(r.output);
  return { task: r.task, plan: parsed.success ? parsed.data : undefined };
}

export async function decide(
  ctx: ScenarioContext,
  planId: string,
  approve: boolean,
  reason?: string,
  clinician: Principal = CLINICIAN,
): Promise<AssembledPlan> {
  const out = await ctx.sys.host.client.call(
    "coordinator",
    "approve_plan",
    { planId, approve, ...(reason ? { reason } : {}) },
    { principal: clinician, timeoutMs: 120_000 },
  );
  return AssembledPlanSchema.parse(out);
}

/** FHIR search over HTTP, the way any EHR client would look. */
export async function fhirSearch(ctx: ScenarioContext, query: string): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${ctx.sys.fhirBaseUrl}/${query}`, { headers: { accept: "application/fhir+json" } });
  if (!res.ok) throw new Error(`FHIR ${query}: HTTP ${res.status}`);
  const bundle = (await res.json()) as { entry?: Array<{ resource: Record<string, unknown> }> };
  return (bundle.entry ?? []).map((e) => e.resource);
}

export const carePlansOf = (ctx: ScenarioContext, patientId: string) =>
  fhirSearch(ctx, `CarePlan?subject=Patient/${patientId}&_count=100`);

/** One line per plan: each drug once, with its phases' doses (induction → maintenance). */
export function regimenLine(plan: AssembledPlan | undefined): string {
  const items = plan?.plan?.items ?? [];
  if (!items.length) return "(none)";
  const byDrug = new Map<string, string[]>();
  for (const i of items) {
    const dose = `${i.dose} ${i.unit} ${i.route}${i.doseFraction !== undefined && i.doseFraction < 1 ? ` (${Math.round(i.doseFraction * 100)}% dose)` : ""}`;
    byDrug.set(i.drug, [...(byDrug.get(i.drug) ?? []), dose]);
  }
  return [...byDrug].map(([drug, doses]) => `${drug} ${[...new Set(doses)].join(" → ")}`).join(" + ");
}

/** Runs `hms agent <id>` as its own process against the scenario's NATS and FHIR. Resolves once it serves. */
export async function spawnAgent(
  ctx: ScenarioContext,
  id: string,
  env: Record<string, string> = {},
): Promise<ChildProcess> {
  const { command, args } = defaultAgentCommand(id);
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NATS_URL: ctx.sys.host.natsUrl,
      FHIR_BASE_URL: ctx.sys.fhirBaseUrl,
      HMS_TENANT: ctx.sys.host.tenant,
      LOG_LEVEL: "warn",
      LOG_FORMAT: "json",
      HMS_ACK_WAIT_MS: "1500",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`agent ${id} did not start in time`)), 30_000);
    child.stdout.on("data", (d: Buffer) => {
      if (d.toString().includes("serving as")) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once("exit", (code, sig) => {
      clearTimeout(t);
      reject(new Error(`agent ${id} exited (${code ?? sig}) before serving`));
    });
  });
  return child;
}

export const exitOf = (child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
    : new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
