import type { Logger } from "pino";
import { HmsError } from "../protocol/index.js";
import { SCENARIOS, type Scenario } from "../examples/scenarios/index.js";
import type { Config } from "./config.js";
import { bold, elapsedStamp, out } from "./output.js";
import { startSystem } from "./system.js";

export const DEFAULT_SCENARIO_SEED = 42;

export function findScenario(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s)
    throw new HmsError(
      "INVALID_INPUT",
      `unknown scenario ${name}; scenarios: ${SCENARIOS.map((x) => x.name).join(", ")}`,
    );
  return s;
}

/** `hms scenario <name>`: runs one scenario on the embedded defaults and prints its story. */
export async function runScenarioCommand(
  cfg: Config,
  log: Logger,
  name: string,
  opts: { json?: boolean; seed?: number } = {},
): Promise<unknown> {
  const scenario = findScenario(name);
  const sys = await startSystem(cfg, log, scenario.agents ?? []);
  const t0 = Date.now();
  try {
    if (!opts.json) out(bold(`Scenario ${scenario.name}: ${scenario.title}`));
    const result = await scenario.run({
      sys,
      seed: opts.seed ?? DEFAULT_SCENARIO_SEED,
      story: (line) => {
        if (!opts.json) out(`${elapsedStamp(t0)} ${line}`);
      },
    });
    if (opts.json) out(JSON.stringify(result, null, 2));
    return result;
  } finally {
    await sys.close();
  }
}

export const scenarioList = (): string => SCENARIOS.map((s) => `  ${s.name.padEnd(22)} ${s.title}`).join("\n");
