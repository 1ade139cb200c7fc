import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Logger } from "pino";
import type { Principal } from "../../protocol/index.js";
import { toolName, type AgentDef } from "../host/define.js";
import { buildMcpServer, type SkillCaller } from "./tools.js";

/** Serves the agents' tools over stdio (stdout carries MCP; logs go to stderr). Resolves when stdin closes. */
export async function serveStdio(opts: {
  agents: readonly AgentDef[];
  call: SkillCaller;
  principal: Principal;
  logger: Logger;
}): Promise<void> {
  const server = buildMcpServer({
    agents: opts.agents,
    call: opts.call,
    principalOf: () => opts.principal,
    logger: opts.logger,
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once("end", () => resolve());
  });
  await server.connect(transport);
  opts.logger.info(
    { tools: opts.agents.flatMap((a) => a.skills.map((s) => toolName(a.id, s.verb))) },
    "MCP stdio server ready",
  );
  await closed;
  await server.close().catch(() => undefined);
}
