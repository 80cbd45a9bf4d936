'use strict';
// Mocha's spec reporter, followed by one line `failed: <test> — <first line of the error>` for
// each failure and one plain closing line `N passed, N failed` that CI reads. Pending tests are
// reported separately and are not counted as passed.
const Mocha = require('mocha');

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END, EVENT_TEST_FAIL } = Mocha.Runner.constants;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const failures = [];
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      const message = String((err && err.message) || err || '')
        .split('\n')[0]
        .slice(0, 300);
      failures.push(`failed: ${test.fullTitle()} — ${message}`);
    });
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures: failed, pending } = this.stats;
      for (const line of failures) process.stdout.write(`${line}\n`);
      if (pending > 0) process.stdout.write(`${pending} pending\n`);
      process.stdout.write(`${passes} passed, ${failed} failed\n`);
    });
  }
}

module.exports = SummaryReporter;
