/**
 * conclude: the core's stopping rule (P(best) and expected loss, after a minimum sample
 * per arm) on (a) the replay posteriors of each campaign (arms = items, experiment id
 * `replay-<campaign>`) and (b) the live experiments of the event store. Every verdict is
 * recorded in the event store (`verdicts` + `posterior_snapshots`) and the silver layer.
 * The rule is applied by the one stopping evaluator (src/experiments/stopping), so a live
 * experiment gets the verdict the service would give on the same events. On a live
 * experiment the verdict is advice (trigger `pipeline`): it does not end the experiment and
 * is never shown as its verdict — the service ends it (`POST /experiments/:id/conclude` or
 * its automatic evaluation).
 */
import { DEFAULT_STOPPING, type StoppingConfig, type StoppingVerdict } from '../core/stopping-rule';
import { evaluateStopping, observationsOf, type StoppingDefinition } from '../experiments/stopping/stopping-evaluator';
import type { ArmCounters } from '../posterior-store/posterior-store';
import { putJson, type ObjectStore } from '../object-store';
import type { AssetContext } from './asset-graph';
import type { VerdictStore } from './verdict-store';
import { keys } from './layout';
import { requireOpe } from './ope.asset';
import { requireReplay } from './replay.asset';

export interface ConcludedExperiment {
  experimentId: string;
  source: 'replay' | 'live';
  /** verdict: the replay's own result; advice: a live experiment's, which only the service ends. */
  kind: 'verdict' | 'advice';
  status: StoppingVerdict['status'];
  winner: string | null;
  leader: string;
  probBestOfLeader: number;
  expectedLossOfLeader: number;
  reasons: string[];
  thresholds: StoppingConfig;
  totalSamples: number;
  verdictId: number;
}

export interface ConcludeResult {
  verdicts: ConcludedExperiment[];
  /** OPE context: per campaign, DR's estimate of our sampler and of the BTS policy. */
  ope: Array<{ campaign: string; oursDr: number | null; btsDr: number | null; btsOnPolicyCtr: number | null }>;
}

/** The one stopping evaluator (src/experiments/stopping) on these counters, recorded in the event store. */
async function decide(store: VerdictStore, id: string, source: 'replay' | 'live', def: StoppingDefinition, counters: ArmCounters, createdAt: Date | null, now: Date): Promise<ConcludedExperiment> {
  const evaluation = evaluateStopping(def, counters, { at: now, createdAt });
  const verdict = evaluation.verdict;
  const recordId = await store.record({ experimentId: id, definition: def, counters, evaluation });
  return {
    experimentId: id,
    source,
    kind: source === 'live' ? 'advice' : 'verdict',
    status: verdict.status,
    winner: verdict.status === 'winner' ? (verdict.winnerName ?? null) : null,
    leader: verdict.leaderName,
    probBestOfLeader: verdict.probBest[verdict.leader],
    expectedLossOfLeader: verdict.expectedLoss[verdict.leader],
    reasons: verdict.reasons,
    thresholds: verdict.thresholds,
    totalSamples: verdict.totalSamples,
    verdictId: recordId,
  };
}

/** The stopping rule on the live experiments of the event store (all running ones, or the given ids). */
export async function concludeLive(verdicts: VerdictStore, ctx: Pick<AssetContext, 'progress'>, o: { experiments?: readonly string[]; now: Date }): Promise<ConcludedExperiment[]> {
  const live = await verdicts.liveExperiments(o.experiments);
  const out: ConcludedExperiment[] = [];
  ctx.progress(0, live.length, 'live experiments');
  for (const [i, e] of live.entries()) {
    out.push(await decide(verdicts, e.id, 'live', e.definition, e.counters, e.createdAt, o.now));
    ctx.progress(i + 1, live.length, 'live experiments');
  }
  return out;
}

export async function runConclude(
  objects: ObjectStore,
  verdicts: VerdictStore,
  ctx: AssetContext,
  o: { experiments?: readonly string[]; stopping?: StoppingConfig; now: Date },
): Promise<ConcludeResult> {
  const replays = await requireReplay(objects);
  const ope = await requireOpe(objects);
  const stopping = o.stopping ?? DEFAULT_STOPPING;
  const out: ConcludedExperiment[] = [];
  for (const r of replays) {
    // a replay's posteriors: every replayed assignment was observed, so assignments = observations
    const prior = r.alpha.map((_, k) => ({ alpha: r.prior.alpha[k], beta: r.prior.beta[k] }));
    const def: StoppingDefinition = { arms: r.alpha.map((_, k) => `item-${k}`), prior, stopping: { ...stopping, maxDurationHours: null } };
    const observations = observationsOf(prior, r);
    const counters: ArmCounters = { alpha: [...r.alpha], beta: [...r.beta], assignments: observations, rewards: r.alpha.map((a, k) => a - prior[k].alpha) };
    out.push(await decide(verdicts, `replay-${r.campaign}`, 'replay', def, counters, null, o.now));
  }
  out.push(...(await concludeLive(verdicts, ctx, o)));
  for (const d of out) ctx.log.info(`${d.experimentId}: ${d.status}${d.winner ? ` (${d.winner})` : ''}, leader ${d.leader} P(best) ${d.probBestOfLeader.toFixed(4)}, expected loss ${d.expectedLossOfLeader.toExponential(2)}`);
  const dr = (e: (typeof ope)[number], policy: 'ours' | 'bts') => e.evaluations.find((v) => v.policy === policy)?.estimates.find((x) => x.estimator === 'dr')?.value ?? null;
  const result: ConcludeResult = { verdicts: out, ope: ope.map((e) => ({ campaign: e.campaign, oursDr: dr(e, 'ours'), btsDr: dr(e, 'bts'), btsOnPolicyCtr: e.btsOnPolicyCtr })) };
  await putJson(objects, keys.verdicts(), { at: o.now.toISOString(), ...result });
  return result;
}
