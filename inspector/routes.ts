import { fileURLToPath } from "node:url";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import { HmsError, ERROR_TABLE, type Principal, type RoleName } from "../protocol/index.js";
import { parseFilter, parseSince } from "./filter.js";
import type { Inspector } from "./inspector.js";
import type { InspectorRecord } from "./record.js";

export const DEFAULT_BASE_PATH = "/inspector";
/** Roles that may watch the (redacted) traffic. */
export const DEFAULT_VIEW_ROLES: readonly RoleName[] = ["operator", "admin"];
/** Roles that may reveal an unredacted payload (each reveal is audited). */
export const DEFAULT_REVEAL_ROLES: readonly RoleName[] = ["operator"];
/** Bytes an SSE response may hold unsent before the feed waits (records) or drops (agent updates). */
export const DEFAULT_SSE_HIGH_WATER = 256 * 1024;
const KEEPALIVE_MS = 15_000;

export interface InspectorRoutesOptions {
  inspector: Inspector;
  /** Bearer token → principal (the gateway's tokens). */
  tokens: ReadonlyMap<string, Principal>;
  logger: Logger;
  /** @defaultValue DEFAULT_BASE_PATH */
  basePath?: string;
  /** @defaultValue DEFAULT_VIEW_ROLES */
  viewRoles?: readonly RoleName[];
  /** @defaultValue DEFAULT_REVEAL_ROLES */
  revealRoles?: readonly RoleName[];
}

const PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));

/**
 * Mounts the inspector's page and API on an express app (the gateway's `mount` option):
 * `GET <base>/` the page (static files, no build step); `GET <base>/api/feed` live records as
 * server-sent events (filters and `since` as query parameters); `GET <base>/api/replay`;
 * `GET <base>/api/conversation/:taskId`; `GET <base>/api/agents` (SSE); `POST <base>/api/reveal`.
 * The API takes the gateway's bearer tokens, in the Authorization header or, for EventSource,
 * as `access_token`.
 *
 * @example
 * await startGateway({ ...opts, mount: (app) => mountInspector(app, { inspector, tokens, logger }) });
 */
export function mountInspector(app: Express, opts: InspectorRoutesOptions): void {
  const base = opts.basePath ?? DEFAULT_BASE_PATH;
  const viewRoles = opts.viewRoles ?? DEFAULT_VIEW_ROLES;
  const revealRoles = opts.revealRoles ?? DEFAULT_REVEAL_ROLES;
  const insp = opts.inspector;

  const principalOf = (req: Request): Principal | undefined => {
    const h = req.header("authorization");
    const q = (req.query as Record<string, unknown>).access_token;
    const token = h?.startsWith("Bearer ") ? h.slice(7) : typeof q === "string" ? q : undefined;
    return token ? opts.tokens.get(token) : undefined;
  };
  const allowed = (p: Principal, roles: readonly RoleName[]) => p.roles.some((r) => roles.includes(r));
  const guard = (roles: readonly RoleName[]) => (req: Request, res: Response, next: NextFunction) => {
    const p = principalOf(req);
    if (!p) return void res.status(401).json({ error: "a bearer token is required" });
    if (!allowed(p, roles))
      return void res
        .status(403)
        .json({ error: `roles ${p.roles.join(",")} may not do this; needs one of ${roles.join(",")}` });
    (res.locals as { principal?: Principal }).principal = p;
    next();
  };
  const fail = (res: Response, err: unknown) => {
    const e = HmsError.from(err);
    if (e.code === "INTERNAL") opts.logger.error({ err }, "inspector request failed");
    if (!res.headersSent) res.status(ERROR_TABLE[e.code]?.http ?? 500).json({ error: e.message, code: e.code });
  };
  const filterOf = (req: Request) => parseFilter(req.query);

  const sse = (req: Request, res: Response) => {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.flushHeaders();
    const ac = new AbortController();
    const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
    req.on("close", () => {
      clearInterval(keepalive);
      ac.abort();
    });
    let dropped = 0;
    const frame = (event: string, data: unknown, id?: string) =>
      `${id ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    return {
      signal: ac.signal,
      /** Waits while the client is behind, so a burst slows the bus consumer instead of filling memory. */
      async record(r: InspectorRecord) {
        if (ac.signal.aborted) return;
        if (res.writableLength > DEFAULT_SSE_HIGH_WATER) {
          if (r.kind === "xstate") return void dropped++;
          await new Promise<void>((resolve) => {
            const done = () => {
              res.off("drain", done);
              ac.signal.removeEventListener("abort", done);
              resolve();
            };
            res.on("drain", done);
            ac.signal.addEventListener("abort", done);
          });
        }
        if (dropped) {
          res.write(frame("dropped", { count: dropped }));
          dropped = 0;
        }
        res.write(frame("record", r, r.id));
      },
      /** Best effort: skipped while the client is behind (the next update supersedes it). */
      send(event: string, data: unknown) {
        if (!ac.signal.aborted && res.writableLength <= DEFAULT_SSE_HIGH_WATER) res.write(frame(event, data));
      },
    };
  };

  app.use(base, express.static(PUBLIC_DIR, { index: "index.html" }));

  app.get(`${base}/api/me`, guard(viewRoles), (_req, res) => {
    const p = (res.locals as { principal: Principal }).principal;
    res.json({ subject: p.subject, roles: p.roles, canReveal: allowed(p, revealRoles), tenant: insp.tenant });
  });

  app.get(`${base}/api/feed`, guard(viewRoles), (req, res) => {
    void (async () => {
      const filter = filterOf(req);
      const q = req.query as Record<string, unknown>;
      const since = typeof q.since === "string" && q.since ? parseSince(q.since) : undefined;
      const stream = sse(req, res);
      const feed = await insp.feed({ filter, since, onRecord: (r) => stream.record(r), signal: stream.signal });
      stream.send("live", { replayed: await feed.live });
      await feed.done;
      res.end();
    })().catch((err: unknown) => fail(res, err));
  });

  app.get(`${base}/api/replay`, guard(viewRoles), (req, res) => {
    void (async () => {
      const q = req.query as Record<string, unknown>;
      const from = typeof q.from === "string" ? parseSince(q.from) : undefined;
      if (!from || from.kind !== "time")
        throw new HmsError("INVALID_INPUT", "replay needs from= (an ISO time or a duration like 10m)");
      const to = typeof q.to === "string" && q.to ? parseSince(q.to) : undefined;
      const limit = Math.min(Number(q.limit) || 1_000, 10_000);
      res.json({
        records: await insp.replay({
          from: from.at,
          to: to?.kind === "time" ? to.at : undefined,
          filter: filterOf(req),
          limit,
        }),
      });
    })().catch((err: unknown) => fail(res, err));
  });

  app.get(`${base}/api/conversation/:taskId`, guard(viewRoles), (req, res) => {
    void insp
      .conversation(String(req.params.taskId))
      .then((c) => res.json(c))
      .catch((err: unknown) => fail(res, err));
  });

  app.get(`${base}/api/agents`, guard(viewRoles), (req, res) => {
    const stream = sse(req, res);
    stream.send("agents", insp.agents());
    const off = insp.onAgentChange((v) => stream.send("agent", v));
    stream.signal.addEventListener("abort", off, { once: true });
  });

  app.post(`${base}/api/reveal`, express.json({ limit: "8kb" }), guard(revealRoles), (req, res) => {
    const body = (req.body ?? {}) as { id?: unknown; reason?: unknown };
    const p = (res.locals as { principal: Principal }).principal;
    if (typeof body.id !== "string" || typeof body.reason !== "string" || body.reason.trim().length < 3) {
      return void res
        .status(400)
        .json({ error: "reveal needs {id, reason} (a reason of 3 characters or more, recorded in the audit)" });
    }
    void insp
      .reveal(body.id, p, body.reason.trim())
      .then((r) => res.json(r))
      .catch((err: unknown) => fail(res, err));
  });
}
