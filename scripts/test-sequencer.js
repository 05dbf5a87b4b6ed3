// Runs the slowest test files first, so that with two workers the run does not end with one
// long file running alone. Jest's own sequencer does this only from its local cache of the last
// run; a fresh clone (as in CI) has none and falls back to file size, which puts the slow
// browser and multi-process files anywhere. Here the local cache wins, then the durations
// committed in scripts/test-durations.json (seconds per file, written by the summary reporter to
// test-artifacts/test-durations.json after every run; copy it over when files are added).
const path = require('node:path');
const fs = require('node:fs');
const Sequencer = require('@jest/test-sequencer').default;

const root = path.resolve(__dirname, '..');
let committed = {};
try {
  committed = JSON.parse(fs.readFileSync(path.join(__dirname, 'test-durations.json'), 'utf8'));
} catch {
  committed = {};
}

// A file with no known duration counts as this long (most integration files take 5-20 s).
const UNKNOWN_MS = 10_000;

class SlowestFirstSequencer extends Sequencer {
  time(test) {
    const cached = super.time(test);
    if (cached != null) return cached;
    const seconds = committed[path.relative(root, test.path)];
    return seconds == null ? undefined : seconds * 1000;
  }

  // Failed last time first (quick feedback), then longest first; unit specs take milliseconds.
  sort(tests) {
    const expected = (test) =>
      this.time(test) ?? (test.path.endsWith('.spec.ts') ? 100 : UNKNOWN_MS);
    return [...tests].sort((a, b) => {
      const failedA = this.hasFailed(a);
      const failedB = this.hasFailed(b);
      if (failedA !== failedB) return failedA ? -1 : 1;
      return expected(b) - expected(a);
    });
  }
}

module.exports = SlowestFirstSequencer;
