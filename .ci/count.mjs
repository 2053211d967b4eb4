// Reads vitest's JSON report and prints the one closing line CI is judged by:
// "N passed, N failed". A skipped or todo test counts as failed: an end-to-end suite that did
// not run is a failure, not a pass. Exits non-zero on any failure or when nothing ran.
import { readFileSync } from 'node:fs';

const [file, rcText] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`[ci] no test report (${e.message}); npm test exited ${rcText}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
let passed = 0;
let failed = 0;
const notRun = [];
for (const suite of report.testResults ?? []) {
  if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) {
    failed += 1; // a file that failed to load
    console.error(`[ci] suite failed to run: ${suite.name}: ${suite.message ?? ''}`);
  }
  for (const t of suite.assertionResults ?? []) {
    if (t.status === 'passed') passed += 1;
    else if (t.status === 'failed') failed += 1;
    else {
      failed += 1;
      notRun.push(`${suite.name}: ${t.fullName} (${t.status})`);
    }
  }
}
for (const n of notRun) console.error(`[ci] not run, counted as failed: ${n}`);
const rc = Number(rcText);
if (rc !== 0 && failed === 0) {
  console.error(`[ci] npm test exited ${rc} without a failed test: counting the run as failed`);
  failed = 1;
}
if (passed === 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
