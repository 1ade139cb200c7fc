// Prints vitest's totals as the plain closing line CI reads ("N passed, N failed, N skipped"),
// from the JSON report written next to the default reporter's output. A run with no test fails.
// The second argument is vitest's exit status: vitest fails a run on an unhandled error (a worker's
// RPC timeout, an error thrown after a test ended) that no test counts, and so does this summary.
import { readFileSync } from "node:fs";
import { relative } from "node:path";

const file = process.argv[2];
const vitestStatus = Number(process.argv[3] ?? 0);
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch {
  console.log("0 passed, 1 failed");
  console.error(`test-summary: no vitest report at ${file}`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// A file that failed before its tests ran (an import error, a failing hook) has no failed test of its own.
const brokenFiles = (report.testResults ?? []).filter(
  (f) => f.status === "failed" && !(f.assertionResults ?? []).some((t) => t.status === "failed"),
);
const failed = (report.numFailedTests ?? 0) + brokenFiles.length;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const errors = failed === 0 && vitestStatus !== 0 ? 1 : 0;
// The longest time a test file kept its worker's event loop busy (third argument, written by
// test/support/event-loop-probe.ts): informative, printed before the closing line.
const loopFile = process.argv[4];
if (loopFile) {
  let rows = [];
  try {
    rows = readFileSync(loopFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("\t"))
      .map(([ms, name, test]) => ({ ms: Number(ms), name, test }))
      .sort((a, b) => b.ms - a.ms);
  } catch {
    // no report: vitest did not get as far as running a file
  }
  const top = rows[0];
  if (top) {
    const where = `${relative(process.cwd(), top.name)} › ${top.test}`;
    console.log(`longest event-loop block in a test worker: ${(top.ms / 1000).toFixed(1)} s (${where})`);
    if (top.ms > 30_000)
      console.error(
        "test-summary: over half of the 60 s a vitest worker's RPC call waits: make that test yield (await a setImmediate) between steps",
      );
  }
}
console.log(
  `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}${errors ? ", 1 run error" : ""}`,
);
for (const f of brokenFiles) console.error(`test-summary: ${f.name} failed outside its tests: ${f.message}`);
if (errors)
  console.error(
    `test-summary: vitest exited with ${vitestStatus} though no test failed: see "Unhandled Errors" above (a worker's event loop blocked past its 60 s RPC timeout shows as Timeout calling "onTaskUpdate")`,
  );
process.exit(passed > 0 && failed === 0 && errors === 0 ? 0 : 1);
