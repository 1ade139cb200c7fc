import { execFileSync, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { REPO, exited } from "../support/spawn.js";

/** Pids of the `hms agent <id>` processes `hms up` started (not esbuild's helper process). */
function agentPids(ppid: number): number[] {
  const out = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(ppid)], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => /hms\.mjs agent /.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("hms up on the embedded defaults (agents supervised as child processes)", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "leaves no nats-server process and no temp store after %s",
    async (signal) => {
      const env: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: "json", LOG_LEVEL: "info" };
      delete env.NATS_URL;
      delete env.FHIR_BASE_URL;
      const child = spawn(process.execPath, ["bin/hms.mjs", "up"], {
        cwd: REPO,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      const nats = await new Promise<{ pid: number; storeDir: string }>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("hms up did not start its nats-server in time")), 30_000);
        let buf = "";
        child.stderr.on("data", (d: Buffer) => {
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
      // Every agent runs as a child process of `hms up` (under the supervisor).
      const agents = agentPids(child.pid!);
      expect(agents.length).toBe(7); // every agent but the healer, which runs beside the supervisor
      child.kill(signal);
      await exited(child);
      expect(child.exitCode).toBe(0);
      expect(alive(nats.pid)).toBe(false);
      expect(existsSync(nats.storeDir)).toBe(false);
      for (const pid of agents) expect(alive(pid), `agent process ${pid}`).toBe(false);
    },
  );

  it("stops its agent processes even when hms up itself is SIGKILLed", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: "json", LOG_LEVEL: "info" };
    delete env.NATS_URL;
    delete env.FHIR_BASE_URL;
    const child = spawn(process.execPath, ["bin/hms.mjs", "up"], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    await expect.poll(() => stdout, { timeout: 30_000 }).toContain("HMS-A2A is up");
    const agents = agentPids(child.pid!);
    expect(agents.length).toBe(7);
    const nats = JSON.parse(stderr.split("\n").find((l) => l.includes("embedded nats-server ready"))!) as {
      pid: number;
      storeDir: string;
    };
    child.kill("SIGKILL");
    await exited(child);
    // Each agent sees its supervisor's IPC channel close and shuts down.
    await expect.poll(() => agents.filter(alive), { timeout: 15_000 }).toEqual([]);
    // A SIGKILLed parent cannot stop its nats-server: this test does it for the run it started.
    if (alive(nats.pid)) process.kill(nats.pid, "SIGKILL");
    rmSync(nats.storeDir, { recursive: true, force: true });
  });
});
