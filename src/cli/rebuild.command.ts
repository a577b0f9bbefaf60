import type { Command } from 'commander';
import { loadConfig } from '../config/config';
import { evaluateStopping } from '../experiments/stopping/stopping-evaluator';
import { CliError, type CliCommand } from './command';
import { openCliServices } from './services';

export const rebuildCommand: CliCommand = {
  register(program: Command) {
    program
      .command('rebuild')
      .description('recompute posteriors in Dragonfly from the event log: α = α₀ + Σ reward, β = β₀ + Σ (1 − reward)')
      .option('--experiment <id>', 'the experiment to rebuild')
      .option('--all', 'every experiment')
      .option('--check', 'compare with the live state without writing; exit 1 when they differ')
      .action(async (opts: { experiment?: string; all?: boolean; check?: boolean }) => {
        if (!opts.experiment && !opts.all) throw new CliError('name an experiment with --experiment <id>, or pass --all');
        const config = loadConfig();
        if (!config.redis) {
          throw new CliError('no Dragonfly configured (DRAGONFLY_HOST or BANDIT_REDIS_URL): the in-process store lives inside `bandit serve`, which rebuilds it from the events at every start');
        }
        // the server's own wiring (src/app/composition.ts), on the configured stores
        const services = await openCliServices(config, 'rebuild');
        const { store, experimentRepository: repo, experiments } = services;
        try {
          const ids = opts.all ? await repo.ids() : [opts.experiment as string];
          let differs = false;
          for (const id of ids) {
            const def = await repo.find(id);
            if (!def) throw new CliError(`experiment ${JSON.stringify(id)} does not exist`);
            const live = await store.readCounters(id, def.definition.arms.length);
            const report = opts.check ? await experiments.recompute(id) : await experiments.rebuild(id, 'overwrite');
            process.stdout.write(`${id}: ${report.selects} select and ${report.rewards} reward events${opts.check ? '' : ' → written'}\n`);
            def.definition.arms.forEach((name, k) => {
              const was = live ? `  (live α=${live.alpha[k]} β=${live.beta[k]})` : '  (live state missing)';
              if (!live || live.alpha[k] !== report.alpha[k] || live.beta[k] !== report.beta[k]) differs = true;
              process.stdout.write(`  ${name}: α=${report.alpha[k]} β=${report.beta[k]}${was}\n`);
            });
            // the stopping rule on the rebuilt posteriors, by the service's own evaluator
            const ev = evaluateStopping(def.definition, report, { at: new Date(), createdAt: def.createdAt });
            process.stdout.write(`  stopping rule on these posteriors: ${ev.verdict.status} (${ev.verdict.reasons.join('; ')})\n`);
          }
          if (opts.check && differs) {
            process.stdout.write('the live state differs from the events (events may still be queued, or the state was lost)\n');
            process.exitCode = 1;
          }
        } finally {
          await services.close();
        }
      });
  },
};
