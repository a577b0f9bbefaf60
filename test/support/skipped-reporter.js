// Lists, after a run, every suite or test skipped because something it needs is missing
// (titles made by describeIf / itIf in env.ts carry " — SKIPPED: <reason>").
const MARK = ' — SKIPPED: ';

class SkippedReporter {
  onRunComplete(_contexts, results) {
    const byReason = new Map();
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        if (t.status !== 'pending' && t.status !== 'skipped') continue;
        const title = [...t.ancestorTitles, t.title].find((s) => s.includes(MARK));
        if (!title) continue;
        const reason = title.slice(title.indexOf(MARK) + MARK.length);
        const rel = file.testFilePath.replace(process.cwd() + '/', '');
        if (!byReason.has(reason)) byReason.set(reason, new Map());
        const files = byReason.get(reason);
        files.set(rel, (files.get(rel) ?? 0) + 1);
      }
    }
    if (byReason.size === 0) return;
    const lines = ['', 'Skipped because something they need is missing (with CI=true these fail):'];
    for (const [reason, files] of byReason) {
      lines.push(`  ${reason}`);
      for (const [f, n] of files) lines.push(`    ${f} (${n} test${n === 1 ? '' : 's'})`);
    }
    process.stderr.write(lines.join('\n') + '\n');
  }
}

module.exports = SkippedReporter;
