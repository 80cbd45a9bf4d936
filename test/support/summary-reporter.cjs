'use strict';
// Mocha's spec reporter, followed by one plain closing line `N passed, N failed`
// that CI reads. Pending tests are reported separately and are not counted as passed.
const Mocha = require('mocha');

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      if (pending > 0) process.stdout.write(`${pending} pending\n`);
      process.stdout.write(`${passes} passed, ${failures} failed\n`);
    });
  }
}

module.exports = SummaryReporter;
