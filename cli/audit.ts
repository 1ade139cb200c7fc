import { pino, type Logger } from "pino";
import { appendEntry, verifyChain } from "../clinical/index.js";
import { connectBus, DEFAULT_TENANT, JetStreamAuditLog, auditSubject, AUDIT_STREAM } from "../runtime/index.js";
import type { AuditChainStatus } from "../protocol/index.js";
import { green, out, red } from "./output.js";

export interface AuditVerifyOptions {
  natsUrl: string;
  /** Credentials of the NATS at `natsUrl` (NATS_USER, NATS_PASS, NATS_TOKEN). */
  natsAuth?: { user?: string; pass?: string; token?: string };
  /** @defaultValue DEFAULT_TENANT */
  tenant?: string;
  logger?: Logger;
  /** Where the verdict goes. @defaultValue stdout */
  print?: (line: string) => void;
}

/** One line saying what verification found. */
export function formatAuditStatus(status: AuditChainStatus, where: string): string {
  if (status.ok) return `${green("OK")} ${where}: ${status.checked} entries, hash chain intact`;
  return `${red("TAMPERED")} ${where}: entry ${status.firstBadSeq} ${status.problem} (${status.checked} entries verified before it)`;
}

/**
 * `hms audit verify`: re-reads the tenant's audit chain from JetStream and checks every hash and
 * sequence number. Returns the exit code: 0 intact, 1 altered or removed entry, 2 cannot verify.
 */
export async function auditVerifyCommand(opts: AuditVerifyOptions): Promise<number> {
  const print = opts.print ?? out;
  const tenant = opts.tenant ?? DEFAULT_TENANT;
  const where = `${AUDIT_STREAM} ${auditSubject(tenant)}`;
  let bus;
  try {
    bus = await connectBus({
      url: opts.natsUrl,
      name: "hms-audit-verify",
      ...opts.natsAuth,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  } catch (err) {
    print(`${red("ERROR")} ${(err as Error).message}`);
    return 2;
  }
  try {
    const log = await JetStreamAuditLog.open({
      js: bus.js,
      jsm: bus.jsm,
      tenant,
      chain: { seal: appendEntry, verify: verifyChain },
      logger: opts.logger ?? pino({ level: "silent" }),
    });
    const status = await log.verify();
    print(formatAuditStatus(status, where));
    return status.ok ? 0 : 1;
  } catch (err) {
    print(`${red("ERROR")} cannot verify ${where}: ${(err as Error).message}`);
    return 2;
  } finally {
    await bus.close();
  }
}
