// Plan benchmark (issue: coordinator). One run, side by side:
//   bus:        coordinator_plan_treatment over NATS, every agent on the bus, embedded FHIR over HTTP
//   in-process: the same skill handlers called directly (no NATS), same FHIR server
// A "plan" runs from the request to the plan awaiting clinician approval (consent → summary →
// optimize → verify). Prints a table, then one JSON line with the figures and the bus overhead.
// Usage: npx tsx bench/plan.ts [--plans 64]
import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import pino from "pino";
import { readConfig, REPO_ROOT } from "../cli/config.js";
import { startSystem } from "../cli/system.js";
import { AGENT_FACTORIES, type AgentEnv } from "../cli/agents.js";
import { consentAgent } from "../agents/consent/index.js";
import { InMemoryAuditLog } from "../clinical/audit/index.js";
import { HmsError, invalidInput, type Principal } from "../protocol/index.js";
import type { AgentDef, AgentState, SkillContext } from "../runtime/index.js";

const { values } = parseArgs({ options: { plans: { type: "string", default: "64" } } });
const N = Number(values.plans);
const logger = pino({ level: "silent" });
const CLINICIAN: Principal = { subject: "dr.bench", roles: ["clinician"], purposeOfUse: "TREAT" };
const patients = readdirSync(`${REPO_ROOT}/examples/patients`).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, ""));
const request = (i: number) => ({ patientId: patients[i % patients.length], requester: CLINICIAN, goals: { excludedDrugs: [], excludedClasses: [], optimizer: { seed: 42 } } });

interface Row { path: string; concurrency: number; plans: number; p50: number; p95: number; perSecond: number }
async function measure(path: string, concurrency: number, n: number, op: (i: number) => Promise<void>): Promise<Row> {
  for (let i = 0; i < Math.min(4, n); i++) await op(i); // warm-up
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      const s = performance.now();
      await op(i);
      lat.push(performance.now() - s);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  const row = { path, concurrency, plans: n, p50: q(0.5), p95: q(0.95), perSecond: n / secs };
  process.stderr.write(`  ${path.padEnd(11)} c=${String(concurrency).padEnd(3)} p50 ${row.p50.toFixed(1).padStart(7)} ms  p95 ${row.p95.toFixed(1).padStart(7)} ms  ${row.perSecond.toFixed(1).padStart(6)} plans/s\n`);
  return row;
}

const sys = await startSystem(readConfig({ LOG_LEVEL: "silent" }), logger, ["consent", "ehr", "optimizer", "verifier", "coordinator"]);
const rows: Row[] = [];
process.stderr.write(`plan benchmark: ${N} plans per row over ${patients.length} synthetic patients\n`);

// --- over the bus
const busPlan = async (i: number) => {
  const r = await sys.host.client.callForTask("coordinator", "plan_treatment", request(i), { principal: CLINICIAN, timeoutMs: 300_000 });
  if (r.task.status.state !== "TASK_STATE_INPUT_REQUIRED" && r.task.status.state !== "TASK_STATE_FAILED") throw new Error(`plan ended ${r.task.status.state}`);
};
for (const c of [1, 8, 32]) rows.push(await measure("bus", c, N, busPlan));

// --- in-process: the same defs, skills called directly
const env: AgentEnv = { fhirBaseUrl: sys.fhirBaseUrl, referenceDir: readConfig({}).HMS_REFERENCE_DIR, logger };
const defs = new Map<string, AgentDef>();
for (const [id, make] of AGENT_FACTORIES) if (["ehr", "optimizer", "verifier", "coordinator"].includes(id)) defs.set(id, await make(env));
defs.set("consent", consentAgent({ fhirBaseUrl: sys.fhirBaseUrl, logger, audit: new InMemoryAuditLog() }));
const memory = new Map<string, unknown>();
const memState = (agent: string): AgentState => ({
  load: async <T>(k: string) => memory.get(`${agent}.${k}`) as T | undefined,
  save: async (k, v) => void memory.set(`${agent}.${k}`, structuredClone(v)),
  delete: async (k) => void memory.delete(`${agent}.${k}`),
  keys: async (p = "") => [...memory.keys()].filter((k) => k.startsWith(`${agent}.${p}`)).map((k) => k.slice(agent.length + 1)),
});
async function invoke(agentId: string, verb: string, input: unknown, principal: Principal | undefined, taskId = randomUUID()): Promise<unknown> {
  const skill = defs.get(agentId)?.skills.find((s) => s.verb === verb);
  if (!skill) throw new HmsError("AGENT_UNAVAILABLE", `${agentId}.${verb}`);
  const parsed = skill.input.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error);
  const called: string[] = [];
  const ctx: SkillContext = {
    agentId, taskId, contextId: taskId, traceId: "", principal, logger, signal: new AbortController().signal, redelivered: false, calledTaskIds: called,
    state: memState(agentId),
    progress: async () => undefined,
    call: async <T>(a: string, v: string, i: unknown, o?: { principal?: Principal }) => {
      const id = randomUUID();
      called.push(id);
      return (await invoke(a, v, i, o?.principal ?? principal, id)) as T;
    },
    publish: async () => undefined,
    agentCard: async (id) => ({ name: id, version: defs.get(id)?.version ?? "?" }),
    inputRequired: async () => {
      throw new InputRequired();
    },
    finishTask: async () => undefined,
  };
  try {
    return skill.output.parse(await skill.handler(parsed.data, ctx));
  } catch (err) {
    if (err instanceof InputRequired) return undefined; // the plan awaits the clinician: done
    throw err;
  }
}
class InputRequired extends Error {}
const localPlan = async (i: number) => {
  await invoke("coordinator", "plan_treatment", request(i), CLINICIAN).catch((err: unknown) => {
    if (!(err instanceof HmsError)) throw err; // a plan may end failed for a patient (no safe plan): still a measured plan
  });
};
for (const c of [1, 8, 32]) rows.push(await measure("in-process", c, N, localPlan));

const at = (path: string, c: number) => rows.find((r) => r.path === path && r.concurrency === c)!;
console.log(["path", "conc.", "p50 ms", "p95 ms", "plans/s"].map((h, i) => (i < 2 ? h.padEnd(11) : h.padStart(10))).join(""));
for (const r of rows) console.log(`${r.path.padEnd(11)}${String(r.concurrency).padEnd(11)}${r.p50.toFixed(1).padStart(10)}${r.p95.toFixed(1).padStart(10)}${r.perSecond.toFixed(1).padStart(10)}`);
const result = {
  bench: "plan",
  plansPerRow: N,
  rows,
  overhead: {
    p50_c1: Number((at("bus", 1).p50 / at("in-process", 1).p50).toFixed(2)),
    throughput_c8: Number((at("in-process", 8).perSecond / at("bus", 8).perSecond).toFixed(2)),
  },
  targets: { p50_c1_ms: 100, plans_per_s_c8: 50, overhead_max: 1.5 },
};
console.log(JSON.stringify(result));
await sys.close();
process.exit(0);
