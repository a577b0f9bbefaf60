import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import {
  baselinePrior,
  chooseCandidate,
  DEFAULT_DESIGN,
  DEFAULT_STOPPING,
  DEFAULT_TARGETS,
  designPlan,
  searchCandidates,
  type DesignPlan,
  type DesignReport,
  type ScenarioSummary,
  type StoppingConfig,
} from '../core';
import { createProgressGroup } from '../common/progress';
import { renderLinePlot } from '../common/plot-svg';
import { loadConfig } from '../config/config';
import { formatTable } from '../demo/report';
import { runDesign } from '../design/runner';
import { CliError, type CliCommand } from './command';

/**
 * `bandit design`: the operating characteristics of a planned experiment's stopping rule,
 * by simulation (src/core/design): A/A false winners, wrong winners at the smallest lift
 * that matters, visitors to a verdict and regret, beside the fixed-horizon test's sample
 * size; `--search` tries a grid of thresholds and picks the one meeting the targets.
 * Seeded and reproducible whatever the number of threads.
 */
interface DesignOptions {
  baseline: string;
  lift: string;
  arms: string;
  runs: string;
  maxVisitors: string;
  batch: string;
  checkEvery: string;
  algorithm: string;
  topTwoBeta: string;
  probBest?: string;
  expectedLoss?: string;
  expectedLossRelative?: string;
  minSamples?: string;
  rope?: string;
  probEquivalent?: string;
  priorStrength?: string;
  seed: string;
  threads?: string;
  search?: boolean;
  targetFalse: string;
  targetWrong: string;
  out?: string;
  json?: boolean;
  quiet?: boolean;
}

function num(name: string, raw: string, check: (v: number) => boolean, what: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || !check(v)) throw new CliError(`${name} must be ${what}, got ${JSON.stringify(raw)}`);
  return v;
}
const int = (name: string, raw: string, lo: number, hi: number) => num(name, raw, (v) => Number.isInteger(v) && v >= lo && v <= hi, `an integer in [${lo}, ${hi}]`);
const prob = (name: string, raw: string) => num(name, raw, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
const nonNeg = (name: string, raw: string) => num(name, raw, (v) => v >= 0, 'a number >= 0');

/** The plan the options describe (CliError on bad input). */
export function planFromOptions(o: DesignOptions): DesignPlan {
  const baselineRate = num('--baseline', o.baseline, (v) => v > 0 && v < 1, 'a rate in (0, 1)');
  const stopping: StoppingConfig = {
    ...DEFAULT_STOPPING,
    ...(o.probBest !== undefined && { probBest: prob('--prob-best', o.probBest) }),
    ...(o.expectedLoss !== undefined && { expectedLoss: num('--expected-loss', o.expectedLoss, (v) => v >= 0 && v <= 1, 'a number in [0, 1]') }),
    ...(o.expectedLossRelative !== undefined && { expectedLossRelative: nonNeg('--expected-loss-relative', o.expectedLossRelative) }),
    ...(o.minSamples !== undefined && { minSamplesPerArm: int('--min-samples', o.minSamples, 0, 1e7) }),
    ...(o.rope !== undefined && { rope: nonNeg('--rope', o.rope) }),
    ...(o.probEquivalent !== undefined && { probEquivalent: prob('--prob-equivalent', o.probEquivalent) }),
  };
  if (o.algorithm !== 'thompson' && o.algorithm !== 'top_two') throw new CliError(`--algorithm must be thompson or top_two, got ${JSON.stringify(o.algorithm)}`);
  try {
    return designPlan({
      baselineRate,
      minLift: num('--lift', o.lift, (v) => v >= 0.001 && baselineRate * (1 + v) < 1, 'a relative lift ≥ 0.001 with baseline × (1 + lift) < 1'),
      arms: int('--arms', o.arms, 2, 100),
      stopping,
      policy: { algorithm: o.algorithm, topTwoBeta: o.algorithm === 'top_two' ? num('--top-two-beta', o.topTwoBeta, (v) => v >= 0 && v <= 1, 'a probability in [0, 1]') : undefined },
      prior: o.priorStrength === undefined ? undefined : baselinePrior(baselineRate, num('--prior-strength', o.priorStrength, (v) => v > 0 && v <= 1e9, 'a number in (0, 1e9]')),
      maxVisitors: int('--max-visitors', o.maxVisitors, 1, 1e8),
      batch: int('--batch', o.batch, 1, 1e7),
      checkEvery: int('--check-every', o.checkEvery, 1, 1e8),
    });
  } catch (err) {
    if (err instanceof RangeError) throw new CliError(err.message);
    throw err;
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const n = (x: number | null) => (x === null ? '–' : String(x));

function scenarioRow(label: string, s: ScenarioSummary): string[] {
  return [
    label,
    String(s.runs),
    s.scenario === 'aa' ? pct(s.falseWinnerRate) : pct(s.winnerRate),
    s.scenario === 'aa' ? '–' : pct(s.falseWinnerRate),
    pct(s.verdicts.no_meaningful_difference / Math.max(1, s.runs)),
    pct(s.verdicts.no_winner / Math.max(1, s.runs)),
    n(s.visitors.median),
    n(s.visitors.p90),
    n(s.visitorsToCorrectWinner.median),
    s.meanRegret.toFixed(1),
  ];
}

const HEADER = ['scenario', 'runs', 'winners', 'wrong', 'no diff.', 'no verdict', 'median visitors', 'p90', 'median to correct', 'regret'];

function describeStopping(s: StoppingConfig): string {
  return `P(best) >= ${s.probBest}, >= ${s.minSamplesPerArm} observations per arm, expected loss <= min(${s.expectedLoss}, ${s.expectedLossRelative ?? DEFAULT_STOPPING.expectedLossRelative} x baseline), ROPE +-${s.rope ?? DEFAULT_STOPPING.rope} x baseline at ${s.probEquivalent ?? DEFAULT_STOPPING.probEquivalent}`;
}

/** The text report of one plan. */
export function formatDesign(plan: DesignPlan, r: DesignReport): string {
  const lifted = plan.baselineRate * (1 + plan.minLift);
  return [
    `rule: ${describeStopping(r.stopping)}; ${plan.policy.algorithm}, allocation every ${plan.batch} visitors, checked every ${plan.checkEvery}, horizon ${plan.maxVisitors}`,
    formatTable(HEADER, [scenarioRow(`A/A ${plan.arms} x ${plan.baselineRate}`, r.aa), scenarioRow(`lift ${plan.baselineRate} -> ${+lifted.toPrecision(6)}`, r.lift)]),
    `A/A: "winners" are false winners. Lift: "winners" named the better arm, "wrong" another one. No verdict = the horizon was reached.`,
    `fixed-horizon test (two-sided ${r.fixedHorizon.alpha}, power ${r.fixedHorizon.power}): ${r.fixedHorizon.perArm} per arm, ${r.fixedHorizon.total} in total`,
    `targets (false winners <= ${pct(DEFAULT_TARGETS.falseWinners)}, wrong winners <= ${pct(DEFAULT_TARGETS.wrongWinners)}): ${r.meetsTargets ? 'met' : 'NOT met'}`,
  ].join('\n');
}

/** SVG: share of runs with a correct / wrong / A/A winner by visitors, the fixed horizon marked. */
export function designPlot(plan: DesignPlan, r: DesignReport): string {
  return renderLinePlot({
    title: 'Operating characteristics of the stopping rule',
    subtitle: `${describeStopping(r.stopping)}; ${r.aa.runs} runs per scenario`,
    xLabel: 'visitors',
    yLabel: 'share of runs',
    yDomain: [0, 1],
    legend: 'top-left',
    width: 900,
    series: [
      { name: `correct winner, +${+(plan.minLift * 100).toPrecision(3)}% lift`, x: r.lift.byVisitors.x, y: r.lift.byVisitors.correct },
      { name: 'wrong winner, lift', x: r.lift.byVisitors.x, y: r.lift.byVisitors.wrong },
      { name: 'false winner, A/A', x: r.aa.byVisitors.x, y: r.aa.byVisitors.wrong },
    ],
    markers: r.fixedHorizon.total <= plan.maxVisitors ? [{ x: r.fixedHorizon.total, label: 'fixed-horizon n', color: '#777777' }] : [],
  });
}

export const designCommand: CliCommand = {
  register(program: Command) {
    program
      .command('design')
      .description('simulate a planned experiment: false winners on A/A, wrong winners at the smallest lift, visitors to a verdict, beside the fixed-horizon test; --search finds thresholds meeting the targets')
      .option('--baseline <rate>', 'baseline click / conversion rate', String(DEFAULT_DESIGN.baselineRate))
      .option('--lift <x>', 'smallest relative lift that matters (0.1 = +10%)', String(DEFAULT_DESIGN.minLift))
      .option('--arms <k>', 'number of arms (in the lift scenario the last one is lifted)', String(DEFAULT_DESIGN.arms))
      .option('--runs <n>', 'simulated experiments per scenario', '200')
      .option('--max-visitors <n>', 'horizon of every run', String(DEFAULT_DESIGN.maxVisitors))
      .option('--batch <n>', 'visitors served from one allocation (the service refreshes it periodically)', String(DEFAULT_DESIGN.batch))
      .option('--check-every <n>', 'evaluate the stopping rule every n visitors', String(DEFAULT_DESIGN.checkEvery))
      .option('--algorithm <name>', 'thompson or top_two', 'thompson')
      .option('--top-two-beta <p>', 'top-two: probability of serving the sampled leader', '0.5')
      .option('--prob-best <p>', `minimum P(best) of a winner (default ${DEFAULT_STOPPING.probBest})`)
      .option('--expected-loss <x>', `maximum expected loss of a winner, absolute (default ${DEFAULT_STOPPING.expectedLoss})`)
      .option('--expected-loss-relative <x>', `maximum expected loss as a fraction of the baseline (default ${DEFAULT_STOPPING.expectedLossRelative})`)
      .option('--min-samples <n>', `minimum observations per arm = burn-in (default ${DEFAULT_STOPPING.minSamplesPerArm})`)
      .option('--rope <x>', `region of practical equivalence, fraction of the baseline (default ${DEFAULT_STOPPING.rope})`)
      .option('--prob-equivalent <p>', `probability needed for "no meaningful difference" (default ${DEFAULT_STOPPING.probEquivalent})`)
      .option('--prior-strength <n>', 'pseudo-observations of the prior centred on the baseline (default 100)')
      .option('--seed <seed>', 'seed (same seed, same results)', 'design')
      .option('--threads <n>', 'worker threads (default: one per CPU)')
      .option('--search', 'try a grid of P(best) thresholds and minimum samples, and pick the best one meeting the targets')
      .option('--target-false <x>', 'search: largest acceptable A/A false-winner rate', String(DEFAULT_TARGETS.falseWinners))
      .option('--target-wrong <x>', 'search: largest acceptable wrong-winner rate', String(DEFAULT_TARGETS.wrongWinners))
      .option('--out <dir>', 'folder for the plot (default $BANDIT_DATA_DIR/design)')
      .option('--json', 'print the results as JSON')
      .option('--quiet', 'no progress output')
      .action(async (opts: DesignOptions) => {
        const plan = planFromOptions(opts);
        const runs = int('--runs', opts.runs, 1, 1e6);
        const threads = opts.threads === undefined ? undefined : int('--threads', opts.threads, 1, 256);
        const targets = { falseWinners: num('--target-false', opts.targetFalse, (v) => v >= 0 && v <= 1, 'a rate in [0, 1]'), wrongWinners: num('--target-wrong', opts.targetWrong, (v) => v >= 0 && v <= 1, 'a rate in [0, 1]') };
        const plans = opts.search ? searchCandidates(plan.stopping).map((stopping) => ({ ...plan, stopping, policy: { ...plan.policy, burnIn: stopping.minSamplesPerArm } })) : [plan];
        const progress = createProgressGroup({ silent: opts.quiet });
        const task = progress.task('design', plans.length * 2 * runs);
        const reports = await runDesign({ plans, seed: opts.seed, runs, threads, targets, onProgress: (d) => task.update(d) });
        task.done(`${plans.length * 2 * runs} runs`);
        progress.stop();
        const chosen = opts.search ? chooseCandidate(reports, targets) : 0;
        const outDir = opts.out ? path.resolve(opts.out) : path.join(loadConfig().dataDir, 'design');
        fs.mkdirSync(outDir, { recursive: true });
        const plotPath = path.join(outDir, 'operating-characteristics.svg');
        const shown = chosen >= 0 ? chosen : 0;
        fs.writeFileSync(plotPath, designPlot(plans[shown], reports[shown]));
        if (opts.json) {
          process.stdout.write(JSON.stringify({ seed: opts.seed, runs, plan, reports, chosen: opts.search ? chosen : undefined, plot: plotPath }, null, 2) + '\n');
          return;
        }
        const out: string[] = [`Operating characteristics — seed ${opts.seed}, ${runs} runs per scenario`, ''];
        if (opts.search) {
          out.push(
            formatTable(
              ['P(best)', 'min/arm', 'A/A false', 'wrong', 'correct', 'median to correct', 'meets'],
              reports.map((r, i) => [
                String(r.stopping.probBest),
                String(r.stopping.minSamplesPerArm),
                pct(r.aa.falseWinnerRate),
                pct(r.lift.falseWinnerRate),
                pct(r.lift.winnerRate),
                n(r.lift.visitorsToCorrectWinner.median),
                (r.meetsTargets ? 'yes' : 'no') + (i === chosen ? ' <- chosen' : ''),
              ]),
            ),
            '',
            chosen >= 0 ? 'Chosen (meets the targets, most correct winners within the horizon):' : 'No configuration of the grid meets the targets; the first one is shown:',
          );
        }
        out.push(formatDesign(plans[shown], reports[shown]), `Plot: ${plotPath}`, '');
        process.stdout.write(out.join('\n'));
        if (opts.search && chosen < 0) process.exitCode = 1;
      });
  },
};
