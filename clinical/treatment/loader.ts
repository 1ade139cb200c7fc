import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type GaConfig, type GaProblem, type GaRunResult, GaRunResultSchema, HmsError } from "../../protocol/index.js";
import { fitness } from "./fitness.js";
import { runGa, type GaProgress } from "./ga.js";

/**
 * Picks the GA implementation: the Rust one (native/index.node, built by
 * scripts/build-native.sh) when present, else the TypeScript one. `impl` forces one; asking for
 * native when it is missing is a DEPENDENCY_FAILED error.
 */

export type ImplName = "native" | "ts";

export interface OptimizerImpl {
  name: ImplName;
  run(
    problem: GaProblem,
    cfg: GaConfig,
    onProgress?: (p: GaProgress) => void,
    signal?: AbortSignal,
  ): Promise<GaRunResult>;
  evaluate(problem: GaProblem, genomes: number[][]): Promise<number[]>;
}

/** Opaque Rust-side problem (a boxed, validated copy). */
type NativeHandle = { readonly __nativeProblem: unique symbol };

interface NativeModule {
  optimize(input: { problem: GaProblem; config: GaConfig }): Promise<unknown>;
  evaluateGenomes(input: { problem: GaProblem; genomes: number[][] }): Promise<unknown>;
  /** The arm tables travel as Float64Arrays, the rest as JSON; throws a RangeError when invalid. */
  createProblem(meta: GaProblem, armsFirst: Float64Array, armsAfter: Float64Array): NativeHandle;
  optimizeHandle(problem: NativeHandle, config: GaConfig): Promise<unknown>;
  /** The same search on the JS thread (for small runs, see SYNC_MAX_GENOMES). */
  optimizeHandleSync(problem: NativeHandle, config: GaConfig): unknown;
  evaluateHandle(problem: NativeHandle, genes: Int32Array): Float64Array;
}

/** Default location of the native module. */
export function defaultNativePath(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "native", "index.node");
}

export const tsImpl: OptimizerImpl = {
  name: "ts",
  run: async (problem, cfg, onProgress, signal) => runGa(problem, cfg, { onProgress, signal }),
  evaluate: async (problem, genomes) => genomes.map((g) => fitness(problem, g)),
};

function unwrap(out: unknown): unknown {
  const o = out as { ok?: unknown; error?: { code: string; message: string } };
  if (o && o.error)
    throw new HmsError(
      o.error.code === "INVALID_INPUT" ? "INVALID_INPUT" : "INTERNAL",
      `native optimizer: ${o.error.message}`,
    );
  return o.ok;
}

/**
 * Runs of at most this many genomes (populationSize x (generations + 1)) search on the JS thread,
 * where the hop to Node's worker pool and back would cost more than the search. Larger runs,
 * the default config's 3,660 among them (a few milliseconds), go to the pool: an agent serving
 * many plans keeps its event loop for messages while searches run on another core.
 */
export const SYNC_MAX_GENOMES = 1_000;

function nativeImpl(mod: NativeModule): OptimizerImpl {
  // One Rust-side copy per problem object: the 0.5 MB of arm tables cross the boundary once.
  const handles = new WeakMap<GaProblem, NativeHandle>();
  const handleOf = (problem: GaProblem): NativeHandle => {
    let h = handles.get(problem);
    if (!h) {
      try {
        h = mod.createProblem(
          { ...problem, model: { ...problem.model, armsFirst: [], armsAfter: [] } },
          Float64Array.from(problem.model.armsFirst),
          Float64Array.from(problem.model.armsAfter),
        );
      } catch (err) {
        throw new HmsError("INVALID_INPUT", `native optimizer: ${(err as Error).message}`, { cause: err });
      }
      handles.set(problem, h);
    }
    return h;
  };
  const call = async <T>(fn: () => Promise<unknown>): Promise<T> => {
    try {
      return unwrap(await fn()) as T;
    } catch (err) {
      throw HmsError.is(err)
        ? err
        : new HmsError("DEPENDENCY_FAILED", `native optimizer failed: ${(err as Error).message}`, {
            cause: err,
            data: { dependency: "native" },
          });
    }
  };
  return {
    name: "native",
    async run(problem, cfg, onProgress, signal) {
      if (signal?.aborted) throw signal.reason;
      const h = handleOf(problem);
      const small = cfg.populationSize * (cfg.generations + 1) <= SYNC_MAX_GENOMES;
      const res = GaRunResultSchema.parse(
        await call(async () => (small ? mod.optimizeHandleSync(h, cfg) : mod.optimizeHandle(h, cfg))),
      );
      // The native run reports once it is done: replay its history at the configured cadence.
      if (onProgress)
        for (const h of res.history)
          if (h.generation % cfg.progressEvery === 0 || h.generation === cfg.generations) onProgress(h);
      return res;
    },
    async evaluate(problem, genomes) {
      const h = handleOf(problem);
      const n = problem.domains.length;
      // Plain loops: several times faster than TypedArray#set and Array.from on these sizes.
      const genes = new Int32Array(genomes.length * n);
      let o = 0;
      // The undefined checks cannot fire for a dense array (i, j are in range by the loop bounds and
      // the length check); V8 folds them away, and a sparse genome fails instead of reading as 0.
      for (let i = 0; i < genomes.length; i++) {
        const g = genomes[i];
        if (g === undefined || g.length !== n)
          throw new HmsError("INVALID_INPUT", `native optimizer: genomes[${i}] has ${g?.length} genes, expected ${n}`);
        for (let j = 0; j < n; j++) {
          const v = g[j];
          if (v === undefined) throw new HmsError("INVALID_INPUT", `native optimizer: genomes[${i}] has no gene ${j}`);
          genes[o++] = v;
        }
      }
      try {
        const fit = mod.evaluateHandle(h, genes);
        const out = new Array<number>(fit.length);
        for (let i = 0; i < fit.length; i++) {
          const v = fit[i];
          if (v === undefined) throw new RangeError(`no fitness ${i}`); // i < fit.length by the loop bound
          out[i] = v;
        }
        return out;
      } catch (err) {
        throw new HmsError("INVALID_INPUT", `native optimizer: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}

/** Whether the native module file exists. */
export function nativeAvailable(path = defaultNativePath()): boolean {
  return existsSync(path);
}

/**
 * The implementation to use.
 * @param opts.impl - "native" | "ts" forces one (the CLI passes OPTIMIZER_IMPL here); default: native when built.
 */
export function loadOptimizerImpl(opts: { impl?: ImplName; nativePath?: string } = {}): OptimizerImpl {
  const path = opts.nativePath ?? defaultNativePath();
  if (opts.impl === "ts") return tsImpl;
  if (!existsSync(path)) {
    if (opts.impl === "native")
      throw new HmsError("DEPENDENCY_FAILED", `native optimizer not built (${path}); run scripts/build-native.sh`, {
        data: { dependency: "native" },
      });
    return tsImpl;
  }
  try {
    const mod = createRequire(import.meta.url)(path) as NativeModule;
    return nativeImpl(mod);
  } catch (err) {
    if (opts.impl === "native")
      throw new HmsError("DEPENDENCY_FAILED", `native optimizer failed to load: ${(err as Error).message}`, {
        cause: err,
        data: { dependency: "native" },
      });
    return tsImpl;
  }
}
