// Prints vitest's benchmark JSON as one line per case, relative to the group's first (baseline) case.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (const file of report.files) {
  for (const group of file.groups) {
    console.log(group.fullName);
    const baseline = group.benchmarks[0]?.mean;
    for (const b of group.benchmarks) {
      const ratio = (b.mean / baseline).toFixed(2);
      console.log(`  ${b.name.padEnd(55)} ${b.mean.toFixed(1).padStart(9)} ms/call  ${ratio}x baseline  (n=${b.sampleCount})`);
    }
  }
}
