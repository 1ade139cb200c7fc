import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskState } from "@a2a-js/sdk";
import type { System } from "../../cli/system.js";
import { SCENARIOS } from "../../examples/scenarios/index.js";
import { CLINICIAN as clinician } from "../../examples/scenarios/support.js";
import type { AssembledPlan } from "../../protocol/clinical/coordinator.js";
import { REPO } from "../support/spawn.js";
import { scenarioContext, systemForSuite } from "../support/system.js";

let sys: System;
beforeAll(async () => {
  sys = await systemForSuite();
}, 120_000);
afterAll(async () => sys?.close());

async function run<T>(name: string): Promise<{ result: T; story: string[] }> {
  const story: string[] = [];
  const scenario = SCENARIOS.find((s) => s.name === name)!;
  const result = (await scenario.run(scenarioContext(sys, story))) as T;
  expect(story.length).toBeGreaterThan(1); // each scenario tells its story
  return { result, story };
}

const fhir = async (q: string) =>
  (
    (await (await fetch(`${sys.fhirBaseUrl}/${q}`)).json()) as { entry?: Array<{ resource: Record<string, unknown> }> }
  ).entry?.map((e) => e.resource) ?? [];

describe("scenario scripts, end to end on the embedded defaults", () => {
  it("(a) moderate ileal disease, TPMT intermediate: an advanced therapy with a reduced-dose thiopurine, written as a draft proposal", async () => {
    const { result } = await run<{ plan: AssembledPlan }>("tpmt-intermediate");
    const items = result.plan.plan!.items;
    expect(items.some((i) => i.role === "advanced")).toBe(true);
    const thio = items.find((i) => i.drug === "azathioprine" || i.drug === "mercaptopurine");
    expect(thio, "a thiopurine in the plan").toBeDefined();
    expect(thio!.doseFraction).toBeGreaterThanOrEqual(0.3);
    expect(thio!.doseFraction).toBeLessThanOrEqual(0.8);
    expect(result.plan.status).toBe("approved");
    const carePlans = await fhir(`CarePlan?subject=Patient/pt-moderate-ileal-tpmt-im`);
    expect(carePlans).toHaveLength(1);
    expect(carePlans[0]).toMatchObject({ status: "draft" });
    const requests = await fhir(`MedicationRequest?subject=Patient/pt-moderate-ileal-tpmt-im&intent=proposal`);
    expect(requests.length).toBe(result.plan.written!.medicationRequestRefs.length);
    // ...and the plan-ready alert was raised for the care team.
    await expect
      .poll(
        async () => {
          const r = await sys.host.client.call<{ alerts: Array<{ category: string }> }>(
            "alert",
            "list",
            { patientId: "pt-moderate-ileal-tpmt-im" },
            { principal: clinician },
          );
          return r.alerts.map((a) => a.category);
        },
        { timeout: 10_000 },
      )
      .toContain("plan-ready");
    // The EHR's change feed turns the new MedicationRequests into medication-change alerts.
    const sync = await sys.host.client.call<{ changes: Array<{ ref: string }> }>(
      "ehr",
      "sync_changes",
      { since: "2026-01-01T00:00:00Z", types: ["MedicationRequest"] },
      { principal: clinician },
    );
    expect(sync.changes.map((c) => c.ref)).toEqual(expect.arrayContaining(result.plan.written!.medicationRequestRefs));
    await expect
      .poll(
        async () =>
          (
            await sys.host.client.call<{ alerts: Array<{ category: string }> }>(
              "alert",
              "list",
              { patientId: "pt-moderate-ileal-tpmt-im" },
              { principal: clinician },
            )
          ).alerts.map((a) => a.category),
        { timeout: 10_000 },
      )
      .toContain("medication-change");
  });

  it("(b) NYHA III heart failure: no anti-TNF, and the plan says why", async () => {
    const { result } = await run<{ plan: AssembledPlan; why: string[] }>("heart-failure");
    expect(result.plan.plan!.items.every((i) => i.drugClass !== "anti-TNF")).toBe(true);
    expect(result.why.join(" ")).toMatch(/heart|NYHA/i);
  });

  it("(c) prior anti-TNF primary non-response: a different class", async () => {
    const { result } = await run<{ plan: AssembledPlan }>("antitnf-nonresponse");
    const advanced = result.plan.plan!.items.filter((i) => i.role === "advanced");
    expect(advanced.length).toBeGreaterThan(0);
    expect(advanced.every((i) => i.drugClass !== "anti-TNF")).toBe(true);
  });

  it("(d) consent withdrawn during planning: rejected, nothing written, the audit shows the refusal", async () => {
    const { result } = await run<{
      plan: AssembledPlan;
      carePlans: unknown[];
      audit: Array<{ action: string; outcome: string }>;
    }>("consent-revoked");
    expect(result.plan.status).toBe("consent-denied");
    expect(result.carePlans).toHaveLength(0);
    expect(result.audit.some((e) => e.outcome === "denied")).toBe(true);
    // The plan itself is PHI: with the patient's deny on record, the clinician cannot read it back.
    await expect(
      sys.host.client.call("coordinator", "get_plan", { planId: result.plan.planId }, { principal: clinician }),
    ).rejects.toMatchObject({ code: "CONSENT_DENIED" });
  });

  it("(e) researcher cohort: de-identified summaries only, and no data without opt-in", async () => {
    const { result } = await run<{ summaries: Array<Record<string, unknown>>; refused?: string; cohort: string[] }>(
      "researcher-cohort",
    );
    expect(result.refused).toMatch(/CONSENT_DENIED/);
    result.cohort.forEach((id, i) => {
      const text = JSON.stringify(result.summaries[i]);
      const bundle = JSON.parse(readFileSync(`${REPO}/examples/patients/${id}.json`, "utf8")) as {
        entry: Array<{ resource: Record<string, unknown> }>;
      };
      const patient = bundle.entry.find((e) => e.resource.resourceType === "Patient")!.resource as {
        name: [{ family: string; given: string[] }, ...unknown[]];
        identifier: Array<{ value: string }>;
        telecom: Array<{ value: string }>;
        address: [{ line: string[]; city: string; postalCode: string }, ...unknown[]];
        birthDate: string;
      };
      const identifiers = [
        id,
        patient.name[0].family,
        ...patient.name[0].given,
        ...patient.identifier.map((x) => x.value),
        ...patient.telecom.map((t) => t.value),
        ...patient.address[0].line,
        patient.address[0].city,
        patient.address[0].postalCode,
        patient.birthDate,
      ];
      for (const ident of identifiers) expect(text, `${id} leaks ${ident}`).not.toContain(ident);
      expect(result.summaries[i]?.deidentified).toBe(true);
    });
  });

  it("(g) the clinician rejects: the reason is recorded, the plan task ends rejected, nothing is written", async () => {
    const { result } = await run<{ plan: AssembledPlan; taskState: number; carePlans: unknown[]; reason: string }>(
      "clinician-rejects",
    );
    expect(result.plan.status).toBe("rejected-by-clinician");
    expect(result.plan.decision).toMatchObject({ approved: false, reason: result.reason });
    expect(result.taskState).toBe(TaskState.TASK_STATE_REJECTED);
    expect(result.carePlans).toHaveLength(0);
  });

  it("raises a high-priority alert when one requester is refused five times (consent incident → alert agent)", async () => {
    const snoop = { subject: "res.snoop", roles: ["researcher" as const], purposeOfUse: "HRESCH" as const };
    for (let i = 0; i < 5; i++) {
      await expect(
        sys.host.client.call("ehr", "get_patient_summary", { patientId: "pt-vte-history" }, { principal: snoop }),
      ).rejects.toMatchObject({ code: "CONSENT_DENIED" });
    }
    const admin = { subject: "security-desk", roles: ["admin" as const], purposeOfUse: "TREAT" as const };
    await expect
      .poll(
        async () =>
          (
            await sys.host.client.call<{
              alerts: Array<{ category: string; summary: string }>;
            }>("alert", "list", { priority: "high" }, { principal: admin })
          ).alerts
            .filter((a) => a.category === "system")
            .map((a) => a.summary)
            .join(" "),
        { timeout: 10_000 },
      )
      .toContain("res.snoop");
  });

  it("turns a verifier's blocking finding into a critical-finding alert", async () => {
    const patientId = "pt-heart-failure-nyha3";
    const { summary } = await sys.host.client.call<{ summary: unknown }>(
      "ehr",
      "get_patient_summary",
      { patientId },
      { principal: clinician },
    );
    const plan = {
      patientId,
      horizonWeeks: 52,
      decisionPoints: [],
      monitoring: [],
      items: [
        {
          role: "advanced",
          drug: "infliximab",
          drugClass: "anti-TNF",
          route: "IV",
          phase: "induction",
          dose: 5,
          unit: "mg/kg",
          schedule: { kind: "at-weeks", weeks: [0, 2, 6] },
          startWeek: 0,
          endWeek: 14,
          reference: "drugs.json#infliximab.induction",
        },
      ],
    };
    const report = await sys.host.client.call<{
      isValid: boolean;
      findings: Array<{ ruleId: string; severity: string }>;
    }>("verifier", "verify_plan", { patient: summary, plan }, { principal: clinician });
    expect(report.isValid).toBe(false);
    const blocking = report.findings.filter((f) => f.severity === "error").map((f) => f.ruleId);
    expect(blocking.length).toBeGreaterThan(0);
    await expect
      .poll(
        async () =>
          (
            await sys.host.client.call<{
              alerts: Array<{ category: string }>;
            }>("alert", "list", { patientId }, { principal: clinician })
          ).alerts.filter((a) => a.category === "critical-finding").length,
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);
  });
});
