import * as fs from 'node:fs';
import type { Command } from 'commander';
import { assertStoppingConfig, DEFAULT_STOPPING, evaluateStoppingRule, summarizeArms, type ArmState, type StoppingConfig } from '../core';
import { armCountProblem, betaParamProblem, describeValue } from '../core/limits';
import { formatTable } from '../demo/report';
import { CliError, type CliCommand } from './command';

/**
 * `bandit stats [FILE]`: posterior summaries and the stopping rule's verdict for a set of arms.
 *
 * Input (FILE, or stdin when FILE is absent or "-"):
 *   {"arms": [{"name": "control", "alpha": 12, "beta": 988, "observations": 998}, …],
 *    "stopping": {"probBest": 0.95, "expectedLoss": 0.001, "minSamplesPerArm": 100, "maxSamples": 50000}}
 * `observations` (rewards counted) is optional: without it an arm counts α + β − 2 (the
 * observations of a Beta(1, 1) prior), rounded down and at least 0. `pulls` is accepted as
 * its earlier name. `stopping` is optional; given fields
 * replace the defaults.
 *
 * Range (src/core/limits.ts, shared with the API and the core): 2 to 100 arms; α, β finite,
 * > 0 and at most 1e9. Anything else is one line on stderr and exit code 2.
 */
export interface StatsInput {
  arms: ArmState[];
  stopping: StoppingConfig;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and validates the input document; throws CliError naming the first problem. */
export function parseStatsInput(text: string, source: string): StatsInput {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new CliError(`${source}: expected a JSON object with an "arms" array`);
  if (!('arms' in doc)) throw new CliError(`${source}: missing field "arms"`);
  if (!Array.isArray(doc.arms)) throw new CliError(`${source}: "arms" must be an array`);
  const countProblem = armCountProblem(doc.arms.length, 2);
  if (countProblem !== undefined) throw new CliError(`${source}: ${countProblem}`);
  const seen = new Set<string>();
  const arms = doc.arms.map((raw: unknown, i: number): ArmState => {
    const where = `arms[${i}]`;
    if (!isObject(raw)) throw new CliError(`${source}: ${where} must be an object {"name", "alpha", "beta"}`);
    for (const field of ['name', 'alpha', 'beta']) if (!(field in raw)) throw new CliError(`${source}: ${where} is missing field "${field}"`);
    const { name, alpha, beta } = raw;
    if ('observations' in raw && 'pulls' in raw) throw new CliError(`${source}: ${where} has both "observations" and "pulls" (its earlier name); give one`);
    const field = 'pulls' in raw ? 'pulls' : 'observations';
    const given = raw[field];
    if (typeof name !== 'string' || name.trim() === '') throw new CliError(`${source}: ${where}.name must be a non-empty string`);
    if (seen.has(name)) throw new CliError(`${source}: duplicate arm name "${name}"`);
    seen.add(name);
    for (const [field, v] of [
      ['alpha', alpha],
      ['beta', beta],
    ] as const) {
      const problem = betaParamProblem(v);
      if (problem !== undefined) throw new CliError(`${source}: ${where}.${field} (arm "${name}") ${problem}`);
    }
    let n: number;
    if (given === undefined) n = Math.max(0, Math.floor((alpha as number) + (beta as number) - 2));
    else if (typeof given !== 'number' || !Number.isInteger(given) || given < 0) throw new CliError(`${source}: ${where}.${field} (arm "${name}") must be an integer >= 0, got ${describeValue(given)}`);
    else n = given;
    return { name, alpha: alpha as number, beta: beta as number, observations: n };
  });
  let stopping: StoppingConfig = { ...DEFAULT_STOPPING };
  if (doc.stopping !== undefined) {
    if (!isObject(doc.stopping)) throw new CliError(`${source}: "stopping" must be an object`);
    const known = ['probBest', 'expectedLoss', 'minSamplesPerArm', 'maxSamples', 'expectedLossRelative', 'rope', 'probEquivalent', 'baselineRate'];
    const unknown = Object.keys(doc.stopping).filter((k) => !known.includes(k));
    if (unknown.length) throw new CliError(`${source}: unknown field stopping.${unknown[0]} (expected ${known.join(', ')})`);
    stopping = { ...stopping, ...(doc.stopping as Partial<StoppingConfig>) };
    try {
      assertStoppingConfig(stopping);
    } catch (err) {
      throw new CliError(`${source}: stopping.${(err as Error).message}`);
    }
  }
  return { arms, stopping };
}

function readInput(file: string | undefined): { text: string; source: string } {
  const fromStdin = file === undefined || file === '-';
  try {
    return { text: fs.readFileSync(fromStdin ? 0 : file, 'utf8'), source: fromStdin ? 'stdin' : file };
  } catch (err) {
    throw new CliError(`cannot read ${fromStdin ? 'stdin' : file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

const pct = (x: number) => `${(100 * x).toFixed(3)}%`;

export const statsCommand: CliCommand = {
  register(program: Command) {
    program
      .command('stats')
      .description('posterior summaries (mean, 95% interval, P(best), expected loss) and the stopping rule’s verdict for Beta arms')
      .argument('[file]', 'JSON {"arms":[{"name","alpha","beta","observations?"}],"stopping?":{…}}; stdin when absent or -')
      .option('--json', 'print JSON instead of a table')
      .action((file: string | undefined, opts: { json?: boolean }) => {
        const { text, source } = readInput(file);
        const { arms, stopping } = parseStatsInput(text, source);
        const summaries = summarizeArms(arms);
        const result = evaluateStoppingRule(arms, stopping);
        if (opts.json) {
          const out = {
            arms: arms.map((a, k) => ({ name: a.name, mean: summaries[k].mean, ci95: summaries[k].ci95, probBest: summaries[k].probBest, expectedLoss: summaries[k].expectedLoss, observations: a.observations })),
            verdict: { status: result.status, verdict: result.verdict, reason: result.reason, winner: result.winnerName ?? null, leader: result.leaderName, reasons: result.reasons, thresholds: result.thresholds, totalSamples: result.totalSamples },
          };
          // deprecated: the earlier names of `verdict` and of an arm's `observations`, same values
          const compatible = { ...out, arms: out.arms.map((a) => ({ ...a, pulls: a.observations })), decision: out.verdict };
          process.stdout.write(JSON.stringify(compatible, null, 2) + '\n');
          return;
        }
        const table = formatTable(
          ['arm', 'observations', 'mean', '95% interval', 'P(best)', 'expected loss'],
          arms.map((a, k) => [a.name, String(a.observations), pct(summaries[k].mean), `${pct(summaries[k].ci95[0])} – ${pct(summaries[k].ci95[1])}`, summaries[k].probBest.toFixed(6), summaries[k].expectedLoss.toExponential(3)]),
        );
        const verdict = result.status === 'winner' ? `winner: ${result.winnerName}` : result.status === 'no_winner' ? `no winner (leader: ${result.leaderName})` : `continue (leader: ${result.leaderName})`;
        process.stdout.write(`${table}\n\nverdict: ${verdict}\n${result.reason}\n${result.reasons.map((r) => `  - ${r}`).join('\n')}\n`);
      });
  },
};
