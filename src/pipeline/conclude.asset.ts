/**
 * conclude: the core's stopping rule (P(best) and expected loss, after a minimum sample
 * per arm) on (a) the replay posteriors of each campaign (arms = items, experiment id
 * `replay-<campaign>`) and (b) the live experiments of the event store. Every decision is
 * recorded in the event store (`decisions` + `posterior_snapshots`) and the silver layer.
 * Recording a decision does not end a live experiment: the service does that
 * (`POST /experiments/:id/conclude` or its automatic evaluation).
 */
import { DEFAULT_STOPPING, evaluateStoppingRule, type StoppingConfig, type StoppingDecision } from '../core/stopping-rule';
import { summarizeArms } from '../core/summary';
import { putJson, type ObjectStore } from '../storage';
import type { AssetContext } from './asset-graph';
import type { DecisionArm, DecisionStore } from './decision-store';
import { keys } from './layout';
import { requireOpe } from './ope.asset';
import { requireReplay } from './replay.asset';

export interface ConcludedExperiment {
  experimentId: string;
  source: 'replay' | 'live';
  status: StoppingDecision['status'];
  winner: string | null;
  leader: string;
  probBestOfLeader: number;
  expectedLossOfLeader: number;
  reasons: string[];
  thresholds: StoppingConfig;
  totalSamples: number;
  decisionRecordId: number;
}

export interface ConcludeResult {
  decisions: ConcludedExperiment[];
  /** OPE context: per campaign, DR's estimate of our sampler and of the BTS policy. */
  ope: Array<{ campaign: string; oursDr: number | null; btsDr: number | null; btsOnPolicyCtr: number | null }>;
}

async function decide(store: DecisionStore, id: string, source: 'replay' | 'live', arms: DecisionArm[], stopping: StoppingConfig, exhausted: boolean, now: Date): Promise<ConcludedExperiment> {
  const decision = evaluateStoppingRule(
    arms.map((a) => ({ name: a.name, alpha: a.alpha, beta: a.beta, pulls: a.pulls })),
    stopping,
    { exhausted },
  );
  const summaries = summarizeArms(arms);
  const recordId = await store.record({ experimentId: id, decision, arms, summaries, at: now });
  return {
    experimentId: id,
    source,
    status: decision.status,
    winner: decision.status === 'winner' ? (decision.winnerName ?? null) : null,
    leader: decision.leaderName,
    probBestOfLeader: decision.probBest[decision.leader],
    expectedLossOfLeader: decision.expectedLoss[decision.leader],
    reasons: decision.reasons,
    thresholds: decision.thresholds,
    totalSamples: decision.totalSamples,
    decisionRecordId: recordId,
  };
}

export async function runConclude(
  objects: ObjectStore,
  decisions: DecisionStore,
  ctx: AssetContext,
  o: { experiments?: readonly string[]; stopping?: StoppingConfig; now: Date },
): Promise<ConcludeResult> {
  const replays = await requireReplay(objects);
  const ope = await requireOpe(objects);
  const stopping = o.stopping ?? DEFAULT_STOPPING;
  const out: ConcludedExperiment[] = [];
  for (const r of replays) {
    const arms: DecisionArm[] = r.alpha.map((alpha, k) => {
      const rewards = alpha - r.prior.alpha[k];
      const pulls = Math.round(rewards + r.beta[k] - r.prior.beta[k]);
      return { name: `item-${k}`, alpha, beta: r.beta[k], pulls, rewards };
    });
    out.push(await decide(decisions, `replay-${r.campaign}`, 'replay', arms, stopping, false, o.now));
  }
  const live = await decisions.liveExperiments(o.experiments);
  ctx.progress(0, live.length, 'live experiments');
  for (const [i, e] of live.entries()) {
    out.push(await decide(decisions, e.id, 'live', e.arms, e.stopping, e.exhausted, o.now));
    ctx.progress(i + 1, live.length, 'live experiments');
  }
  for (const d of out) ctx.log.info(`${d.experimentId}: ${d.status}${d.winner ? ` (${d.winner})` : ''}, leader ${d.leader} P(best) ${d.probBestOfLeader.toFixed(4)}, expected loss ${d.expectedLossOfLeader.toExponential(2)}`);
  const dr = (e: (typeof ope)[number], policy: 'ours' | 'bts') => e.evaluations.find((v) => v.policy === policy)?.estimates.find((x) => x.estimator === 'dr')?.value ?? null;
  const result: ConcludeResult = { decisions: out, ope: ope.map((e) => ({ campaign: e.campaign, oursDr: dr(e, 'ours'), btsDr: dr(e, 'bts'), btsOnPolicyCtr: e.btsOnPolicyCtr })) };
  await putJson(objects, keys.decision(), { at: o.now.toISOString(), ...result });
  return result;
}
