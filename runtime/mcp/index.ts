/**
 * MCP exposure of the agents' skills: stdio, and the HTTP gateway (Streamable HTTP with bearer
 * tokens). A separate entry from runtime/index.ts so that agent processes, which never serve MCP,
 * do not load the MCP SDK (about 0.4 s of start-up, which counts when a supervisor restarts them).
 */
export { buildMcpServer, toolEntries, roleAllows } from "./tools.js";
export type { SkillCaller, ToolEntry } from "./tools.js";
export { serveStdio } from "./stdio.js";
export { startGateway } from "../gateway/server.js";
export { parseTokens, DEFAULT_GATEWAY_PORT } from "../gateway/tokens.js";
export type { Gateway, GatewayOptions } from "../gateway/server.js";
