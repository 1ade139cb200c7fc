import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "./support/spawn.js";

/**
 * Which top-level layers each layer may import (style.md §2). `agents` stands for every
 * `agents/<id>`. The same table is in eslint.config.js (ALLOWED), which shows these errors in the
 * editor; this test checks them from source, so an eslint-disable cannot weaken them.
 */
const ALLOWED: Record<string, readonly string[]> = {
  protocol: [],
  clinical: ["protocol"],
  runtime: ["protocol"],
  agents: ["runtime", "clinical", "protocol"],
  inspector: ["runtime", "protocol"],
  cli: ["protocol", "runtime", "clinical", "agents", "inspector", "examples"],
};

/**
 * The files through which another layer may import a layer (eslint.config.js, ENTRIES). An agent's
 * entry is `agents/<id>/index.ts`. runtime has two more, loaded only by whoever needs them, so that
 * agent processes do not load the MCP SDK or Medplum.
 */
const ENTRIES: Record<string, readonly string[]> = {
  protocol: ["protocol/index.ts"],
  clinical: ["clinical/index.ts"],
  runtime: ["runtime/index.ts", "runtime/mcp/index.ts", "runtime/embedded/fhir/index.ts"],
  inspector: ["inspector/index.ts"],
  examples: ["examples/scenarios/index.ts"],
};

/**
 * Files still importing another layer by a deep path while they are being rewritten (issue #11);
 * remove a prefix once its files import through the entries. Never add one.
 */
const DEEP_IMPORTS_PENDING: readonly string[] = [];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "target" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith(".ts") && !p.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)[^"'`]*?from\s*["']([^"']+)["']/g),
    ...text.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g),
  ].flatMap((m) => (m[1] === undefined ? [] : [m[1]]));
  return specs.filter((s) => s.startsWith("."));
}

function importGraph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const layer of Object.keys(ALLOWED)) {
    let files: string[];
    try {
      files = sources(join(REPO, layer));
    } catch {
      continue; // a layer this checkout does not have
    }
    for (const f of files)
      g.set(
        relative(REPO, f),
        importsOf(f).map((s) => relative(REPO, resolve(dirname(f), s.replace(/\.js$/, ".ts")))),
      );
  }
  return g;
}

/** The top-level layer of a path (`agents` for every agent). */
const layerOf = (path: string) => path.split("/")[0] ?? "";
/** The layer a path belongs to, with the agent id for agents (`agents/ehr`). */
const unitOf = (path: string) => (layerOf(path) === "agents" ? path.split("/").slice(0, 2).join("/") : layerOf(path));

describe("module boundaries", () => {
  const graph = importGraph();

  it("imports follow the layer direction (protocol ← clinical/runtime ← agents ← cli)", () => {
    expect(graph.size).toBeGreaterThan(20); // the walk found the sources
    const forbidden: string[] = [];
    for (const [from, tos] of graph) {
      const layer = layerOf(from);
      for (const to of tos) {
        const target = layerOf(to);
        if (target === layer || to.startsWith("node_modules")) continue;
        if (!ALLOWED[layer]?.includes(target)) forbidden.push(`${from} -> ${to}`);
      }
    }
    expect(forbidden).toEqual([]);
  });

  it("imports another layer only through its entry", () => {
    const deep: string[] = [];
    for (const [from, tos] of graph) {
      if (DEEP_IMPORTS_PENDING.some((p) => from.startsWith(p))) continue;
      for (const to of tos) {
        const target = unitOf(to);
        if (target === unitOf(from) || to.startsWith("node_modules")) continue;
        const entries = layerOf(to) === "agents" ? [`${target}/index.ts`] : (ENTRIES[target] ?? []);
        if (!entries.includes(to)) deep.push(`${from} -> ${to}`);
      }
    }
    expect(deep).toEqual([]);
  });

  it("no agent imports another agent", () => {
    const cross: string[] = [];
    for (const [from, tos] of graph) {
      if (!from.startsWith("agents/")) continue;
      const own = unitOf(from);
      for (const to of tos) if (to.startsWith("agents/") && unitOf(to) !== own) cross.push(`${from} -> ${to}`);
    }
    expect(cross).toEqual([]);
  });

  it("has no import cycles", () => {
    const cycles: string[] = [];
    const state = new Map<string, 1 | 2>();
    const visit = (n: string, path: string[]) => {
      if (state.get(n) === 2) return;
      if (state.get(n) === 1) {
        cycles.push([...path.slice(path.indexOf(n)), n].join(" -> "));
        return;
      }
      state.set(n, 1);
      for (const m of graph.get(n) ?? []) if (graph.has(m)) visit(m, [...path, n]);
      state.set(n, 2);
    };
    for (const n of graph.keys()) visit(n, []);
    expect(cycles).toEqual([]);
  });
});
