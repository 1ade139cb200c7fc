import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import {
  BusClient,
  connectBus,
  startAgent,
  type Bus,
  type EmbeddedNats,
  type RunningAgent,
} from "../../runtime/index.js";
import { startGateway, type Gateway } from "../../runtime/mcp/index.js";
import type { Principal } from "../../protocol/index.js";
import { mountInspector, openInspector, type Inspector } from "../../inspector/index.js";
import { natsForSuite, quietLogger } from "../support/nats.js";
import { REPO } from "../support/spawn.js";
import { testAgent } from "../support/test-agent.js";
import { chattyAgent } from "../support/chatty-agent.js";

const bundle = JSON.parse(readFileSync(join(REPO, "examples/patients/pt-age-over-89.json"), "utf8")) as {
  entry: Array<{ resource: Record<string, unknown> }>;
};
const pat = bundle.entry.find((e) => e.resource.resourceType === "Patient")!.resource as {
  id: string;
  name: [{ family: string; given: [string, ...string[]] }, ...unknown[]];
  identifier: [{ value: string }, ...unknown[]];
};
const P = { id: pat.id, name: `${pat.name[0].given[0]} ${pat.name[0].family}`, mrn: pat.identifier[0].value };

const tokens = new Map<string, Principal>([
  ["admin-token", { subject: "admin-1", roles: ["admin"], purposeOfUse: "TREAT" }],
  ["operator-token", { subject: "operator-1", roles: ["operator"], purposeOfUse: "HOPERAT" }],
]);
const ARTIFACTS = join(REPO, "test-artifacts");

let nats: EmbeddedNats;
let agents: RunningAgent[];
let bus: Bus;
let client: BusClient;
let inspector: Inspector;
let gw: Gateway;
let ctx: BrowserContext;
let profile: string;

beforeAll(async () => {
  nats = await natsForSuite();
  agents = [
    await startAgent(testAgent, { natsUrl: nats.url, logger: quietLogger }),
    await startAgent(chattyAgent, { natsUrl: nats.url, logger: quietLogger }),
  ];
  bus = await connectBus({ url: nats.url, name: "inspector-page-test" });
  client = new BusClient(bus.nc, bus.kv.cards, "default");
  inspector = await openInspector({ nc: bus.nc, logger: quietLogger });
  gw = await startGateway({
    agents: [testAgent, chattyAgent],
    tokens,
    logger: quietLogger,
    port: 0,
    call: (a, v, i, o) => client.call(a, v, i, { principal: o.principal }),
    mount: (app) => mountInspector(app, { inspector, tokens, logger: quietLogger }),
  });
  profile = mkdtempSync(join(tmpdir(), "hms-chromium-"));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1400, height: 900 },
  });
});
afterAll(async () => {
  await ctx?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await gw?.close();
  await inspector?.close();
  await bus?.close();
  for (const a of agents ?? []) await a.close();
  await nats?.close();
});

const relay = () =>
  client.callForTask(
    "chatty",
    "relay_note",
    { patientId: P.id, note: `${P.name} ${P.mrn} reports pain`, steps: 2 },
    { principal: { subject: "dr-test", roles: ["clinician"], purposeOfUse: "TREAT" } },
  );

async function open(token: string): Promise<Page> {
  const page = await ctx.newPage();
  await page.goto(`${gw.url}/inspector/#token=${token}`);
  await page.waitForFunction(() => document.querySelector("#status")?.textContent?.startsWith("live"), undefined, {
    timeout: 10_000,
  });
  return page;
}
const rowMethods = (page: Page) =>
  page.$$eval("#rows .row", (rows) => rows.map((r) => (r.children[3] as HTMLElement).textContent));

describe("inspector web page", () => {
  it("shows a scenario's conversation, filters it, tracks agent state, and never shows the patient's identifiers", async () => {
    const page = await open("admin-token");
    await page.waitForSelector('#agents [data-agent="testbed"]');
    const before = await page.textContent('#agents [data-agent="testbed"] .xstate');
    const r = await relay();
    const row = `#rows .row[data-task="${r.task.id}"][data-event="task.created"]`;
    await page.waitForSelector(row, { timeout: 10_000 });
    await page.waitForSelector(`#rows .row[data-task="${r.task.id}"][data-event="task.status"] .good`, {
      timeout: 10_000,
    });
    await page.click(row);
    await page.waitForSelector("#conversation svg .hop.reply", { state: "attached" });
    expect(await page.$$eval("#conversation .participant", (ps) => ps.map((p) => p.textContent))).toEqual([
      "client",
      "chatty",
      "testbed",
    ]);
    const hops = await page.$$eval("#conversation .hop", (hs) =>
      hs.map((h) => `${h.getAttribute("data-from")}>${h.getAttribute("data-to")}`),
    );
    expect(hops).toEqual([
      "client>chatty",
      "chatty>testbed",
      "testbed>chatty",
      "chatty>testbed",
      "testbed>chatty",
      "chatty>client",
    ]);
    expect(
      await page.$$eval("#conversation .label.reply", (ls) =>
        ls.every((l) => /COMPLETED \d+ms/.test(l.textContent ?? "")),
      ),
    ).toBe(true);
    await page.waitForFunction(
      (b) => document.querySelector('#agents [data-agent="testbed"] .xstate')?.textContent !== b,
      before,
      { timeout: 5_000 },
    );
    expect(await page.textContent('#agents [data-agent="testbed"] .health')).toBe("up");

    // A filter hides the rest.
    await page.fill('#filters input[name="method"]', "echo_text");
    await page.fill('#filters input[name="since"]', "1");
    await page.click("#apply");
    await page.waitForFunction(() => document.querySelector("#status")?.textContent?.startsWith("live"));
    await page.waitForSelector('#rows .row[data-event="task.created"]');
    const methods = await rowMethods(page);
    expect(methods.length).toBeGreaterThan(2);
    expect(new Set(methods)).toEqual(new Set(["echo_text"]));

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "inspector-page.png"), fullPage: true });
    const text = await page.evaluate(() => document.body.innerText);
    for (const s of [P.id, P.name, P.mrn]) expect(text).not.toContain(s);
    await page.close();
  });

  it("reveals a payload only with an operator token, and audits each reveal", async () => {
    const r = await relay();
    const admin = await open("admin-token");
    const refused = await admin.evaluate(
      async (id) =>
        (
          await fetch("api/reveal", {
            method: "POST",
            headers: { authorization: "Bearer admin-token", "content-type": "application/json" },
            body: JSON.stringify({ id, reason: "debug" }),
          })
        ).status,
      "e:1",
    );
    expect(refused).toBe(403);
    await admin.close();

    const page = await open("operator-token");
    await page.fill('#filters input[name="task"]', r.task.id);
    await page.fill('#filters input[name="since"]', "1");
    await page.click("#apply");
    const row = `#rows .row[data-task="${r.task.id}"][data-event="task.created"]`;
    await page.waitForSelector(row);
    await page.click(row);
    expect(await page.textContent("#detail")).not.toContain(P.name);
    page.once("dialog", (d) => void d.accept("checking a stuck plan"));
    await page.click("#reveal");
    await page.waitForFunction(() => document.querySelector("#detail")?.textContent?.startsWith("REVEALED"));
    expect(await page.textContent("#detail")).toContain(P.name);
    expect(inspector.audits()).toEqual([
      expect.objectContaining({
        subject: "operator-1",
        reason: "checking a stuck plan",
        recordId: expect.stringMatching(/^e:\d+$/),
      }),
    ]);
    await page.close();
  });

  it("stays responsive through a burst of 10,000 messages with a bounded feed", async () => {
    const page = await open("admin-token");
    await page.fill('#filters input[name="event"]', "topic.burst");
    await page.click("#apply");
    await page.waitForFunction(() => document.querySelector("#status")?.textContent?.startsWith("live"));
    const heap0 = process.memoryUsage().heapUsed;
    const enc = new TextEncoder();
    for (let i = 0; i < 10_000; i++)
      bus.nc.publish(
        "a2a.v1.default.topic.burst.testbed",
        enc.encode(JSON.stringify({ agentId: "testbed", n: i, patientId: P.id })),
      );
    await bus.nc.flush();
    await page.waitForFunction(
      () => document.querySelector("#count")?.textContent === "(5000, oldest dropped)",
      undefined,
      { timeout: 30_000 },
    );
    const t0 = Date.now();
    expect(await page.evaluate(() => document.querySelectorAll("#rows .row").length)).toBeLessThan(100);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(150 * 1024 * 1024);
    expect(await page.evaluate(() => document.body.innerText)).not.toContain(P.id);
    await page.close();
  });
});
