import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { AssembledPlanSchema } from "../../protocol/clinical/coordinator.js";
import { REPO } from "../support/spawn.js";

const run = promisify(execFile);

/** `hms demo` as the README runs it: a fresh process on the embedded defaults (no NATS_URL, no FHIR_BASE_URL). */
async function demo(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), LOG_LEVEL: "warn", NO_COLOR: "1" };
  delete env.NATS_URL;
  delete env.FHIR_BASE_URL;
  try {
    const r = await run(process.execPath, ["bin/hms.mjs", "demo", ...args], {
      cwd: REPO,
      env,
      timeout: 90_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("hms demo (the main job)", () => {
  it("plans for the default patient, printing each step as it happens, approves, and says where the plan was written", async () => {
    const r = await demo([]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const lines = r.stdout.split("\n");
    // Each step is a line of its own, in the order the coordinator ran them.
    const order = [
      "asks the coordinator for a plan",
      "coordinator checking consent",
      "coordinator reading the patient summary from the EHR",
      "coordinator searching treatment plans",
      "coordinator verifying the plan",
      "is ready for review",
      "approves the plan",
      "coordinator writing the approved plan to the EHR",
      "coordinator raising the plan-ready alert",
      "written to the EHR: CarePlan/",
    ].map((s) => lines.findIndex((l) => l.includes(s)));
    expect(
      order.every((i) => i >= 0),
      `missing step lines in:\n${r.stdout}`,
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(r.stdout).toMatch(/Regimen\n(\s+• .+\n)+/);
    expect(r.stdout).toMatch(/agents: consent v[\d.]+, ehr v[\d.]+, optimizer v[\d.]+, verifier v[\d.]+/);
  });

  it("prints only the approved plan as JSON with --json, for the patient and seed asked for", async () => {
    const r = await demo(["--json", "--patient", "pt-heart-failure-nyha3", "--seed", "7"]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const plan = AssembledPlanSchema.parse(JSON.parse(r.stdout));
    expect(plan).toMatchObject({
      patientId: "pt-heart-failure-nyha3",
      status: "approved",
      provenance: { optimizer: { seed: 7 } },
    });
    // NYHA III heart failure: no anti-TNF in what was written.
    expect(plan.plan!.items.every((i) => i.drugClass !== "anti-TNF")).toBe(true);
    expect(plan.written!.carePlanRef).toMatch(/^CarePlan\//);
    expect(plan.provenance.calls.map((c) => `${c.agent}.${c.skill}`)).toEqual(
      expect.arrayContaining([
        "consent.check_access",
        "ehr.get_patient_summary",
        "optimizer.optimize_treatment",
        "verifier.verify_plan",
        "ehr.write_care_plan",
      ]),
    );
  });

  it("exits non-zero with one line naming the problem for a patient the EHR does not have", async () => {
    const r = await demo(["--patient", "pt-does-not-exist"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^hms: .*pt-does-not-exist.*not found/m);
  });
});
