import pino from "pino";
import { startEmbeddedNats, type EmbeddedNats } from "../../runtime/index.js";

export const quietLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

/** One real nats-server per suite, on a free port with a temp store. */
export async function natsForSuite(): Promise<EmbeddedNats> {
  return startEmbeddedNats({ logger: quietLogger });
}
