import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import type { Logger } from "pino";
import { HmsError } from "../../protocol/index.js";

export const DEFAULT_NATS_START_TIMEOUT_MS = 15_000;
const DEBIAN_SBIN = ["/usr/sbin/nats-server", "/usr/local/sbin/nats-server", "/usr/local/bin/nats-server"];

export interface EmbeddedNatsOptions {
  /** Explicit binary; else NATS_SERVER (passed in by the caller), PATH, then Debian's sbin. */
  binary?: string;
  /** Listen port; 0 (default) picks a free one. */
  port?: number;
  logger?: Logger;
  /** @defaultValue DEFAULT_NATS_START_TIMEOUT_MS */
  startTimeoutMs?: number;
  /** Extra arguments, e.g. cluster settings. */
  extraArgs?: string[];
}

export interface EmbeddedNats {
  url: string;
  monitorUrl: string;
  pid: number;
  storeDir: string;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its temp store. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Finds the nats-server binary or throws one clear line saying what to install. */
export function findNatsServer(explicit?: string): string {
  if (explicit) {
    if (!existsSync(explicit))
      throw new HmsError("DEPENDENCY_FAILED", `nats-server not found at ${explicit}`, {
        data: { dependency: "nats-server" },
      });
    return explicit;
  }
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const p = join(dir, "nats-server");
    if (dir && existsSync(p)) return p;
  }
  for (const p of DEBIAN_SBIN) if (existsSync(p)) return p;
  throw new HmsError(
    "DEPENDENCY_FAILED",
    "nats-server is not installed: run `apt-get install -y nats-server` (or set NATS_URL to a running server)",
    {
      data: { dependency: "nats-server" },
    },
  );
}

/**
 * Starts a nats-server with JetStream on loopback, a free port and a temp store (design.md §2),
 * waits for /healthz, and returns a handle whose close() stops it and removes the store.
 */
export async function startEmbeddedNats(opts: EmbeddedNatsOptions = {}): Promise<EmbeddedNats> {
  const binary = findNatsServer(opts.binary);
  const storeDir = await mkdtemp(join(tmpdir(), "hms-nats-"));
  const args = [
    "-a",
    "127.0.0.1",
    "-p",
    String(opts.port ?? -1),
    "-m",
    "-1",
    "-js",
    "-sd",
    storeDir,
    "--ports_file_dir",
    storeDir,
    ...(opts.extraArgs ?? []),
  ];
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const removeOnExit = () => killNow(child);
  process.once("exit", removeOnExit);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      process.off("exit", removeOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 3_000);
        await exited;
        clearTimeout(t);
      }
      await rm(storeDir, { recursive: true, force: true });
    })());

  try {
    const deadline = Date.now() + (opts.startTimeoutMs ?? DEFAULT_NATS_START_TIMEOUT_MS);
    const { url, monitorUrl } = await waitForPorts(storeDir, child, deadline, () => stderr);
    await waitHealthy(monitorUrl, deadline);
    opts.logger?.info({ url, pid: child.pid, storeDir }, "embedded nats-server ready");
    return { url, monitorUrl, pid: child.pid!, storeDir, close, [Symbol.asyncDispose]: close };
  } catch (err) {
    await close();
    throw err;
  }
}

function killNow(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

async function waitForPorts(
  dir: string,
  child: ChildProcess,
  deadline: number,
  stderr: () => string,
): Promise<{ url: string; monitorUrl: string }> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new HmsError(
        "DEPENDENCY_FAILED",
        `nats-server exited with code ${child.exitCode}: ${stderr().trim().split("\n").pop() ?? ""}`,
        {
          data: { dependency: "nats-server" },
        },
      );
    }
    const file = (await readdir(dir)).find((f) => f.endsWith(".ports"));
    if (file) {
      try {
        const ports = JSON.parse(await readFile(join(dir, file), "utf8")) as { nats?: string[]; monitoring?: string[] };
        const [url] = ports.nats ?? [];
        const [monitorUrl] = ports.monitoring ?? [];
        if (url && monitorUrl) return { url, monitorUrl };
      } catch {
        // written but not complete yet: read again
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new HmsError("DEADLINE_EXCEEDED", "nats-server did not write its ports file in time", {
    data: { dependency: "nats-server" },
  });
}

async function waitHealthy(monitorUrl: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${monitorUrl}/healthz?js-enabled-only=true`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new HmsError("DEADLINE_EXCEEDED", "nats-server did not become healthy in time", {
    data: { dependency: "nats-server" },
  });
}
