import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basePatient } from "../../clinical/treatment/testing/patients.js";
import { item, planWith } from "../../clinical/treatment/testing/plans.js";
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
