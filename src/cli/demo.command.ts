import { randomInt } from 'node:crypto';
import * as path from 'node:path';
import type { Command } from 'commander';
import { assertStoppingConfig, createRng, DEFAULT_STOPPING, type AllocationPolicy, type StoppingConfig } from '../core';
import { createProgressGroup } from '../common/progress';
import { loadConfig } from '../config/config';
import { InProcessBanditClient, type BanditClient } from '../demo/bandit-client';
import { startDemoService, type DemoService } from '../demo/http-client';
import { buildReport, formatReport, writePlots } from '../demo/report';
import { runSimulation, type TrueArm } from '../demo/simulation';
import { CliError, type CliCommand } from './command';

interface DemoOptions {
  seed?: string;
  arms: string;
  ctr: string;
  maxSamples: string;
  checkEvery: string;
  algorithm: string;
  topTwoBeta: string;
  probBest?: string;
  expectedLoss?: string;
  minSamples?: string;
  out?: string;
  json?: boolean;
  quiet?: boolean;
  inProcess?: boolean;
  window?: string;
}

const DEFAULT_ARMS = 'control,variant-a,variant-b,variant-c';
const DEFAULT_CTR = '0.04,0.05,0.07,0.045';

function number(name: string, raw: string, check: (v: number) => boolean, what: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || !check(v)) throw new CliError(`${name} must be ${what}, got ${JSON.stringify(raw)}`);
  return v;
}

/** Parses the demo's arms and true rates (3–5 … any count ≥ 2 is allowed). */
export function parseDemoArms(armsRaw: string, ctrRaw: string): TrueArm[] {
  const rates = ctrRaw.split(',').map((s) => number('--ctr', s, (v) => v >= 0 && v <= 1, 'click rates in [0, 1] separated by commas'));
  const names = armsRaw === DEFAULT_ARMS && rates.length !== 4 ? rates.map((_, i) => (i === 0 ? 'control' : `variant-${String.fromCharCode(96 + i)}`)) : armsRaw.split(',').map((s) => s.trim());
  if (rates.length < 2) throw new CliError(`--ctr needs at least 2 click rates, got ${rates.length}`);
  if (names.length !== rates.length) throw new CliError(`--arms has ${names.length} names but --ctr has ${rates.length} rates`);
  if (names.some((n) => n === '')) throw new CliError('--arms: arm names must be non-empty');
  if (new Set(names).size !== names.length) throw new CliError('--arms: arm names must be distinct');
  return names.map((name, i) => ({ name, rate: rates[i] }));
}

export const demoCommand: CliCommand = {
  register(program: Command) {
    program
      .command('demo')
      .description('simulate an experiment with known click rates: Thompson sampling until the stopping rule declares a winner; prints the results and writes plots')
      .option('--seed <seed>', 'seed for a reproducible run (default: random, printed)')
      .option('--arms <names>', 'arm names, comma-separated', DEFAULT_ARMS)
      .option('--ctr <rates>', 'true click rate of each arm, comma-separated', DEFAULT_CTR)
      .option('--max-samples <n>', 'stop without a winner after this many visitors', '200000')
      .option('--check-every <n>', 'evaluate the stopping rule every n visitors', '100')
      .option('--algorithm <name>', 'thompson or top_two', 'thompson')
      .option('--top-two-beta <p>', 'top-two: probability of serving the sampled leader', '0.5')
      .option('--prob-best <p>', `stopping: minimum P(best) of the winner (default ${DEFAULT_STOPPING.probBest})`)
      .option('--expected-loss <x>', `stopping: maximum expected loss of the winner (default ${DEFAULT_STOPPING.expectedLoss})`)
      .option('--min-samples <n>', `stopping: minimum observations per arm, served equally first (default ${DEFAULT_STOPPING.minSamplesPerArm})`)
      .option('--out <dir>', 'folder for the plots (default $BANDIT_DATA_DIR/demo)')
      .option('--json', 'print the report as JSON')
      .option('--quiet', 'no progress output')
      .option('--window <seconds>', 'conversion window: visitors report clicks only, an assignment without a click counts 0 when its window closes')
      .option('--in-process', 'run on the numeric core directly instead of through bandit-service started in this process')
      .action(async (opts: DemoOptions) => {
        const arms = parseDemoArms(opts.arms, opts.ctr);
        const seed = opts.seed ?? String(randomInt(1, 2 ** 31));
        const maxSamples = number('--max-samples', opts.maxSamples, (v) => Number.isInteger(v) && v >= 1 && v <= 1e8, 'an integer in [1, 1e8]');
        const checkEvery = number('--check-every', opts.checkEvery, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
        if (opts.algorithm !== 'thompson' && opts.algorithm !== 'top_two') throw new CliError(`--algorithm must be thompson or top_two, got ${JSON.stringify(opts.algorithm)}`);
        const policy: AllocationPolicy = { algorithm: opts.algorithm, topTwoBeta: number('--top-two-beta', opts.topTwoBeta, (v) => v >= 0 && v <= 1, 'a probability in [0, 1]') };
        const stopping: StoppingConfig = {
          ...DEFAULT_STOPPING,
          probBest: opts.probBest === undefined ? DEFAULT_STOPPING.probBest : number('--prob-best', opts.probBest, () => true, 'a number'),
          expectedLoss: opts.expectedLoss === undefined ? DEFAULT_STOPPING.expectedLoss : number('--expected-loss', opts.expectedLoss, () => true, 'a number'),
          minSamplesPerArm: opts.minSamples === undefined ? DEFAULT_STOPPING.minSamplesPerArm : number('--min-samples', opts.minSamples, () => true, 'a number'),
        };
        try {
          assertStoppingConfig(stopping);
        } catch (err) {
          throw new CliError(`stopping: ${(err as Error).message}`);
        }
        const window = opts.window === undefined ? undefined : number('--window', opts.window, (v) => Number.isInteger(v) && v >= 1 && v <= 3600, 'an integer number of seconds in [1, 3600]');
        if (window !== undefined && opts.inProcess) throw new CliError('--window needs the service (conversion windows are closed by it): drop --in-process');
        const outDir = opts.out ? path.resolve(opts.out) : path.join(loadConfig().dataDir, 'demo');

        // by default the traffic goes through the real service (embedded defaults, free port)
        const service: DemoService | undefined = opts.inProcess
          ? undefined
          : await startDemoService(loadConfig(), { arms: arms.map((a) => a.name), policy, stopping, seed, conversionWindowSeconds: window });
        // in process, the burn-in the service applies: equal shares until every arm has the minimum sample
        const client: BanditClient =
          service?.client ?? new InProcessBanditClient(arms.map((a) => a.name), { policy: { ...policy, burnIn: stopping.minSamplesPerArm }, rng: createRng(`${seed}:policy`) });
        if (service && !opts.quiet) process.stderr.write(`bandit-service (in-process store, SQLite in ${loadConfig().dataDir}) at ${service.url}\n`);
        const progress = createProgressGroup({ silent: opts.quiet });
        const task = progress.task('demo', maxSamples);
        const result = await runSimulation({
          client,
          arms,
          rng: createRng(`${seed}:visitors`),
          stopping,
          maxSamples,
          checkEvery,
          onlyClicks: window !== undefined,
          onCheck: (n, d) => task.update(n, `leader ${d.leaderName} P(best) ${d.probBest[d.leader].toFixed(3)}`),
        }).finally(() => service?.close());
        task.done(result.verdict.verdict === 'winner' ? `winner ${result.verdict.winnerName}` : result.verdict.verdict === 'no_meaningful_difference' ? 'no meaningful difference' : 'no winner');
        progress.stop();
        const plots = writePlots(outDir, arms, result);
        const report = buildReport(seed, arms, result, plots);
        process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
      });
  },
};
