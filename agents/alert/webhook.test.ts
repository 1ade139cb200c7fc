import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { postWebhook } from "./webhook.js";

describe("webhook delivery", () => {
  it("retries 5xx and network errors with exponential back-off, then succeeds", async () => {
    const delays: number[] = [];
    let calls = 0;
    const fakeFetch = (async () => {
      calls++;
      if (calls === 1) throw new TypeError("fetch failed");
      if (calls === 2) return new Response("busy", { status: 503 });
      return new Response("ok", { status: 200 });
    }) as typeof fetch;
    const res = await postWebhook(
      "http://x/hook",
      { a: 1 },
      { fetch: fakeFetch, baseDelayMs: 100, sleep: async (ms) => void delays.push(ms) },
    );
    expect(res).toEqual({ attempts: 3, status: 200 });
    expect(delays).toEqual([100, 200]);
  });

  it("does not retry a 4xx and reports DEPENDENCY_FAILED", async () => {
    let calls = 0;
    const fakeFetch = (async () => {
      calls++;
      return new Response("no", { status: 400 });
    }) as typeof fetch;
    await expect(postWebhook("http://x/hook", {}, { fetch: fakeFetch, sleep: async () => {} })).rejects.toMatchObject({
      code: "DEPENDENCY_FAILED",
    });
    expect(calls).toBe(1);
  });

  it("gives up after the configured retries", async () => {
    let calls = 0;
    const fakeFetch = (async () => {
      calls++;
      return new Response("", { status: 500 });
    }) as typeof fetch;
    await expect(
      postWebhook("http://x/hook", {}, { fetch: fakeFetch, retries: 2, sleep: async () => {} }),
    ).rejects.toThrow(/HTTP 500/);
    expect(calls).toBe(3);
  });

  it("posts JSON to a real HTTP endpoint", async () => {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      let data = "";
      req.on("data", (c) => (data += c));
      req.on("end", () => {
        bodies.push(JSON.parse(data));
        res.statusCode = bodies.length === 1 ? 502 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as { port: number }).port;
      const res = await postWebhook(`http://127.0.0.1:${port}/hook`, { alert: "x" }, { baseDelayMs: 1 });
      expect(res.attempts).toBe(2);
      expect(bodies).toEqual([{ alert: "x" }, { alert: "x" }]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
