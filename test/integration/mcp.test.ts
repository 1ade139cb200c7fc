import { execFile } from "node:child_process";
import { request } from "node:http";
import { promisify } from "node:util";
import { afterAll, assert, beforeAll, describe, expect, it } from "vitest";
import { basePatient } from "../../clinical/treatment/testing/patients.js";
import { item, planWith } from "../../clinical/treatment/testing/plans.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startHost, type Host } from "../../runtime/index.js";
import { startGateway, type Gateway } from "../../runtime/mcp/index.js";
import { quietLogger } from "../support/nats.js";
import { REPO } from "../support/spawn.js";
import { testAgent } from "../support/test-agent.js";

/** The result of the MCP Inspector CLI's answer (JSON on stdout). */
const inspectorResult = (stdout: string) =>
  (JSON.parse(stdout) as { result: { tools?: { name: string }[]; structuredContent?: Record<string, unknown> } })
    .result;

const run = promisify(execFile);
const INSPECTOR = `${REPO}/node_modules/.bin/mcp-inspector`;
const inspectorEnv = { ...process.env, MCP_INSPECTOR_SECRET_STORE: "memory" };

describe("MCP over stdio", () => {
  let client: Client;
  beforeAll(async () => {
    client = new Client({ name: "stdio-test", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: ["--import", "tsx", "test/support/mcp-testbed.ts"],
        cwd: REPO,
        stderr: "ignore",
      }),
    );
  });
  afterAll(async () => client?.close());

  it("lists every skill as a tool named <agent>_<verb> with annotations and an output schema", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([
      "testbed_echo_text",
      "testbed_count_slowly",
      "testbed_fail_with",
      "testbed_ask_approval",
      "testbed_approve_task",
      "testbed_lookup_code",
    ]);
    const echo = tools[0];
    assert(echo);
    expect(echo.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true });
    expect(echo.outputSchema?.properties).toHaveProperty("text");
  });

  it("calls a tool over the bus and returns structuredContent", async () => {
    const r = await client.callTool({ name: "testbed_echo_text", arguments: { text: "mcp", upper: true } });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toEqual({ text: "MCP", by: "testbed" });
  });

  it("streams progress notifications while a long tool runs", async () => {
    const seen: string[] = [];
    const r = await client.callTool({ name: "testbed_count_slowly", arguments: { n: 4, stepMs: 30 } }, undefined, {
      onprogress: (p) => void seen.push(p.message ?? ""),
    });
    expect(r.structuredContent).toMatchObject({ counted: 4 });
    // The server sends every step before the result, but the SDK client may still drop the last
    // one: it handles a response at once and defers notifications to a microtask, so progress
    // read in the same chunk as the response finds its handler gone
    // (modelcontextprotocol/typescript-sdk#2580). Steps written well before the end arrive, in
    // order (a step may be folded into the next when a write is still in flight).
    const all = ["count_slowly: started", "step 1 of 4", "step 2 of 4", "step 3 of 4", "step 4 of 4"];
    expect(seen.slice(0, 2), JSON.stringify(seen)).toEqual(all.slice(0, 2));
    expect(
      seen.every((m) => all.includes(m)),
      JSON.stringify(seen),
    ).toBe(true);
    expect(
      seen.map((m) => all.indexOf(m)),
      JSON.stringify(seen),
    ).toEqual([...seen.map((m) => all.indexOf(m))].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("answers bad arguments with isError naming the field", async () => {
    const r = await client.callTool({ name: "testbed_echo_text", arguments: { text: 42 } });
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toContain("text");
  });

  it("answers a skill's typed failure with isError carrying its code", async () => {
    const r = await client.callTool({ name: "testbed_fail_with", arguments: { code: "NOT_FOUND" } });
    expect(r.isError).toBe(true);
    expect(r._meta?.["hms/error"]).toMatchObject({ code: "NOT_FOUND" });
    expect(JSON.stringify(r.content)).toContain("NOT_FOUND:");
  });

  it("works from the MCP Inspector CLI (tools/list and tools/call)", async () => {
    const list = await run(
      INSPECTOR,
      [
        "--cli",
        "--format",
        "json",
        "--method",
        "tools/list",
        "--",
        process.execPath,
        "--import",
        "tsx",
        "test/support/mcp-testbed.ts",
      ],
      { cwd: REPO, env: inspectorEnv },
    );
    expect(inspectorResult(list.stdout).tools).toHaveLength(6);
    const call = await run(
      INSPECTOR,
      [
        "--cli",
        "--format",
        "json",
        "--method",
        "tools/call",
        "--tool-name",
        "testbed_echo_text",
        "--tool-args-json",
        '{"text":"inspector"}',
        "--",
        process.execPath,
        "--import",
        "tsx",
        "test/support/mcp-testbed.ts",
      ],
      { cwd: REPO, env: inspectorEnv },
    );
    expect(inspectorResult(call.stdout).structuredContent).toEqual({ text: "inspector", by: "testbed" });
  });
});

describe("MCP over Streamable HTTP (gateway)", () => {
  let host: Host;
  let gw: Gateway;
  const tokens = new Map([
    ["clin-token", { subject: "dr-who", roles: ["clinician" as const], purposeOfUse: "TREAT" as const }],
    ["research-token", { subject: "res-1", roles: ["researcher" as const], purposeOfUse: "HRESCH" as const }],
  ]);
  const connect = async (token?: string) => {
    const c = new Client({ name: "http-test", version: "1.0.0" });
    await c.connect(
      new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), {
        requestInit: { headers: token ? { Authorization: `Bearer ${token}` } : {} },
      }),
    );
    return c;
  };

  beforeAll(async () => {
    host = await startHost({ agents: [testAgent], logger: quietLogger });
    gw = await startGateway({
      agents: [testAgent],
      call: (a, v, i, o) =>
        host.client.call(a, v, i, { principal: o.principal, signal: o.signal, onProgress: o.onProgress }),
      tokens,
      logger: quietLogger,
      port: 0,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await host?.close();
  });

  it("lists and calls tools with a valid token", async () => {
    const c = await connect("clin-token");
    expect((await c.listTools()).tools).toHaveLength(6);
    const r = await c.callTool({ name: "testbed_echo_text", arguments: { text: "http" } });
    expect(r.structuredContent).toEqual({ text: "http", by: "testbed" });
    await c.close();
  });

  it("answers 401 without a token and with an unknown one", async () => {
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } },
    });
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    expect((await fetch(`${gw.url}/mcp`, { method: "POST", headers, body })).status).toBe(401);
    expect(
      (await fetch(`${gw.url}/mcp`, { method: "POST", headers: { ...headers, authorization: "Bearer nope" }, body }))
        .status,
    ).toBe(401);
  });

  it("answers 403 when the token's role may not call the tool", async () => {
    const c = await connect("research-token");
    const err = await c.callTool({ name: "testbed_echo_text", arguments: { text: "x" } }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/403|forbidden/i);
    await c.close().catch(() => undefined);
  });

  it("refuses a foreign Host header (DNS rebinding protection)", async () => {
    // fetch cannot forge Host; node:http can.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${gw.url}/mcp`,
        {
          method: "POST",
          headers: { host: "evil.example", authorization: "Bearer clin-token", "content-type": "application/json" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.once("error", reject);
      req.end("{}");
    });
    expect(status).toBe(403);
  });

  it("answers bad arguments with isError naming the field", async () => {
    const c = await connect("clin-token");
    const r = await c.callTool({ name: "testbed_echo_text", arguments: {} });
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toContain("text");
    await c.close();
  });

  it("works from the MCP Inspector CLI with a bearer header", async () => {
    const base = [
      "--cli",
      `${gw.url}/mcp`,
      "--transport",
      "http",
      "--header",
      "Authorization: Bearer clin-token",
      "--format",
      "json",
    ];
    const list = await run(INSPECTOR, [...base, "--method", "tools/list"], { cwd: REPO, env: inspectorEnv });
    expect(inspectorResult(list.stdout).tools?.map((t) => t.name)).toContain("testbed_count_slowly");
    const call = await run(
      INSPECTOR,
      [
        ...base,
        "--method",
        "tools/call",
        "--tool-name",
        "testbed_echo_text",
        "--tool-args-json",
        '{"text":"via http"}',
      ],
      { cwd: REPO, env: inspectorEnv },
    );
    expect(inspectorResult(call.stdout).structuredContent?.text).toBe("via http");
  });
});

describe("hms mcp (the real command an MCP host is configured with)", () => {
  it("starts the embedded servers and the agent itself, and serves its tools over stdio", async () => {
    const env: Record<string, string> = { ...(process.env as Record<string, string>), LOG_LEVEL: "warn" };
    delete env.NATS_URL;
    delete env.FHIR_BASE_URL;
    const client = new Client({ name: "hms-mcp-test", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: ["bin/hms.mjs", "mcp", "optimizer", "verifier"],
        cwd: REPO,
        env,
        stderr: "ignore",
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(
        expect.arrayContaining([
          "optimizer_optimize_treatment",
          "optimizer_interpret_genotype",
          "optimizer_evaluate_biomarkers",
        ]),
      );
      expect(tools.every((t) => t.name.startsWith("optimizer_") || t.name.startsWith("verifier_"))).toBe(true);
      const r = await client.callTool({
        name: "optimizer_interpret_genotype",
        arguments: { tpmt: "*1/*3A", nudt15: "*1/*1" },
      });
      expect(r.isError).toBeFalsy();
      expect(JSON.stringify(r.structuredContent)).toContain("intermediate");
      // The verifier's input is checked at the boundary: a malformed plan is an error naming the field.
      const plan = planWith([item.infliximab()]);
      const ok = await client.callTool({ name: "verifier_verify_plan", arguments: { patient: basePatient(), plan } });
      expect(ok.isError).toBeFalsy();
      expect(ok.structuredContent).toMatchObject({ isValid: expect.any(Boolean), findings: expect.any(Array) });
      const bad = await client.callTool({
        name: "verifier_verify_plan",
        arguments: { patient: basePatient(), plan: { ...plan, horizonWeeks: 0 } },
      });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toContain("horizonWeeks");
    } finally {
      await client.close();
    }
  });
});
