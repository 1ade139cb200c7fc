import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "./support/spawn.js";

/** Which top-level layers each layer may import (style.md §2). */
const ALLOWED: Record<string, readonly string[]> = {
  protocol: [],
  clinical: ["protocol"],
  runtime: ["protocol"],
  agents: ["runtime", "clinical", "protocol"],
  inspector: ["runtime", "protocol"],
};

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
  ].map((m) => m[1]);
  return specs.filter((s) => s.startsWith("."));
}

function importGraph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const layer of Object.keys(ALLOWED)) {
    let files: string[] = [];
    try {
      files = sources(join(REPO, layer));
    } catch {
      continue;
    }
    for (const f of files)
      g.set(
        relative(REPO, f),
        importsOf(f).map((s) => relative(REPO, resolve(dirname(f), s.replace(/\.js$/, ".ts")))),
      );
  }
  return g;
}

describe("module boundaries", () => {
  const graph = importGraph();

  it("imports follow the layer direction (protocol ← clinical/runtime ← agents)", () => {
    expect(graph.size).toBeGreaterThan(20); // the walk found the sources
    const forbidden: string[] = [];
    for (const [from, tos] of graph) {
      const layer = from.split("/")[0];
      for (const to of tos) {
        const target = to.split("/")[0];
        if (target === layer || to.startsWith("node_modules")) continue;
        if (!ALLOWED[layer].includes(target)) forbidden.push(`${from} -> ${to}`);
      }
    }
    expect(forbidden).toEqual([]);
  });

  it("no agent imports another agent", () => {
    const cross: string[] = [];
    for (const [from, tos] of graph) {
      if (!from.startsWith("agents/")) continue;
      const own = from.split("/")[1];
      for (const to of tos) if (to.startsWith("agents/") && to.split("/")[1] !== own) cross.push(`${from} -> ${to}`);
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
