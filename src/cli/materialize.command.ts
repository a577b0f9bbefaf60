import type { Command } from 'commander';
import { loadConfig } from '../config/config';
import { ASSET_KEYS, isAssetKey, withUpstream, type AssetKey, type MetadataValue } from '../pipeline/asset-graph';
import { cliAssetContext, cliProgressGroup } from '../pipeline/cli-context';
import { createPipeline, type PipelineOptions } from '../pipeline';
import { CliError, type CliCommand } from './command';

interface Opts {
  all?: boolean;
  json?: boolean;
  obdPath?: string;
  seed?: string;
  bootstrap?: string;
  nSim?: string;
  prior?: string;
  btsPrior?: string;
  campaign?: string[];
  lambda?: string;
  folds?: string;
  experiment?: string[];
  quiet?: boolean;
}

const num = (name: string, v: string | undefined, integer: boolean, min: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) && !(name === '--lambda' && v === 'inf')) throw new CliError(`${name} must be a number, got ${JSON.stringify(v)}`);
  if (name === '--lambda' && v === 'inf') return Infinity;
  if (integer && !Number.isInteger(n)) throw new CliError(`${name} must be an integer, got ${v}`);
  if (n < min) throw new CliError(`${name} must be >= ${min}, got ${v}`);
  return n;
};

export function pipelineOptionsFrom(o: Opts): PipelineOptions {
  return {
    obdPath: o.obdPath,
    seed: num('--seed', o.seed, false, -Infinity),
    bootstrap: num('--bootstrap', o.bootstrap, true, 1),
    nSim: num('--n-sim', o.nSim, true, 1),
    priorPath: o.prior,
    btsPriorPath: o.btsPrior,
    campaigns: o.campaign,
    lambda: num('--lambda', o.lambda, false, 0),
    folds: num('--folds', o.folds, true, 1),
    experiments: o.experiment,
  };
}

function describeMetadata(md: Record<string, MetadataValue>): string[] {
  return Object.entries(md).map(([k, v]) => {
    if (v.type === 'md') return `  ${k}:\n${v.value.split('\n').map((l) => `    ${l}`).join('\n')}`;
    if (v.type === 'table_schema') return `  ${k}: ${v.value.map((c) => `${c.name} ${c.type}`).join(', ')}`;
    const val = v.type === 'float' ? (Number.isFinite(v.value) ? Number(v.value.toPrecision(6)) : v.value) : v.type === 'json' ? JSON.stringify(v.value) : v.value;
    return `  ${k}: ${String(val)}`;
  });
}

export const materializeCommand: CliCommand = {
  register(program: Command) {
    program
      .command('materialize')
      .description(`run pipeline assets (${ASSET_KEYS.join(', ')}) with their upstream assets, in order`)
      .argument('[assets...]', 'assets to materialize (their upstream assets run first)')
      .option('--all', 'materialize every asset')
      .option('--json', 'print one JSON object keyed by asset name')
      .option('--obd-path <dir>', 'Open Bandit Dataset folder (default BANDIT_OBD_PATH)')
      .option('--seed <n>', 'seed of the replay sampler, policy simulation and bootstrap (default 0)')
      .option('--bootstrap <B>', 'bootstrap replicates of the OPE intervals (default 1000)')
      .option('--n-sim <n>', "simulations of a Thompson sampler's action distribution (default 100000)")
      .option('--prior <file>', 'Beta prior of the replayed sampler (zozotown_prior_bts.json shape; default uniform)')
      .option('--bts-prior <file>', 'prior of the production BTS policy evaluated by ope (default: zozotown_prior_bts.json beside the OBD data)')
      .option('--campaign <name...>', 'restrict to these campaigns (all, men, women)')
      .option('--lambda <L>', 'λ of clipped IPW/DR and Switch-DR (default inf)')
      .option('--folds <K>', 'folds of the cross-fitted reward model (default 5)')
      .option('--experiment <id...>', 'conclude: live experiments to decide (default: every running one)')
      .option('--quiet', 'no progress output')
      .action(async (assets: string[], o: Opts) => {
        if (o.all && assets.length > 0) throw new CliError('give asset names or --all, not both');
        if (!o.all && assets.length === 0) throw new CliError(`name the assets to materialize (${ASSET_KEYS.join(', ')}) or pass --all`);
        for (const a of assets) if (!isAssetKey(a)) throw new CliError(`unknown asset ${JSON.stringify(a)} (assets: ${ASSET_KEYS.join(', ')})`);
        const options = pipelineOptionsFrom(o);
        const order = withUpstream(o.all ? [...ASSET_KEYS] : (assets as AssetKey[]));
        const pipeline = await createPipeline(loadConfig());
        const out: Record<string, unknown> = {};
        const abort = new AbortController();
        const onSignal = () => abort.abort();
        process.once('SIGINT', onSignal);
        const group = cliProgressGroup({ quiet: o.quiet });
        try {
          for (const key of order) {
            const ctx = cliAssetContext(key, { quiet: o.quiet, signal: abort.signal, group });
            try {
              const outcome = await pipeline.run(key, ctx, options);
              ctx.finish();
              out[key] = outcome.value;
              if (!o.json) process.stdout.write([`${key}: materialized`, ...describeMetadata(outcome.metadata)].join('\n') + '\n');
            } finally {
              ctx.finish();
            }
          }
        } finally {
          group.stop();
          process.off('SIGINT', onSignal);
          await pipeline.close();
        }
        if (o.json) process.stdout.write(JSON.stringify(out, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
      });
  },
};
