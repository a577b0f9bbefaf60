import type { Command } from 'commander';
import { createRng } from '../core';
import { createProgressGroup } from '../common/progress';
import { CliError, type CliCommand } from './command';

interface SimulateOptions {
  url: string;
  experiment: string;
  ctr: string;
  requests: string;
  concurrency: string;
  token?: string;
  create?: boolean;
  seed: string;
}

function parseList(raw: string): number[] {
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.length < 2 || values.some((v) => !Number.isFinite(v) || v < 0 || v > 1)) {
    throw new CliError(`--ctr must be at least two click rates in [0, 1] separated by commas, got ${JSON.stringify(raw)}`);
  }
  return values;
}

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

async function post(base: string, route: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(base + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { error: { code: 'not_json', message: text.slice(0, 200) } };
  }
  return { status: res.status, body: parsed };
}

export const simulateCommand: CliCommand = {
  register(program: Command) {
    program
      .command('simulate')
      .description('drive a running bandit-service with select + reward traffic from simulated click rates and summarize what it did')
      .requiredOption('--url <url>', 'base URL of the service, e.g. http://localhost:8000')
      .requiredOption('--experiment <id>', 'experiment to drive')
      .requiredOption('--ctr <rates>', 'true click rate per arm, comma separated, e.g. 0.04,0.05,0.06')
      .option('--requests <n>', 'number of select + reward pairs', '10000')
      .option('--concurrency <c>', 'requests in flight', '32')
      .option('--token <token>', 'admin bearer token (for --create)')
      .option('--create', 'create the experiment first (arms arm_0, arm_1, …) unless it exists')
      .option('--seed <seed>', 'seed of the simulated clicks', '1')
      .action(async (opts: SimulateOptions) => {
        let base: string;
        try {
          base = new URL(opts.url).toString().replace(/\/$/, '');
        } catch {
          throw new CliError(`--url is not a URL: ${JSON.stringify(opts.url)}`);
        }
        const rates = parseList(opts.ctr);
        const total = positiveInt('requests', opts.requests);
        const concurrency = positiveInt('concurrency', opts.concurrency);
        const rng = createRng(opts.seed);
        let reach: Response;
        try {
          reach = await fetch(`${base}/healthz`);
        } catch (err) {
          throw new CliError(`cannot reach ${base}: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (!reach.ok) throw new CliError(`${base}/healthz answered ${reach.status}`);
        if (opts.create) {
          const r = await post(base, '/experiments', { id: opts.experiment, arms: rates.map((_, k) => `arm_${k}`) }, opts.token);
          if (r.status !== 201 && r.status !== 409) throw new CliError(`creating ${opts.experiment} failed (${r.status}): ${JSON.stringify(r.body.error ?? r.body)}`);
        }
        const perArm = new Map<string, { index: number; served: number; clicks: number }>();
        const errors = new Map<string, number>();
        const noteError = (what: string, r: { status: number; body: Record<string, unknown> }) => {
          const code = (r.body.error as { code?: string } | undefined)?.code ?? 'unknown';
          const key = `${what} ${r.status} ${code}`;
          errors.set(key, (errors.get(key) ?? 0) + 1);
        };
        const progress = createProgressGroup();
        const bar = progress.task('simulate', total);
        let next = 0;
        const t0 = process.hrtime.bigint();
        await Promise.all(
          Array.from({ length: Math.min(concurrency, total) }, async () => {
            while (next < total) {
              next++;
              try {
                const sel = await post(base, '/select', { experiment_id: opts.experiment });
                if (sel.status !== 200) {
                  noteError('select', sel);
                  if (sel.status === 404 && next === 1) throw new CliError(`experiment ${opts.experiment} does not exist (pass --create)`);
                  continue;
                }
                const arm = String(sel.body.arm);
                const index = Number(sel.body.arm_index);
                if (!(index < rates.length)) throw new CliError(`the experiment has more arms than --ctr gives rates for (${rates.length})`);
                const click = rng.nextFloat() < rates[index] ? 1 : 0;
                const stat = perArm.get(arm) ?? { index, served: 0, clicks: 0 };
                stat.served++;
                stat.clicks += click;
                perArm.set(arm, stat);
                const rew = await post(base, '/reward', { decision_id: sel.body.decision_id, reward: click });
                if (rew.status !== 200) noteError('reward', rew);
              } catch (err) {
                if (err instanceof CliError) throw err;
                const key = `network ${err instanceof Error ? err.message : String(err)}`;
                errors.set(key, (errors.get(key) ?? 0) + 1);
              } finally {
                bar.increment();
              }
            }
          }),
        );
        bar.done(errors.size === 0 ? 'no errors' : `${[...errors.values()].reduce((a, b) => a + b, 0)} errors`);
        progress.stop();
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const out = process.stdout;
        out.write(`\n${total} select + reward pairs in ${seconds.toFixed(2)} s: ${(total / seconds).toFixed(0)} pairs/s, ${((2 * total) / seconds).toFixed(0)} requests/s, concurrency ${concurrency}\n`);
        out.write(`errors: ${errors.size === 0 ? 'none' : ''}\n`);
        for (const [k, n] of errors) out.write(`  ${k}: ${n}\n`);
        out.write('\narm          true ctr   served    share   clicks   observed ctr\n');
        const served = [...perArm.values()].reduce((a, b) => a + b.served, 0);
        for (const [name, s] of [...perArm].sort((a, b) => a[1].index - b[1].index)) {
          out.write(
            `${name.padEnd(12)} ${rates[s.index].toFixed(4).padStart(8)} ${String(s.served).padStart(8)} ${((100 * s.served) / Math.max(1, served)).toFixed(1).padStart(7)}% ${String(s.clicks).padStart(8)} ${(s.clicks / Math.max(1, s.served)).toFixed(4).padStart(14)}\n`,
          );
        }
        const view = await fetch(`${base}/experiments/${encodeURIComponent(opts.experiment)}`).then((r) => r.json() as Promise<{ status?: string; winner?: { name: string } | null; arms?: Array<{ name: string; probBest: number; mean: number }> }>);
        if (view.status) {
          out.write(`\nexperiment ${opts.experiment}: ${view.status}${view.winner ? `, winner ${view.winner.name}` : ''}\n`);
          for (const a of view.arms ?? []) out.write(`  ${a.name.padEnd(12)} posterior mean ${a.mean.toFixed(4)}  P(best) ${a.probBest.toFixed(4)}\n`);
        }
        if (errors.size > 0) process.exitCode = 1;
      });
  },
};
