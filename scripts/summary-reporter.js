// Prints one plain closing line, "N passed, N failed, N skipped", after jest's own summary, so
// that CI logs say at a glance how many tests ran, preceded by the slowest test files (where the
// run's time goes, so that a contributor knows what to split or speed up). It also writes every
// file's duration to test-artifacts/test-durations.json, the input of scripts/test-sequencer.js.
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const files = results.testResults
      .map((r) => ({
        file: r.testFilePath.replace(`${process.cwd()}/`, ''),
        ms: r.perfStats.end - r.perfStats.start,
      }))
      .filter((f) => Number.isFinite(f.ms))
      .sort((a, b) => b.ms - a.ms);
    if (files.length > 1) {
      const durations = Object.fromEntries(
        [...files]
          .sort((a, b) => a.file.localeCompare(b.file))
          .map((f) => [f.file, Math.round(f.ms / 100) / 10]),
      );
      const dir = path.join(process.cwd(), 'test-artifacts');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'test-durations.json'),
        `${JSON.stringify(durations, null, 2)}\n`,
      );
      const total = files.reduce((sum, f) => sum + f.ms, 0);
      process.stdout.write(
        `\nslowest test files (of ${Math.round(total / 1000)} s in all files):\n`,
      );
      for (const f of files.slice(0, 10)) {
        process.stdout.write(`  ${(f.ms / 1000).toFixed(1).padStart(6)} s  ${f.file}\n`);
      }
    }
    process.stdout.write(
      `\ntests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
