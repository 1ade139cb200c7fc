import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { REPO, exited } from "../support/spawn.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("hms up on the embedded defaults", () => {
  it.each(["SIGINT", "SIGTERM"] as const)("leaves no nats-server process and no temp store after %s", async (signal) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: "json", LOG_LEVEL: "info" };
    delete env.NATS_URL;
    delete env.FHIR_BASE_URL;
    const child = spawn(process.execPath, ["bin/hms.mjs", "up"], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    const nats = await new Promise<{ pid: number; storeDir: string }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("hms up did not start its nats-server in time")), 30_000);
      let buf = "";
      child.stderr!.on("data", (d: Buffer) => {
        buf += d.toString();
        for (const line of buf.split("\n")) {
          if (!line.includes("embedded nats-server ready")) continue;
          const j = JSON.parse(line) as { pid: number; storeDir: string };
          clearTimeout(t);
          resolve(j);
        }
      });
    });
    await expect.poll(() => stdout, { timeout: 30_000 }).toContain("HMS-A2A is up");
    expect(alive(nats.pid)).toBe(true);
    expect(existsSync(nats.storeDir)).toBe(true);
    child.kill(signal);
    await exited(child);
    expect(child.exitCode).toBe(0);
    expect(alive(nats.pid)).toBe(false);
    expect(existsSync(nats.storeDir)).toBe(false);
  });
});
