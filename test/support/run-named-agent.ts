// Runs ONE agent by id in its own process, as `hms agent <id>` would, for chaos and healer tests:
// `node --import tsx test/support/run-named-agent.ts <id>` with NATS_URL (and FHIR_BASE_URL for device).
// Ids: testbed, device, alert. Prints "ready <pid>" on stdout once it serves; SIGTERM stops it cleanly.
import pino from "pino";
import { alertAgent } from "../../agents/alert/index.js";
import { deviceAgent } from "../../agents/device/index.js";
import { startAgent, type AgentDef } from "../../runtime/index.js";
import { testAgent } from "./test-agent.js";

const [id] = process.argv.slice(2);
const natsUrl = process.env.NATS_URL;
if (!natsUrl) throw new Error("NATS_URL is required");
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const defs: Record<string, () => AgentDef> = {
  testbed: () => testAgent,
  device: () => deviceAgent({ fhirBaseUrl: process.env.FHIR_BASE_URL, logger, mllp: false }),
  alert: () => alertAgent({ logger, escalation: { delayMs: Number(process.env.ALERT_ESCALATION_MS ?? 300_000) } }),
};
const make = id === undefined ? undefined : defs[id];
if (!make) throw new Error(`unknown agent ${id}`);
const agent = await startAgent(make(), {
  natsUrl,
  tenant: process.env.HMS_TENANT,
  logger,
  ackWaitMs: Number(process.env.HMS_ACK_WAIT_MS ?? 2_000),
  heartbeatMs: Number(process.env.HMS_HEARTBEAT_MS ?? 2_000),
});
process.stdout.write(`ready ${process.pid}\n`);
const stop = () => void agent.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
