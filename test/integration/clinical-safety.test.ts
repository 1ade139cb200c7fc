import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basePatient } from "../../clinical/treatment/testing/patients.js";
import { item, planWith } from "../../clinical/treatment/testing/plans.js";
import { DECISION_CASES } from "../../clinical/treatment/testing/decision-cases.js";
import { RULE_CASES } from "../../clinical/treatment/testing/rule-cases.js";
import type { PatientSummary } from "../../protocol/clinical/patient.js";
import type { AssembledPlan } from "../../protocol/clinical/coordinator.js";
import type { TreatmentPlan, VerificationReport } from "../../protocol/clinical/plan.js";
import { REPO } from "../support/spawn.js";

/**
 * Clinical safety as a clinician meets it: every verifier rule, the verifier's input checks and the
 * coordinator's plans, through the real MCP tools of `hms mcp` on the embedded defaults (its own
 * nats-server, the FHIR server seeded with the synthetic patients, every agent).
 */

let client: Client;

beforeAll(async () => {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), LOG_LEVEL: "warn" };
  delete env.NATS_URL;
  delete env.FHIR_BASE_URL;
  delete env.HMS_REFERENCE_DIR;
  client = new Client({ name: "clinical-safety-test", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: ["bin/hms.mjs", "mcp", "--role", "clinician", "--subject", "dr.safety"],
      cwd: REPO,
      env,
      stderr: "ignore",
    }),
  );
});
afterAll(async () => client?.close());

interface ToolResult {
  isError?: boolean;
  structuredContent?: unknown;
  content?: unknown;
}
const call = async (name: string, args: Record<string, unknown>): Promise<ToolResult> =>
  (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as ToolResult;
const errorText = (r: ToolResult) => JSON.stringify(r.content);

async function verify(patient: PatientSummary, plan: TreatmentPlan): Promise<VerificationReport> {
  const r = await call("verifier_verify_plan", { patient, plan });
  expect(r.isError, errorText(r)).toBeFalsy();
  return r.structuredContent as VerificationReport;
}

describe("verifier_verify_plan: every rule fires on its case and stays quiet on its near miss", () => {
  it.each(RULE_CASES)("$rule ($severity) fires: $why", async ({ rule, severity, fires }) => {
    const report = await verify(...fires);
    expect(report.findings.filter((f) => f.ruleId === rule && f.severity === severity)).toHaveLength(1);
    // One finding per rule and plan part, however many predicates saw the problem.
    const keys = report.findings.map((f) => `${f.ruleId} ${f.item}`);
    expect(new Set(keys).size).toBe(keys.length);
    if (severity === "error") expect(report.isValid).toBe(false);
    const finding = report.findings.find((f) => f.ruleId === rule)!;
    expect(finding.reference).toMatch(/^(drugs|pharmacogenomics|scores)\.json#/);
  });
  it.each(RULE_CASES)("$rule ($severity) stays quiet: $why", async ({ rule, severity, nearMiss }) => {
    const report = await verify(...nearMiss);
    expect(report.findings.filter((f) => f.ruleId === rule && f.severity === severity)).toEqual([]);
  });
});

describe("verifier_verify_plan: every decision, current-therapy and monitoring rule fires and stays quiet", () => {
  // A switch to a drug outside drugs.json never reaches the rules: the verifier refuses the plan as
  // INVALID_INPUT naming the branch (tested below); the rule guards plans built in process.
  const cases = DECISION_CASES.filter((c) => c.rule !== "switch-target-unknown");
  it.each(cases)("$rule fires on its case", async ({ rule, severity, fires }) => {
    const report = await verify(...fires);
    // A rule may fire at more than one part (both decision points), once per part.
    const hits = report.findings.filter((f) => f.ruleId === rule && f.severity === (severity ?? "error"));
    expect(hits.length).toBeGreaterThan(0);
    expect(new Set(hits.map((f) => f.item)).size).toBe(hits.length);
  });
  it.each(cases)("$rule stays quiet on its near miss", async ({ rule, nearMiss }) => {
    const report = await verify(...nearMiss);
    expect(report.findings.filter((f) => f.ruleId === rule)).toEqual([]);
  });
});

describe("verifier_verify_plan: a plan that cannot be verified is an error naming the field", () => {
  const p = basePatient();
  const good = planWith([item.infliximab()]);
  const cases: [string, TreatmentPlan, string][] = [
    ["an empty plan", planWith([]), "plan.items"],
    ["a plan for another patient", { ...good, patientId: "someone-else" }, "plan.patientId"],
    [
      "an item that ends before it starts",
      planWith([item.infliximab(5, { startWeek: 10, endWeek: 4 })]),
      "plan.items.0.endWeek",
    ],
    ["an unknown drug", planWith([{ ...item.infliximab(), drug: "unobtainium" }]), "plan.items.0.drug"],
    [
      "a switch to an unknown drug",
      {
        ...good,
        decisionPoints: [
          {
            week: 12,
            onRemission: { kind: "continue" },
            onPartialResponse: { kind: "continue" },
            onNoResponse: { kind: "switch", drug: "unobtainium" },
          },
        ],
      },
      "plan.decisionPoints.0.onNoResponse.drug",
    ],
  ];
  it.each(cases)("%s", async (_what, plan, path) => {
    const r = await call("verifier_verify_plan", { patient: p, plan });
    expect(r.isError).toBe(true);
    expect(errorText(r)).toContain("INVALID_INPUT");
    expect(errorText(r)).toContain(path);
  });
});

describe("coordinator_plan_treatment", () => {
  it("answers a plan for an unknown patient with NOT_FOUND", async () => {
    const r = await call("coordinator_plan_treatment", { patientId: "pt-does-not-exist" });
    expect(r.isError).toBe(true);
    expect(errorText(r)).toContain("NOT_FOUND");
  });

  it("refuses to approve a plan the clinician already rejected", async () => {
    const proposed = await call("coordinator_plan_treatment", { patientId: "pt-moderate-ileal-tpmt-im" });
    expect(proposed.isError, errorText(proposed)).toBeFalsy();
    const { planId, status } = proposed.structuredContent as AssembledPlan;
    expect(status).toBe("awaiting-approval");
    const rejected = await call("coordinator_approve_plan", {
      planId,
      approve: false,
      reason: "patient prefers another",
    });
    expect((rejected.structuredContent as AssembledPlan).status).toBe("rejected-by-clinician");
    const again = await call("coordinator_approve_plan", { planId, approve: true });
    expect(again.isError).toBe(true);
    expect(errorText(again)).toContain("CONFLICT");
    const view = await call("coordinator_get_plan", { planId });
    expect((view.structuredContent as AssembledPlan).status).toBe("rejected-by-clinician");
  });
});

/** The plan the coordinator proposes for a synthetic patient (the task waits for approval). */
async function proposed(patientId: string): Promise<AssembledPlan> {
  const r = await call("coordinator_plan_treatment", { patientId });
  expect(r.isError, errorText(r)).toBeFalsy();
  const view = r.structuredContent as AssembledPlan;
  expect(view.status, view.reason).toBe("awaiting-approval");
  expect(view.findings.filter((f) => f.severity === "error")).toEqual([]);
  return view;
}
const drugsOf = (v: AssembledPlan) => new Set(v.plan!.items.map((i) => i.drug));
const switchTargets = (v: AssembledPlan) =>
  v.plan!.decisionPoints.flatMap((d) =>
    [d.onRemission, d.onPartialResponse, d.onNoResponse].flatMap((a) => (a.kind === "switch" ? [a.drug] : [])),
  );

describe("the clinician's findings of issue #12, replayed through the tools", () => {
  it.each(["pt-remission-adalimumab", "pt-pregnant-adalimumab", "pt-remission-ustekinumab"])(
    "%s: the biologic that works is continued, with no new induction and no second biologic",
    async (patientId) => {
      const v = await proposed(patientId);
      const current = patientId.includes("ustekinumab") ? "ustekinumab" : "adalimumab";
      const advanced = v.plan!.items.filter((i) => i.role === "advanced");
      expect(advanced.length).toBeGreaterThan(0);
      expect(advanced.every((i) => i.drug === current && i.phase !== "induction")).toBe(true);
      expect(v.plan!.currentTherapy).toContainEqual(expect.objectContaining({ drug: current, action: "continue" }));
    },
  );

  it("untreated latent TB (a positive IGRA, no diagnosis code): no advanced therapy the labels say to hold until TB is treated", async () => {
    const v = await proposed("pt-igra-positive");
    expect(v.plan!.items.filter((i) => i.role === "advanced")).toEqual([]);
    expect(switchTargets(v)).toEqual([]);
  });

  it("HBsAg positive on the lab only: no anti-TNF and no JAK inhibitor", async () => {
    const v = await proposed("pt-hbsag-positive");
    for (const d of ["infliximab", "adalimumab", "certolizumab_pegol", "upadacitinib"]) {
      expect(drugsOf(v).has(d)).toBe(false);
      expect(switchTargets(v)).not.toContain(d);
    }
  });

  it("azathioprine pancreatitis: neither thiopurine is proposed, not even as a later switch", async () => {
    const v = await proposed("pt-thiopurine-pancreatitis");
    expect(drugsOf(v).has("azathioprine") || drugsOf(v).has("mercaptopurine")).toBe(false);
  });

  it("anaphylaxis to infliximab: never infliximab again, not even as a switch target", async () => {
    const v = await proposed("pt-infliximab-infusion-reaction");
    expect(drugsOf(v).has("infliximab")).toBe(false);
    expect(switchTargets(v)).not.toContain("infliximab");
  });

  it("decision points make sense: a worse response never gets a milder action, a switch never returns to the drug that failed, an objective measure comes before each decision", async () => {
    const v = await proposed("pt-antitnf-loss-of-response");
    const rank = { continue: 0, escalate: 1, switch: 2 } as const;
    const advanced = new Set(v.plan!.items.filter((i) => i.role === "advanced").map((i) => i.drug));
    expect(v.plan!.decisionPoints.length).toBeGreaterThan(0);
    for (const d of v.plan!.decisionPoints) {
      expect(rank[d.onRemission.kind]).toBeLessThanOrEqual(rank[d.onPartialResponse.kind]);
      expect(rank[d.onPartialResponse.kind]).toBeLessThanOrEqual(rank[d.onNoResponse.kind]);
      for (const a of [d.onPartialResponse, d.onNoResponse])
        if (a.kind === "switch") expect(advanced.has(a.drug)).toBe(false);
      const measured = v.plan!.monitoring.some(
        (m) =>
          ["calprotectin", "crp", "drug-level"].includes(m.test) && m.weeks.some((w) => w < d.week && w >= d.week - 4),
      );
      expect(measured, `week ${d.week}`).toBe(true);
    }
  });

  it("no coordinator plan starts infliximab at 10 mg/kg in an anti-TNF-naive patient", async () => {
    const v = await proposed("pt-moderate-hla-dqa1-05");
    for (const i of v.plan!.items) if (i.drug === "infliximab") expect(i.dose).toBeLessThanOrEqual(5);
  });

  it("the summary carries screening results, current doses, allergies without a medication record, and a sex-specific haemoglobin range", async () => {
    const summaryOf = async (patientId: string) => {
      const r = await call("ehr_get_patient_summary", { patientId });
      expect(r.isError, errorText(r)).toBeFalsy();
      return (r.structuredContent as { summary: PatientSummary }).summary;
    };
    const igra = await summaryOf("pt-igra-positive");
    expect(igra.screening).toContainEqual(expect.objectContaining({ test: "igra", result: "positive" }));
    expect(igra.comorbidities.latentTbUntreated).toBe(true);
    const hbv = await summaryOf("pt-hbsag-positive");
    expect(hbv.comorbidities.hepatitisBActive).toBe(true);
    const pregnant = await summaryOf("pt-pregnant-adalimumab");
    expect(pregnant.screening).toContainEqual(expect.objectContaining({ test: "hcg", result: "positive" }));
    expect(pregnant.currentMedications).toContainEqual(
      expect.objectContaining({
        drug: "adalimumab",
        dose: 40,
        unit: "mg",
        route: "SC",
        schedule: { kind: "every", weeks: 2 },
      }),
    );
    const allergy = await summaryOf("pt-allergy-only-mercaptopurine");
    expect(allergy.allergies).toContainEqual(expect.objectContaining({ substance: "mercaptopurine" }));
    const anaemia = await call("ehr_get_observations", { patientId: "pt-male-anaemia", code: "hemoglobin" });
    expect(anaemia.isError, errorText(anaemia)).toBeFalsy();
    const hb = (anaemia.structuredContent as { observations: { value?: number; interpretation?: string }[] })
      .observations;
    expect(hb.length).toBeGreaterThan(0);
    expect(hb[0]).toMatchObject({ value: 12.6, interpretation: "low" });
  });
});
