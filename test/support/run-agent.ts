// Runs the testbed agent in its own process: `node --import tsx test/support/run-agent.ts <natsUrl> [ackWaitMs]`.
// Prints "ready <pid>" on stdout once it serves.
import pino from "pino";
import { startAgent } from "../../runtime/index.js";
import { testAgent } from "./test-agent.js";

const [natsUrl, ackWait] = process.argv.slice(2);
if (!natsUrl) throw new Error("usage: run-agent.ts <natsUrl> [ackWaitMs]");
const agent = await startAgent(testAgent, {
  natsUrl,
  logger: pino({ level: "silent" }),
  ackWaitMs: Number(ackWait ?? 2_000),
});
process.stdout.write(`ready ${process.pid}\n`);
const stop = () => void agent.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
