import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { exitOf } from "../../examples/scenarios/support.js";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** Spawns a TypeScript entry under tsx and resolves once it prints a line starting with `ready`. */
export async function spawnReady(
  script: string,
  args: string[],
  timeoutMs = 20_000,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const line = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${script} not ready in ${timeoutMs} ms: ${err}`)), timeoutMs);
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      const l = buf.split("\n").find((x) => x.startsWith("ready"));
      if (l) {
        clearTimeout(t);
        resolve(l);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`${script} exited with ${code} before ready: ${err}`));
    });
  });
  return { child, line };
}

/** Resolves once the child has exited (at once if it already has). */
export const exited = async (child: ChildProcess): Promise<void> => void (await exitOf(child));
