import type { Command } from 'commander';
import { ESTIMATORS, isEstimatorName, type Estimate, type EstimatorName } from '../core/ope/types';
import { opeOfPriorPolicy, opeOnFiles } from '../pipeline/ope-file';
import { CliError, type CliCommand } from './command';

interface Opts {
  logs: string;
  actionDist?: string;
  prior?: string;
  campaign?: string;
  nSim?: string;
  estimatedRewards?: string;
  estimators?: string;
  lambda?: string;
  bootstrap?: string;
  alpha?: string;
  seed?: string;
  json?: boolean;
  rowIndex?: string;
}

function parseNumber(name: string, v: string | undefined, check: (n: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (name === '--lambda' && /^(inf|infinity)$/i.test(v)) return Infinity;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new CliError(`${name} must be ${what}, got ${JSON.stringify(v)}`);
  return n;
}

function print(result: { estimates: Estimate[] }, header: string, json?: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  process.stdout.write(`${header}\n`);
  process.stdout.write(`${'estimator'.padEnd(10)} ${'value'.padStart(10)} ${'95% CI'.padStart(23)}\n`);
  for (const e of result.estimates) process.stdout.write(`${e.estimator.padEnd(10)} ${fmt(e.value).padStart(10)} ${`[${fmt(e.ci?.lower)}, ${fmt(e.ci?.upper)}]`.padStart(23)}\n`);
  const resamples = result.estimates.find((e) => e.ci)?.ciResamples;
  if (resamples === 'rows+model') process.stdout.write('intervals: rows resampled, reward model refitted in every replicate\n');
  else if (resamples === 'rows') process.stdout.write('intervals: rows resampled with the reward model held fixed (DM-family intervals omit the model\'s own uncertainty)\n');
}

const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(6));

export const opeCommand: CliCommand = {
  register(program: Command) {
    program
      .command('ope')
      .description("off-policy evaluation of a policy given as obp's action_dist (rows × items × slots) on OBD-shaped logs")
      .requiredOption('--logs <file>', 'logs: CSV or Parquet with item_id, position (1..slots), click, propensity_score')
      .option('--action-dist <file>', "the evaluation policy's action probabilities (rows, items, slots) as .npy or JSON")
      .option('--prior <file>', 'instead of --action-dist: a Bernoulli Thompson policy by its Beta prior (zozotown_prior_bts.json shape), evaluated on cells of the logs (scales to any size)')
      .option('--campaign <name>', 'with --prior: the campaign entry of the prior file', 'all')
      .option('--n-sim <n>', "with --prior: simulations of the policy's action distribution", '100000')
      .option('--estimated-rewards <file>', 'q̂ of the DM-family estimators, same shape (default: a cross-fitted per-(item, slot) click rate)')
      .option('--estimators <list>', `comma-separated subset of ${ESTIMATORS.join(',')}`, ESTIMATORS.join(','))
      .option('--lambda <L>', 'clipping threshold of IPW/DR, switching threshold of Switch-DR (default inf)')
      .option('--bootstrap <B>', 'bootstrap replicates for the 95% intervals (0: none)', '1000')
      .option('--alpha <a>', 'significance level of the intervals', '0.05')
      .option('--seed <n>', 'seed of the bootstrap', '0')
      .option('--row-index <column>', 'with --action-dist: the logs column giving each row its index in action_dist (distinct integers 0..n-1); default: rows in timestamp order, ties in file order')
      .option('--json', 'print JSON')
      .action(async (o: Opts) => {
        const names = (o.estimators ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
        for (const n of names) if (!isEstimatorName(n)) throw new CliError(`unknown estimator ${JSON.stringify(n)} (known: ${ESTIMATORS.join(', ')})`);
        if (names.length === 0) throw new CliError('--estimators is empty');
        if ((o.actionDist === undefined) === (o.prior === undefined)) throw new CliError('give the policy as --action-dist FILE or --prior FILE (one of them)');
        if (o.prior) {
          if (o.estimatedRewards) throw new CliError('--estimated-rewards goes with --action-dist (with --prior the reward model is cross-fitted from the logs)');
          const r = await opeOfPriorPolicy({
            logs: o.logs,
            priorPath: o.prior,
            campaign: o.campaign ?? 'all',
            nSim: parseNumber('--n-sim', o.nSim, (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1'),
            estimators: names as EstimatorName[],
            lambda: parseNumber('--lambda', o.lambda, (n) => n >= 0, 'a number >= 0 or inf'),
            bootstrap: parseNumber('--bootstrap', o.bootstrap, (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0'),
            alpha: parseNumber('--alpha', o.alpha, (n) => n > 0 && n < 1, 'in (0, 1)'),
            seed: parseNumber('--seed', o.seed, () => true, 'a number'),
          });
          print(r, `rows ${r.rows} in ${r.cells} cells, items ${r.items}, n_sim ${r.nSim}, λ ${r.lambda ?? '∞'}, reward model: ${r.rewardModel}`, o.json);
          return;
        }
        const result = await opeOnFiles({
          logs: o.logs,
          actionDist: o.actionDist as string,
          estimatedRewards: o.estimatedRewards,
          estimators: names as EstimatorName[],
          lambda: parseNumber('--lambda', o.lambda, (n) => n >= 0, 'a number >= 0 or inf'),
          bootstrap: parseNumber('--bootstrap', o.bootstrap, (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0'),
          alpha: parseNumber('--alpha', o.alpha, (n) => n > 0 && n < 1, 'in (0, 1)'),
          seed: parseNumber('--seed', o.seed, () => true, 'a number'),
          rowIndex: o.rowIndex,
        });
        print(result, `rows ${result.rows}, items ${result.items}, slots ${result.lenList}, λ ${result.lambda ?? '∞'}, reward model: ${result.rewardModel}`, o.json);
      });
  },
};
