// Plan benchmark (issue: coordinator). One run, side by side, on one embedded nats-server and one
// FHIR server in a process of its own (`hms fhir`, as a real EHR server would be):
//   in-process        the same skill handlers called directly, no NATS (one process)
//   bus, 1 process    every agent in one process, each with its own NATS connection (`hms up --in-process`)
//   bus, per agent    every agent in its own process under the supervisor (`hms up`, the default)
// A "plan" runs from the request to the plan awaiting clinician approval (consent → summary →
// optimize → verify). Every row first runs warm-up plans at its concurrency (JIT, caches, consumers),
// then the measured ones. Prints a table, then one JSON line with the figures and the bus overhead.
// Usage: npx tsx bench/plan.ts [--plans 160] [--warmup 48]
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import pino from "pino";
import { readConfig, REPO_ROOT } from "../cli/config.js";
import { AGENT_FACTORIES, type AgentEnv } from "../cli/agents.js";
import { startSupervised } from "../cli/supervise.js";
import { consentAgent } from "../agents/consent/index.js";
import { InMemoryAuditLog } from "../clinical/audit/index.js";
import { HmsError, invalidInput, type Principal } from "../protocol/index.js";
import {
  BusClient,
  connectBus,
  startEmbeddedNats,
  startHost,
  type AgentDef,
  type AgentState,
  type CallRecord,
  type SkillContext,
} from "../runtime/index.js";
import { drive, percentile, printTable } from "./support.js";

const { values } = parseArgs({
  options: { plans: { type: "string", default: "160" }, warmup: { type: "string", default: "48" } },
});
const N = Number(values.plans);
const WARMUP = Number(values.warmup);
const CONCURRENCY = [1, 8, 32];
const AGENTS = ["consent", "ehr", "optimizer", "verifier", "coordinator"];
const logger = pino({ level: "silent" });
const CLINICIAN: Principal = { subject: "dr.bench", roles: ["clinician"], purposeOfUse: "TREAT" };
const patients = readdirSync(`${REPO_ROOT}/examples/patients`)
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.replace(/\.json$/, ""));
const request = (i: number) => ({
  patientId: patients[i % patients.length],
  requester: CLINICIAN,
  goals: { excludedDrugs: [], excludedClasses: [], optimizer: { seed: 42 } },
});

interface Row {
  path: string;
  concurrency: number;
  plans: number;
  p50: number;
  p95: number;
  perSecond: number;
}
async function measure(path: string, concurrency: number, op: (i: number) => Promise<void>): Promise<Row> {
  await drive(concurrency, WARMUP, op);
  const t0 = performance.now();
  const lat = await drive(concurrency, N, op);
  const secs = (performance.now() - t0) / 1000;
  const row = {
    path,
    concurrency,
    plans: N,
    p50: percentile(lat, 0.5),
    p95: percentile(lat, 0.95),
    perSecond: N / secs,
  };
  process.stderr.write(
    `  ${path.padEnd(15)} c=${String(concurrency).padEnd(3)} p50 ${row.p50.toFixed(1).padStart(7)} ms  p95 ${row.p95.toFixed(1).padStart(7)} ms  ${row.perSecond.toFixed(1).padStart(6)} plans/s\n`,
  );
  return row;
}

/** The embedded FHIR server in a child process (`hms fhir`); it leaves with us (IPC channel). */
async function startFhirProcess(): Promise<{ baseUrl: string; close(): void }> {
  const child = spawn(process.execPath, [resolve(REPO_ROOT, "bin", "hms.mjs"), "fhir"], {
    stdio: ["ignore", "pipe", "ignore", "ipc"],
    env: { ...process.env, LOG_LEVEL: "warn" },
  });
  const baseUrl = await new Promise<string>((ok, fail) => {
    child.once("exit", (code) => fail(new Error(`hms fhir exited with ${code}`)));
    createInterface({ input: child.stdout! }).on("line", (l) => {
      const url = /FHIR R4 base URL: (\S+)/.exec(l)?.[1];
      if (url) ok(url);
    });
  });
  return { baseUrl, close: () => void child.kill("SIGTERM") };
}

const fhir = await startFhirProcess();
const nats = await startEmbeddedNats({ logger });
const cfg = readConfig({ LOG_LEVEL: "silent" });
const rows: Row[] = [];
process.stderr.write(
  `plan benchmark: ${WARMUP} warm-up + ${N} measured plans per row over ${patients.length} synthetic patients\n`,
);

// --- in-process: the same defs, skills called directly
const env: AgentEnv = { fhirBaseUrl: fhir.baseUrl, referenceDir: cfg.HMS_REFERENCE_DIR, logger };
const defs = new Map<string, AgentDef>();
for (const [id, make] of AGENT_FACTORIES)
  if (["ehr", "optimizer", "verifier", "coordinator"].includes(id)) defs.set(id, await make(env));
defs.set("consent", consentAgent({ fhirBaseUrl: fhir.baseUrl, logger, audit: new InMemoryAuditLog() }));
const memory = new Map<string, unknown>();
const memState = (agent: string): AgentState => ({
  load: async <T>(k: string) => memory.get(`${agent}.${k}`) as T | undefined,
  save: async (k, v) => void memory.set(`${agent}.${k}`, structuredClone(v)),
  delete: async (k) => void memory.delete(`${agent}.${k}`),
  keys: async (p = "") =>
    [...memory.keys()].filter((k) => k.startsWith(`${agent}.${p}`)).map((k) => k.slice(agent.length + 1)),
});
class InputRequired extends Error {}
async function invoke(
  agentId: string,
  verb: string,
  input: unknown,
  principal: Principal | undefined,
  taskId = randomUUID(),
): Promise<unknown> {
  const skill = defs.get(agentId)?.skills.find((s) => s.verb === verb);
  if (!skill) throw new HmsError("AGENT_UNAVAILABLE", `${agentId}.${verb}`);
  const parsed = skill.input.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error);
  const calls: CallRecord[] = [];
  const ctx: SkillContext = {
    agentId,
    taskId,
    contextId: taskId,
    traceId: "",
    principal,
    logger,
    signal: new AbortController().signal,
    redelivered: false,
    calls,
    state: memState(agentId),
    progress: async () => undefined,
    call: async <T>(a: string, v: string, i: unknown, o?: { principal?: Principal }) => {
      const id = randomUUID();
      calls.push({ agentId: a, skill: v, taskId: id });
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
const localPlan = async (i: number) => {
  await invoke("coordinator", "plan_treatment", request(i), CLINICIAN).catch((err: unknown) => {
    if (!(err instanceof HmsError)) throw err; // a plan may end failed for a patient (no safe plan): still a measured plan
  });
};
for (const c of CONCURRENCY) rows.push(await measure("in-process", c, localPlan));

// --- over the bus: a client of its own, agents in one process, then each in its own process
const bus = await connectBus({ url: nats.url, name: "bench" });
const client = new BusClient(bus.nc, bus.kv.cards, "default");
const busPlan = async (i: number) => {
  const r = await client.callForTask("coordinator", "plan_treatment", request(i), {
    principal: CLINICIAN,
    timeoutMs: 300_000,
  });
  if (r.task.status.state !== "TASK_STATE_INPUT_REQUIRED" && r.task.status.state !== "TASK_STATE_FAILED")
    throw new Error(`plan ended ${r.task.status.state}`);
};
const host = await startHost({
  agents: await Promise.all(AGENTS.map((id) => AGENT_FACTORIES.get(id)!(env))),
  natsUrl: nats.url,
  logger,
});
for (const c of CONCURRENCY) rows.push(await measure("bus, 1 process", c, busPlan));
await host.close();

const sup = await startSupervised({
  agents: AGENTS,
  natsUrl: nats.url,
  fhirBaseUrl: fhir.baseUrl,
  logger,
  childStderr: "ignore",
  env: { LOG_LEVEL: "warn" },
});
for (const id of AGENTS) {
  const deadline = Date.now() + 60_000;
  while (!(await client.card(id)) || !(await isServing(id))) {
    if (Date.now() > deadline) throw new Error(`agent ${id} did not come up`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
for (const c of CONCURRENCY) rows.push(await measure("bus, per agent", c, busPlan));
await sup.close();

/** The agent answers on its rpc subject (its card may be left over from the previous row). */
async function isServing(id: string): Promise<boolean> {
  return client.call(id, "nonexistent_skill", {}, { timeoutMs: 1_000 }).then(
    () => true,
    (err: unknown) => !HmsError.is(err, "AGENT_UNAVAILABLE") && !HmsError.is(err, "DEADLINE_EXCEEDED"),
  );
}

const at = (path: string, c: number) => rows.find((r) => r.path === path && r.concurrency === c)!;
printTable([
  ["path", "conc.", "p50 ms", "p95 ms", "plans/s"],
  ...rows.map((r) => [r.path, String(r.concurrency), r.p50.toFixed(1), r.p95.toFixed(1), r.perSecond.toFixed(1)]),
]);
const overhead = (path: string) => ({
  p50_c1: Number((at(path, 1).p50 / at("in-process", 1).p50).toFixed(2)),
  throughput_c8: Number((at("in-process", 8).perSecond / at(path, 8).perSecond).toFixed(2)),
});
const result = {
  bench: "plan",
  plansPerRow: N,
  warmupPerRow: WARMUP,
  rows,
  overhead: { "bus, 1 process": overhead("bus, 1 process"), "bus, per agent": overhead("bus, per agent") },
  targets: { p50_c1_ms: 100, plans_per_s_c8: 50, overhead_max: 1.5 },
};
console.log(JSON.stringify(result));
await bus.close();
await nats.close();
fhir.close();
process.exit(0);
