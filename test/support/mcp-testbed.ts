// An MCP stdio server over the testbed agent, with the embedded NATS when NATS_URL is unset:
// the same wiring as `hms mcp`, with the runtime's own test agent.
import pino from "pino";
import { startHost } from "../../runtime/index.js";
import { serveStdio } from "../../runtime/mcp/index.js";
import { testAgent } from "./test-agent.js";

const logger = pino({ level: "silent" });
const host = await startHost({ agents: [testAgent], natsUrl: process.env.NATS_URL, logger });
await serveStdio({
  agents: [testAgent],
  call: (agentId, verb, input, o) =>
    host.client.call(agentId, verb, input, { principal: o.principal, onProgress: o.onProgress, signal: o.signal }),
  principal: {
    subject: "mcp-test",
    roles: [(process.env.MCP_ROLE as "clinician") ?? "clinician"],
    purposeOfUse: "TREAT",
  },
  logger,
});
await host.close();
