import { randomBytes } from "node:crypto";
import { Command, Option } from "commander";
import type { Logger } from "pino";
import { HmsError, PrincipalSchema, ROLES, type Principal, type WireAgentCard } from "../protocol/index.js";
import { BusClient, connectBus, createLogger, startAgent } from "../runtime/index.js";
import type { SkillCaller } from "../runtime/mcp/index.js";
import { AGENT_IDS, withDependencies } from "./agents.js";
import { gatewayTokens, readConfig } from "./config.js";
import { bold, cyan, dim, out } from "./output.js";

// Command modules load on use, so `hms agent <id>` (what the supervisor restarts) starts fast.
/** The main job's patient: moderate ileal disease, TPMT intermediate (examples/patients/README.md). */
const DEFAULT_DEMO_PATIENT = "pt-moderate-ileal-tpmt-im";
import { agentDef, agentDefs, startSystem, type System } from "./system.js";

const cfg = readConfig();
/** The configured NATS credentials (NATS_USER, NATS_PASS, NATS_TOKEN). */
const natsAuth = () => ({ user: cfg.NATS_USER, pass: cfg.NATS_PASS, token: cfg.NATS_TOKEN });

function logger(forMcpStdio = false): Logger {
  // MCP over stdio owns stdout; pino writes to stderr in every mode.
  const pretty = cfg.LOG_FORMAT ? cfg.LOG_FORMAT === "pretty" : process.stderr.isTTY === true && !forMcpStdio;
  return createLogger({ level: cfg.LOG_LEVEL, pretty });
}

/** Runs `body`, then waits for SIGINT/SIGTERM and closes what it started. */
async function serveUntilSignal(log: Logger, close: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info({ signal: sig }, "shutting down");
      resolve();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  await close();
}

/**
 * A numeric option's value, or INVALID_INPUT (exit 2) naming the option: finite, at least `min`
 * (default 0), an integer unless `integer` is false, at most `max`.
 */
function numberOption(
  flag: string,
  raw: string,
  o: { min?: number; max?: number; integer?: boolean; aboveMin?: boolean } = {},
): number {
  const min = o.min ?? 0;
  const n = raw.trim() === "" ? NaN : Number(raw);
  const ok =
    Number.isFinite(n) &&
    (o.integer === false || Number.isInteger(n)) &&
    (o.aboveMin ? n > min : n >= min) &&
    (o.max === undefined || n <= o.max);
  if (!ok) {
    const kind = o.integer === false ? "a number" : "an integer";
    const range = `${o.aboveMin ? ">" : "≥"} ${min}${o.max === undefined ? "" : ` and ≤ ${o.max}`}`;
    throw new HmsError("INVALID_INPUT", `${flag} must be ${kind} ${range}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

const SEED = { max: 0xffffffff } as const;
const PORT = { max: 65535 } as const;

function busCaller(client: BusClient, timeoutMs?: number): SkillCaller {
  return (agentId, verb, input, o) =>
    client.call(agentId, verb, input, {
      principal: o.principal,
      signal: o.signal,
      onProgress: o.onProgress,
      timeoutMs,
    });
}

function printCards(v: {
  tenant: string;
  natsUrl: string;
  natsEmbedded: boolean;
  fhirBaseUrl: string;
  fhirEmbedded: boolean;
  cards: WireAgentCard[];
}): void {
  out(bold(`HMS-A2A is up on tenant ${v.tenant}`));
  out(`  NATS  ${v.natsUrl}${v.natsEmbedded ? dim(" (embedded)") : ""}`);
  out(`  FHIR  ${v.fhirBaseUrl}${v.fhirEmbedded ? dim(" (embedded, seeded from examples/patients)") : ""}`);
  for (const card of v.cards) {
    out(`\n${cyan(card.name)} ${dim(`v${card.version} · ${card.supportedInterfaces[0]?.url ?? "no interface"}`)}`);
    out(`  ${card.description}`);
    for (const s of card.skills) out(`  • ${s.id.padEnd(28)} ${dim(s.name)}`);
  }
}

const program = new Command()
  .name("hms")
  .description(
    "HMS-A2A: Crohn's disease treatment-planning agents speaking A2A over NATS, with their skills as MCP tools.",
  )
  .version("0.1.0")
  .addHelpText(
    "after",
    `
Environment (defaults serve the embedded setup; README.md has the full table):
  NATS_URL          running NATS server (unset: start an embedded nats-server with JetStream)
  NATS_USER, NATS_PASS, NATS_TOKEN, NATS_SERVER   NATS credentials; nats-server binary
  FHIR_BASE_URL     FHIR R4 base URL (unset: start the embedded FHIR server seeded from examples/patients)
  FHIR_TOKEN        bearer token for FHIR_BASE_URL
  HMS_TENANT        tenant token in every subject (default "default")
  LOG_LEVEL         pino level (default info); LOG_FORMAT json|pretty
  OPTIMIZER_IMPL    native|ts (default: native when built, else ts)
  HMS_GATEWAY_PORT, HMS_GATEWAY_HOST, HMS_GATEWAY_TOKENS (JSON token → principal)
  HMS_INSPECT_KEY   pseudonym key shared by hms inspect and the inspector page
  HMS_REFERENCE_DIR clinical reference data (default clinical/reference/data)
  HMS_ACK_WAIT_MS   ms before unacknowledged work moves to another instance
  HMS_FAULT_CRASH_AT  fault injection for tests: the coordinator kills itself entering this state
Agents: ${AGENT_IDS.join(", ") || "(none registered)"}`,
  );

program
  .command("demo")
  .description(
    "the main job: start everything on the embedded defaults, plan treatment for a patient step by step, approve as a demo clinician, print the plan and where it was written",
  )
  .option("--patient <id>", "synthetic patient id (examples/patients)", DEFAULT_DEMO_PATIENT)
  .option("--seed <n>", "optimizer seed")
  .option("--json", "print the approved plan as JSON only")
  .action(async (o: { patient: string; seed?: string; json?: boolean }) => {
    const log = logger();
    const { runDemo } = await import("./demo.js");
    await runDemo(cfg, log, {
      patient: o.patient,
      json: !!o.json,
      seed: o.seed === undefined ? undefined : numberOption("--seed", o.seed, SEED),
    });
  });

program
  .command("scenario")
  .description("run one scenario script from examples/scenarios end to end and print its story")
  .argument("<name>", "scenario name, or `list`")
  .option("--seed <n>", "optimizer seed", "42")
  .option("--json", "print the scenario's result as JSON instead of the story")
  .action(async (name: string, o: { seed: string; json?: boolean }) => {
    const { runScenarioCommand, scenarioList } = await import("./scenario.js");
    if (name === "list") return out(`Scenarios:\n${scenarioList()}`);
    await runScenarioCommand(cfg, logger(), name, { seed: numberOption("--seed", o.seed, SEED), json: !!o.json });
  });

program
  .command("up")
  .description(
    "start NATS and FHIR (embedded unless NATS_URL/FHIR_BASE_URL are set) and every agent, each in its own process under the supervisor, which restarts any that exits (the healer journals restarts and restarts hung agents); print their cards",
  )
  .option("--agents <ids>", "comma-separated agent ids (default: all)")
  .option("--in-process", "run the agents inside this process instead (faster start, no restarts)")
  .option("--gateway", "also serve the HTTP gateway (MCP at /mcp, inspector page at /inspector/); implies --in-process")
  .action(async (o: { agents?: string; gateway?: boolean; inProcess?: boolean }) => {
    const log = logger();
    const ids = o.agents ? o.agents.split(",").map((s) => s.trim()) : [];
    if (o.inProcess || o.gateway) {
      const sys = await startSystem(cfg, log, ids);
      printCards({
        tenant: sys.host.tenant,
        natsUrl: sys.host.natsUrl,
        natsEmbedded: !!sys.host.embedded,
        fhirBaseUrl: sys.fhirBaseUrl,
        fhirEmbedded: sys.embeddedFhir,
        cards: sys.host.agents.map((a) => a.card),
      });
      const gw = o.gateway ? await gateway(sys, log) : undefined;
      out(dim("\nCtrl-C to stop."));
      await serveUntilSignal(log, async () => {
        await gw?.close();
        await sys.close();
      });
      return;
    }
    const { startSupervised } = await import("./supervise.js");
    for (const id of ids)
      if (!AGENT_IDS.includes(id))
        throw new HmsError("INVALID_INPUT", `unknown agent ${id}; known agents: ${AGENT_IDS.join(", ")}`);
    const agents = ids.length ? withDependencies(ids) : AGENT_IDS;
    const sup = await startSupervised({
      agents: agents.filter((id) => id !== "healer"),
      natsUrl: cfg.NATS_URL,
      fhirBaseUrl: cfg.FHIR_BASE_URL,
      fhirToken: cfg.FHIR_TOKEN,
      tenant: cfg.HMS_TENANT,
      natsServerBinary: cfg.NATS_SERVER,
      natsAuth: natsAuth(),
      logger: log,
    });
    try {
      const bus = await connectBus({ url: sup.natsUrl, name: "hms-up", logger: log, ...natsAuth() });
      const client = new BusClient(bus.nc, bus.kv.cards, cfg.HMS_TENANT);
      // The children register their cards as they come up.
      const cards = [];
      for (const id of agents) {
        const deadline = Date.now() + 60_000;
        let card = await client.card(id);
        while (!card && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          card = await client.card(id);
        }
        if (!card) throw new HmsError("DEADLINE_EXCEEDED", `agent ${id} did not come up within 60 s`);
        cards.push(card);
      }
      await bus.close();
      printCards({
        tenant: cfg.HMS_TENANT,
        natsUrl: sup.natsUrl,
        natsEmbedded: !cfg.NATS_URL,
        fhirBaseUrl: sup.fhirBaseUrl,
        fhirEmbedded: !cfg.FHIR_BASE_URL,
        cards,
      });
      out(
        dim(
          "\nEach agent runs as its own process; the supervisor restarts any that exits, the healer any that hangs. Ctrl-C to stop.",
        ),
      );
    } catch (err) {
      await sup.close();
      throw err;
    }
    await serveUntilSignal(log, () => sup.close());
  });

program
  .command("agent")
  .description("run one agent in this process against NATS_URL (scale out by running it several times)")
  .argument("<id>", `agent id (${AGENT_IDS.join(", ")})`)
  .action(async (id: string) => {
    const log = logger();
    if (!cfg.NATS_URL)
      throw new HmsError(
        "INVALID_INPUT",
        "hms agent needs NATS_URL (start `hms up` first, or point it at your NATS server)",
      );
    const fhirBaseUrl = cfg.FHIR_BASE_URL;
    if (!fhirBaseUrl)
      throw new HmsError(
        "INVALID_INPUT",
        "hms agent needs FHIR_BASE_URL (the FHIR server that `hms up` printed, or your own)",
      );
    const def = await agentDef(id, {
      fhirBaseUrl,
      fhirToken: cfg.FHIR_TOKEN,
      referenceDir: cfg.HMS_REFERENCE_DIR,
      optimizerImpl: cfg.OPTIMIZER_IMPL,
      logger: log,
      crashAt: cfg.HMS_FAULT_CRASH_AT,
    });
    // Run by a supervisor (an IPC channel exists): leave when the supervisor goes away.
    if (process.send) process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));
    const agent = await startAgent(def, {
      natsUrl: cfg.NATS_URL,
      natsAuth: natsAuth(),
      tenant: cfg.HMS_TENANT,
      logger: log,
      ackWaitMs: cfg.HMS_ACK_WAIT_MS,
    });
    out(`${agent.card.name} serving as ${agent.instanceId}`);
    await serveUntilSignal(log, () => agent.close());
  });

program
  .command("mcp")
  .description(
    "serve agents' skills as MCP tools over stdio; with no NATS_URL it starts the embedded servers and agents itself",
  )
  .argument("[agents...]", "agents whose tools to serve (default: all)")
  .addOption(new Option("--role <role>", "role of the MCP user").choices([...ROLES]).default("clinician"))
  .option("--subject <subject>", "principal subject of the MCP user", "mcp-user")
  .option("--purpose <code>", "purpose of use (TREAT, ETREAT, HRESCH, ...)", "TREAT")
  .action(async (ids: string[], o: { role: string; subject: string; purpose: string }) => {
    const log = logger(true);
    const principal: Principal = PrincipalSchema.parse({
      subject: o.subject,
      roles: [o.role],
      purposeOfUse: o.purpose,
    });
    if (cfg.NATS_URL) {
      const bus = await connectBus({ url: cfg.NATS_URL, name: "hms-mcp", logger: log, ...natsAuth() });
      const defs = await agentDefs(ids, {
        fhirBaseUrl: cfg.FHIR_BASE_URL ?? "",
        referenceDir: cfg.HMS_REFERENCE_DIR,
        logger: log,
      });
      const { serveStdio } = await import("../runtime/mcp/index.js");
      await serveStdio({
        agents: defs,
        call: busCaller(new BusClient(bus.nc, bus.kv.cards, cfg.HMS_TENANT)),
        principal,
        logger: log,
      });
      await bus.close();
      return;
    }
    const sys = await startSystem(cfg, log, ids);
    const exposed = ids.length ? sys.defs.filter((d) => ids.includes(d.id)) : sys.defs;
    const { serveStdio } = await import("../runtime/mcp/index.js");
    await serveStdio({ agents: exposed, call: busCaller(sys.host.client), principal, logger: log });
    await sys.close();
  });

/** The gateway with the inspector page mounted at /inspector/; close() closes both. */
async function gateway(sys: System, log: Logger) {
  const tokens = gatewayTokens(cfg) ?? devTokens(log);
  const { mountInspector, openInspector } = await import("../inspector/index.js");
  const { startGateway } = await import("../runtime/mcp/index.js");
  const inspector = await openInspector({
    nc: sys.host.bus.nc,
    tenant: cfg.HMS_TENANT,
    logger: log,
    redaction: { pseudonymKey: cfg.HMS_INSPECT_KEY },
  });
  const gw = await startGateway({
    agents: sys.defs,
    call: busCaller(sys.host.client),
    tokens,
    logger: log,
    port: cfg.HMS_GATEWAY_PORT,
    host: cfg.HMS_GATEWAY_HOST,
    mount: (app) => mountInspector(app, { inspector, tokens, logger: log }),
  });
  out(`MCP endpoint: ${gw.url}/mcp`);
  out(`Inspector page: ${gw.url}/inspector/`);
  return {
    ...gw,
    close: async () => {
      await gw.close();
      await inspector.close();
    },
  };
}

/** A development bearer token: `prefix` and 24 random bytes (base64url). */
const devToken = (prefix: string): string => `${prefix}-${randomBytes(24).toString("base64url")}`;

function devTokens(log: Logger): Map<string, Principal> {
  const token = devToken("dev");
  log.warn("HMS_GATEWAY_TOKENS is unset: issuing a development token with the clinician and admin roles");
  out(`Development bearer token (clinician, admin): ${token}`);
  const operator = devToken("op");
  out(`Development operator token (inspector reveal): ${operator}`);
  return new Map<string, Principal>([
    [token, { subject: "dev-user", roles: ["clinician", "admin"], purposeOfUse: "TREAT" }],
    [operator, { subject: "dev-operator", roles: ["operator"], purposeOfUse: "HOPERAT" }],
  ]);
}

program
  .command("gateway")
  .description("serve every agent's tools over MCP Streamable HTTP at /mcp (bearer tokens with roles)")
  .option("--port <n>", "port (default HMS_GATEWAY_PORT or 7420; 0 = free port)")
  .action(async (o: { port?: string }) => {
    const log = logger();
    if (o.port !== undefined) cfg.HMS_GATEWAY_PORT = numberOption("--port", o.port, PORT);
    const sys = await startSystem(cfg, log, []);
    const gw = await gateway(sys, log);
    await serveUntilSignal(log, async () => {
      await gw.close();
      await sys.close();
    });
  });

program
  .command("inspect")
  .description(
    "live tail of A2A traffic (rpc, task events, topic facts), redacted; NATS_URL points at the running system",
  )
  .option("--agent <id>", "only traffic to or from this agent")
  .option("--task <id>", "print one task's conversation in order with timings (then exit unless --follow)")
  .option("--trace <id>", "only this trace id")
  .option("--patient <id>", "only this patient (pseudonym or id)")
  .option("--method <name>", "only this method or skill (e.g. SendMessage, get_patient_summary)")
  .option("--event <type>", "only this event type (status, artifact, topic type, …)")
  .option("--since <time|seq>", "replay from JetStream first: a sequence, e:/j:/t: cursor, duration (5m) or ISO time")
  .option("--json", "JSON lines instead of the coloured view")
  .option("--heartbeats", "include heartbeats")
  .option("--xstate", "include XState state changes")
  .option("--follow", "with --task: keep following")
  .action(async (o: Record<string, string | boolean | undefined>) => {
    const log = logger();
    if (!cfg.NATS_URL)
      throw new HmsError(
        "INVALID_INPUT",
        "hms inspect needs NATS_URL: the NATS server of the running system (`hms up` prints it)",
      );
    const { inspectCommand } = await import("./inspect.js");
    await inspectCommand({
      natsUrl: cfg.NATS_URL,
      tenant: cfg.HMS_TENANT,
      natsUser: cfg.NATS_USER,
      natsPass: cfg.NATS_PASS,
      natsToken: cfg.NATS_TOKEN,
      logger: log,
      pseudonymKey: cfg.HMS_INSPECT_KEY,
      agent: o.agent as string | undefined,
      task: o.task as string | undefined,
      trace: o.trace as string | undefined,
      patient: o.patient as string | undefined,
      method: o.method as string | undefined,
      event: o.event as string | undefined,
      since: o.since as string | undefined,
      json: !!o.json,
      heartbeats: !!o.heartbeats,
      xstate: !!o.xstate,
      follow: !!o.follow,
    });
  });

program
  .command("audit")
  .description("audit trail tools")
  .command("verify")
  .description(
    "verify the consent agent's hash-chained audit stream (exit 0 intact, 1 altered or removed entries, 2 cannot verify); needs NATS_URL",
  )
  .action(async () => {
    if (!cfg.NATS_URL)
      throw new HmsError("INVALID_INPUT", "hms audit verify needs NATS_URL: the NATS server of the running system");
    const { auditVerifyCommand } = await import("./audit.js");
    process.exitCode = await auditVerifyCommand({
      natsUrl: cfg.NATS_URL,
      natsAuth: natsAuth(),
      tenant: cfg.HMS_TENANT,
      logger: logger(),
    });
  });

program
  .command("simulate")
  .description("simulators")
  .command("devices")
  .description(
    "stream realistic vital signs (with occasional deterioration) to the device agent over NATS or HL7 v2 MLLP; needs NATS_URL",
  )
  .option("--patients <n>", "number of monitored patients", "10")
  .option("--rate <r>", "vital-sign sets per patient per minute", "60")
  .option("--seconds <s>", "stop after this many seconds (default: until Ctrl-C)")
  .addOption(new Option("--via <transport>", "how readings travel").choices(["nats", "mllp"]).default("nats"))
  .option("--mllp-port <port>", "device agent's MLLP port (default: the one it registered)")
  .option("--seed <n>", "simulation seed", "1")
  .action(
    async (o: {
      patients: string;
      rate: string;
      seconds?: string;
      via: "nats" | "mllp";
      mllpPort?: string;
      seed: string;
    }) => {
      const log = logger();
      if (!cfg.NATS_URL)
        throw new HmsError(
          "INVALID_INPUT",
          "hms simulate devices needs NATS_URL: the NATS server of the running system (`hms up` prints it)",
        );
      const patients = numberOption("--patients", o.patients, { min: 1 });
      const rate = numberOption("--rate", o.rate, { integer: false, aboveMin: true });
      const seconds =
        o.seconds === undefined ? undefined : numberOption("--seconds", o.seconds, { integer: false, aboveMin: true });
      const mllpPort =
        o.mllpPort === undefined ? undefined : numberOption("--mllp-port", o.mllpPort, { min: 1, ...PORT });
      const seed = numberOption("--seed", o.seed, SEED);
      const { simulateDevicesCommand } = await import("./simulate.js");
      const ac = new AbortController();
      process.once("SIGINT", () => ac.abort());
      process.once("SIGTERM", () => ac.abort());
      const stats = await simulateDevicesCommand({
        patients,
        rate,
        seconds,
        via: o.via,
        natsUrl: cfg.NATS_URL,
        natsAuth: natsAuth(),
        tenant: cfg.HMS_TENANT,
        mllpPort,
        seed,
        referenceDir: cfg.HMS_REFERENCE_DIR,
        logger: log,
        signal: ac.signal,
        onProgress: (st) =>
          process.stderr.write(`\r${st.readings} readings, ${st.messages} messages, ${st.critical} critical`),
      });
      process.stderr.write("\n");
      out(JSON.stringify(stats));
    },
  );

program
  .command("fhir")
  .description("run only the embedded FHIR R4 server, seeded from examples/patients")
  .option("--port <n>", "port (0 = free port)", "0")
  .action(async (o: { port: string }) => {
    const log = logger();
    const port = numberOption("--port", o.port, PORT);
    const { startEmbeddedFhir } = await import("./fhir.js");
    // Started with an IPC channel (a benchmark, a supervisor): leave when the parent goes away.
    if (process.send) process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));
    const fhir = await startEmbeddedFhir(log, port);
    out(`FHIR R4 base URL: ${fhir.baseUrl}`);
    await serveUntilSignal(log, () => fhir.close());
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = HmsError.from(err);
  process.stderr.write(`hms: ${e.message}\n`);
  process.exitCode = e.code === "INVALID_INPUT" ? 2 : 1;
});
