import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express, Request, Response, NextFunction } from "express";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import { InvalidTokenError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";
import { JSONRPC_CODES, type Principal } from "../../protocol/index.js";
import { DEFAULT_GATEWAY_PORT } from "./tokens.js";
import type { AgentDef } from "../host/define.js";
import { buildMcpServer, roleAllows, toolEntries, type SkillCaller } from "../mcp/tools.js";

export interface GatewayOptions {
  agents: readonly AgentDef[];
  call: SkillCaller;
  /** Bearer token → principal. */
  tokens: ReadonlyMap<string, Principal>;
  logger: Logger;
  /** @defaultValue DEFAULT_GATEWAY_PORT; 0 picks a free port */
  port?: number;
  /** @defaultValue "127.0.0.1" (Host-header protection on) */
  host?: string;
  /** Mounts more routes (the inspector) before the server starts listening. */
  mount?: (app: Express) => void;
}

export interface Gateway {
  url: string;
  port: number;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The HTTP gateway: MCP Streamable HTTP at /mcp (stateful sessions, bearer tokens carrying roles:
 * 401 without a valid token, 403 when the token's roles do not allow the tool), forwarding every
 * tool call over NATS.
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const host = opts.host ?? "127.0.0.1";
  const app = createMcpExpressApp({ host });
  const tools = toolEntries(opts.agents);
  const auth = requireBearerAuth({
    verifier: {
      verifyAccessToken: async (token: string) => {
        const principal = opts.tokens.get(token);
        if (!principal) throw new InvalidTokenError("unknown token");
        return {
          token,
          clientId: principal.subject,
          scopes: principal.roles,
          expiresAt: Math.floor(Date.now() / 1000) + 3600,
          extra: { principal },
        };
      },
    },
  });
  const principalOf = (extra: { authInfo?: { extra?: Record<string, unknown> } }): Principal =>
    extra.authInfo?.extra?.principal as Principal;

  // 403 before the MCP layer when a tools/call names a tool the token's roles may not use.
  const authorize = (req: Request, res: Response, next: NextFunction) => {
    const principal = (req as Request & { auth?: { extra?: { principal?: Principal } } }).auth?.extra?.principal;
    const msgs = Array.isArray(req.body) ? req.body : [req.body];
    for (const m of msgs as Array<{ method?: string; id?: unknown; params?: { name?: string } }>) {
      if (m?.method !== "tools/call" || !principal) continue;
      const entry = tools.get(m.params?.name ?? "");
      if (entry && !roleAllows(entry.skill, principal)) {
        opts.logger.warn(
          { tool: entry.name, subject: principal.subject, roles: principal.roles },
          "tool call forbidden for role",
        );
        res.status(403).json({
          jsonrpc: "2.0",
          id: m.id ?? null,
          error: {
            code: JSONRPC_CODES.INVALID_REQUEST,
            message: `forbidden: roles ${principal.roles.join(",")} may not call ${entry.name}`,
          },
        });
        return;
      }
    }
    next();
  };

  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const handle = async (req: Request, res: Response) => {
    const sid = req.header("mcp-session-id");
    let transport = sid ? sessions.get(sid) : undefined;
    if (!transport) {
      if (sid) {
        res.status(404).json({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } });
        return;
      }
      if (req.method !== "POST" || !isInitializeRequest(req.body)) {
        res.status(400).json({
          jsonrpc: "2.0",
          id: null,
          error: { code: JSONRPC_CODES.INVALID_REQUEST, message: "Bad Request: no session; send initialize first" },
        });
        return;
      }
      const t = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, t),
      });
      t.onclose = () => {
        if (t.sessionId) sessions.delete(t.sessionId);
      };
      const server = buildMcpServer({ agents: opts.agents, call: opts.call, principalOf, logger: opts.logger });
      await server.connect(t);
      transport = t;
    }
    await transport.handleRequest(req as never, res as never, req.body);
  };
  app.post("/mcp", auth, authorize, (req, res) => void handle(req, res).catch((err: unknown) => fail(res, err)));
  app.get("/mcp", auth, (req, res) => void handle(req, res).catch((err: unknown) => fail(res, err)));
  app.delete("/mcp", auth, (req, res) => void handle(req, res).catch((err: unknown) => fail(res, err)));
  app.get("/healthz", (_req, res) => void res.json({ ok: true, sessions: sessions.size }));
  opts.mount?.(app);

  const fail = (res: Response, err: unknown) => {
    opts.logger.error({ err }, "gateway request failed");
    if (!res.headersSent)
      res
        .status(500)
        .json({ jsonrpc: "2.0", id: null, error: { code: JSONRPC_CODES.INTERNAL_ERROR, message: "internal error" } });
  };

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(opts.port ?? DEFAULT_GATEWAY_PORT, host, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  opts.logger.info({ url: `${url}/mcp` }, "gateway listening");
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const t of sessions.values()) await t.close().catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    })());
  return { url, port, close, [Symbol.asyncDispose]: close };
}
