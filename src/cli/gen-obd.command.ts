import type { Command } from 'commander';
import { genObd } from '../pipeline/gen-obd';
import { cliAssetContext } from '../pipeline/cli-context';
import { CliError, type CliCommand } from './command';

const int = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new CliError(`${name} must be an integer, got ${JSON.stringify(v)}`);
  return n;
};

export const genObdCommand: CliCommand = {
  register(program: Command) {
    program
      .command('gen-obd')
      .description('write Open Bandit Dataset-shaped logs (random and bts behaviors) with known per-item click rates')
      .requiredOption('--rows <n>', 'rows per behavior log')
      .option('--items <k>', 'number of items', '80')
      .option('--seed <s>', 'seed', '0')
      .requiredOption('--out <dir>', 'output folder (an OBD folder: <behavior>/<campaign>/…)')
      .option('--campaign <name>', 'campaign name', 'all')
      .option('--behaviors <list>', 'comma-separated: random,bts', 'random,bts')
      .option('--format <fmt>', 'csv (OBD format) or parquet (for scale tests: `bandit ope --logs FILE.parquet --prior …`)', 'csv')
      .option('--json', 'print the ground truth as JSON')
      .action(async (o: { rows: string; items: string; seed: string; out: string; campaign: string; behaviors: string; format: string; json?: boolean }) => {
        const behaviors = o.behaviors.split(',').map((s) => s.trim());
        for (const b of behaviors) if (b !== 'random' && b !== 'bts') throw new CliError(`unknown behavior ${JSON.stringify(b)} (random, bts)`);
        if (o.format !== 'csv' && o.format !== 'parquet') throw new CliError(`--format must be csv or parquet, got ${JSON.stringify(o.format)}`);
        if (!/^[a-z0-9_-]+$/.test(o.campaign)) throw new CliError(`invalid campaign name ${JSON.stringify(o.campaign)}`);
        const ctx = cliAssetContext('gen-obd', { quiet: o.json });
        const truth = await genObd(
          { rows: int('--rows', o.rows), items: int('--items', o.items), seed: int('--seed', o.seed), out: o.out, campaign: o.campaign, behaviors: behaviors as Array<'random' | 'bts'>, format: o.format },
          ctx,
        );
        ctx.finish();
        if (o.json) process.stdout.write(JSON.stringify(truth, null, 2) + '\n');
        else process.stdout.write(`wrote ${truth.rows} rows per behavior, ${truth.items} items to ${o.out} (expected CTR: random ${truth.randomCtr.toFixed(5)}, bts ${truth.btsCtr.toFixed(5)})\n`);
      });
  },
};
