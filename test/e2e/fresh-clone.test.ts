import { execFile } from "node:child_process";
import { copyFile, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssembledPlanSchema } from "../../protocol/clinical/coordinator.js";
import { REPO } from "../support/spawn.js";

/**
 * The project as someone who clones it gets it: its files (tracked ones as they are in the working
 * tree, plus new files not yet committed and not ignored, so uncommitted work is tested too) in a
 * fresh temp directory with no `shared` folder beside it. Only what a fresh machine would build or
 * install is borrowed from this checkout: node_modules (linked) and the Rust build native/index.node.
 */

const run = promisify(execFile);

/** The demo's default patient (`hms demo --help`). */
const DEMO_PATIENT = "pt-moderate-ileal-tpmt-im";

let root: string;
let checkout: string;

/** A machine's basics and nothing of the project's settings (no NATS_URL, FHIR_BASE_URL, HMS_REFERENCE_DIR, VITEST...). */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = { LOG_LEVEL: "warn", NO_COLOR: "1" };
  // NATS_SERVER names the nats-server binary (setup.sh accepts it in place of one on PATH), not project data.
  for (const k of ["PATH", "HOME", "USER", "LANG", "TMPDIR", "NATS_SERVER"]) {
    const v = process.env[k];
    if (v) env[k] = v;
  }
  return env;
}

async function inCheckout(
  args: string[],
  timeout: number,
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, args, { cwd: checkout, env: cleanEnv(), timeout, maxBuffer: 16 << 20 });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code?: number | string; signal?: string; stdout?: string; stderr?: string };
    return { code: e.code ?? e.signal ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

beforeAll(async () => {
  const { stdout } = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO,
    maxBuffer: 16 << 20,
  });
  root = await mkdtemp(join(tmpdir(), "hms-fresh-clone-"));
  checkout = join(root, "hms-a2a");
  // node_modules is linked below (a checkout whose node_modules is itself a link lists it as untracked).
  const files = [...new Set(stdout.split("\0"))].filter(
    (f) => f && f !== "node_modules" && !f.startsWith("node_modules/"),
  );
  for (const f of files) {
    const from = join(REPO, f);
    if (!existsSync(from)) continue; // deleted in the working tree, not yet committed
    const to = join(checkout, f);
    await mkdir(dirname(to), { recursive: true });
    if ((await lstat(from)).isSymbolicLink()) await symlink(await readlink(from), to);
    else await copyFile(from, to);
  }
  await symlink(join(REPO, "node_modules"), join(checkout, "node_modules"), "dir");
  if (existsSync(join(REPO, "native", "index.node")))
    await copyFile(join(REPO, "native", "index.node"), join(checkout, "native", "index.node"));
}, 60_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("a fresh clone, with no shared folder beside it", () => {
  it("has nothing beside the checkout to borrow reference data from", () => {
    expect(existsSync(join(checkout, "..", "shared"))).toBe(false);
    expect(existsSync(join(checkout, "bin", "hms.mjs"))).toBe(true);
  });

  it("runs `hms demo --json` to an approved plan for the default patient", async () => {
    const r = await inCheckout(["bin/hms.mjs", "demo", "--json"], 100_000);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const plan = AssembledPlanSchema.parse(JSON.parse(r.stdout));
    expect(plan).toMatchObject({ patientId: DEMO_PATIENT, status: "approved" });
    expect(plan.plan!.items.length).toBeGreaterThan(0);
    for (const item of plan.plan!.items) expect(item.drug).toMatch(/^[a-z][a-z0-9-]+$/);
    expect(plan.written!.carePlanRef).toMatch(/^CarePlan\//);
  }, 120_000);

  it("passes a scenario test end to end (NYHA III heart failure: no anti-TNF, and the plan says why)", async () => {
    const report = join(root, "vitest.json");
    const r = await inCheckout(
      [
        "node_modules/vitest/vitest.mjs",
        "run",
        "test/e2e/scenarios.test.ts",
        "-t",
        "NYHA III heart failure",
        "--no-cache",
        "--reporter=json",
        `--outputFile=${report}`,
      ],
      100_000,
    );
    expect(r.code, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`).toBe(0);
    const res = JSON.parse(await readFile(report, "utf8")) as {
      numPassedTests: number;
      numFailedTests: number;
      testResults: Array<{ assertionResults: Array<{ title: string; status: string }> }>;
    };
    const ran = res.testResults
      .flatMap((f) => f.assertionResults)
      .filter((t) => t.status === "passed" || t.status === "failed");
    expect(ran.map((t) => `${t.status}: ${t.title}`)).toEqual([
      expect.stringMatching(/^passed: .*NYHA III heart failure/),
    ]);
    expect(res.numFailedTests).toBe(0);
  }, 120_000);
});
