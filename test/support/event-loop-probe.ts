// Opt-in measurement (vitest.config.ts loads it when HMS_LOOP_REPORT names a file): the longest time
// each test file kept its worker's event loop busy without a turn, and in which test. vitest's worker
// talks to the main process over birpc, whose calls time out after 60 s; a test that computes
// synchronously for that long ends a green run with `Timeout calling "onTaskUpdate"`.
//   HMS_LOOP_REPORT=test-artifacts/loop.tsv npx vitest run && sort -rn test-artifacts/loop.tsv | head
import { appendFileSync } from "node:fs";
import { afterAll, afterEach, beforeEach } from "vitest";

const TICK_MS = 20;
let last = performance.now();
const outside = "(imports or hooks)";
let current = outside;
let longest = { ms: 0, test: outside };
const tick = setInterval(() => note(current), TICK_MS);
tick.unref();

/** A gap between two turns beyond the tick interval is time the loop spent blocked. */
function note(test: string): void {
  const now = performance.now();
  const blocked = now - last - TICK_MS;
  if (blocked > longest.ms) longest = { ms: blocked, test };
  last = now;
}

beforeEach((ctx) => {
  note(current);
  current = ctx.task.name;
});
// A test that blocks and then ends is measured here: its hooks can run before the next timer turn.
afterEach(() => {
  note(current);
  current = outside;
});

afterAll((ctx) => {
  note(current);
  clearInterval(tick);
  const out = process.env.HMS_LOOP_REPORT;
  if (out) appendFileSync(out, `${Math.round(Math.max(0, longest.ms))}\t${ctx.file.filepath}\t${longest.test}\n`);
});
