/**
 * The bandit as a Seldon Core v1 ROUTER. `/route` is a decision like `/select` (served by
 * ServingService, so it is logged with its exact propensity and counted in the shared
 * posterior); the reply names the child index. `/send-feedback` counts the reward of the
 * feedback once per feedback, through the same atomic paths as `/reward`.
 *
 * Which decision a feedback is about, in order (the exact path):
 *   1. the prediction's puid — `response.meta.puid`, the `Seldon-Puid` header,
 *      `request.meta.puid` — looked up in the puid index that `/route` filled (a route
 *      indexes both its header puid and its `meta.puid`);
 *   2. `response.meta.tags.decision_id` (our own route reply sent back as the response,
 *      e.g. by `SeldonClient.microservice_feedback`).
 * `response.meta.routing[<node>]` (the executor's routing injection) must agree with the
 * decision's arm; a disagreement is refused rather than credited to the wrong arm.
 *
 * When no decision matches but the feedback names the routed child in
 * `response.meta.routing[<node>]` — what Seldon's executor gives back with ordinary MODEL
 * children: it neither returns the puid nor copies the router's tags — the reward is
 * counted on that arm (the routed-arm path): a reward event without a decision, propensity
 * unknown, once per idempotency key (the decision id, else the prediction's puid, else the
 * feedback call's `Seldon-Puid`).
 *
 * Reward semantics: a missing `reward` is 0 (proto3 omits zero values); the reward must be
 * a number in [0, 1]; one route is one decision however many rows the request holds, and
 * its reward is read as the success fraction of those rows: α += r, β += 1 − r.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Counter } from 'prom-client';
import { BanditError, ErrorCode, invalidInput, notFound } from '../common/errors';
import { CONFIG } from '../app/tokens';
import type { Config } from '../config/config';
import { VERSION } from '../config/version';
import { ExperimentsService } from '../experiments/experiment.service';
import { MetricsService } from '../metrics/metrics.service';
import type { RewardResponse } from '../serving/serving.dto';
import { ServingService } from '../serving/serving.service';
import { POSTERIOR_STORE, type PosteriorStore } from '../posterior-store/posterior-store';
import type { FeedbackView, SeldonMessageView } from './seldon-message';
import { parseRouterParameters } from './seldon-parameters';
import { PUID_INDEX, type PuidDecision, type PuidIndex } from './puid-index';
import { feedbackReply, healthStatusReply, metadataReply, routeReply, type SeldonReply } from './seldon-reply';

export interface RouterSettings {
  experimentId: string;
  /** The graph node name (PREDICTIVE_UNIT_ID); the key of this router in `meta.routing`. */
  unitId: string;
  /** Whether the node name came from the operator (then `meta.routing` is checked against it). */
  unitIdKnown: boolean;
  /** The number of children in the graph (from the parameters; equals the experiment's arms). */
  children: number;
}

@Injectable()
export class SeldonRouterService implements OnModuleInit {
  private readonly log = new Logger('Seldon');
  private settings: RouterSettings | undefined;
  private readonly replays: Counter<'experiment'>;
  private readonly refused: Counter<'experiment' | 'reason'>;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(PUID_INDEX) private readonly puids: PuidIndex,
    @Inject(POSTERIOR_STORE) private readonly store: PosteriorStore,
    private readonly serving: ServingService,
    private readonly experiments: ExperimentsService,
    metrics: MetricsService,
  ) {
    this.replays = new Counter({
      name: 'bandit_seldon_route_replays_total',
      help: 'Seldon routes answered with the decision already bound to their puid (retries)',
      labelNames: ['experiment'],
      registers: [metrics.registry],
    });
    this.refused = new Counter({
      name: 'bandit_seldon_feedback_refused_total',
      help: 'Seldon feedback not counted: bad_reward, no_decision (no decision matched and no routed child named), routing_conflict',
      labelNames: ['experiment', 'reason'],
      registers: [metrics.registry],
    });
  }

  /** Router mode is on when the operator names the node (PREDICTIVE_UNIT_ID) or parameters are given. */
  async onModuleInit(): Promise<void> {
    const { unitId, parameters } = this.config.seldon;
    if (unitId === undefined && parameters === undefined) return;
    const p = parseRouterParameters(parameters, unitId);
    if (p.ignored.length > 0) this.log.warn(`parameters ${p.ignored.join(', ')} are accepted for compatibility with Seldon's Thompson router and not used`);
    await this.ensureExperiment(p.experimentId, p.arms, p.named);
    this.settings = { experimentId: p.experimentId, unitId: unitId ?? p.experimentId, unitIdKnown: unitId !== undefined, children: p.arms.length };
    this.log.log(`Seldon router ${this.settings.unitId} serves experiment ${JSON.stringify(p.experimentId)}`);
  }

  get router(): RouterSettings | undefined {
    return this.settings;
  }

  async route(message: SeldonMessageView, headerPuid?: string): Promise<SeldonReply> {
    const s = this.required();
    // the executor's Seldon-Puid header and the request's own meta.puid are both indexed, so
    // feedback naming either finds the decision
    const puids = [headerPuid, message.meta.puid].filter((p, i, all): p is string => p !== undefined && all.indexOf(p) === i);
    let decision: PuidDecision | null = null;
    for (const puid of puids) {
      decision = await this.puids.lookup(s.experimentId, puid);
      if (decision) break;
    }
    let paused = false;
    if (decision) this.replays.inc({ experiment: s.experimentId });
    else {
      const unit = message.meta.tags.unit_id;
      // the first puid is the request key: one decision per request across replicas
      const sel = await this.serving.select(s.experimentId, typeof unit === 'string' && unit !== '' ? unit : undefined, { source: 'seldon', requestKey: puids[0] });
      decision = { decisionId: sel.decision_id, arm: sel.arm, armIndex: sel.arm_index, propensity: sel.propensity };
      paused = sel.paused === true;
    }
    // the first binding of a puid wins (a concurrent retry on another replica answers with it);
    // a paused experiment records no decision: nothing to bind the request to
    if (!paused) for (const [i, puid] of puids.entries()) {
      const bound = await this.puids.bind(s.experimentId, puid, decision, this.config.decisionTtlSeconds);
      if (i === 0) decision = bound;
    }
    if (!(decision.armIndex >= 0 && decision.armIndex < s.children)) {
      // never answer with a branch the executor cannot follow (it indexes the children unchecked)
      throw new BanditError(ErrorCode.Internal, `decision ${decision.decisionId} names child ${decision.armIndex} but the graph has ${s.children} children; not routed`);
    }
    return routeReply(decision.armIndex, message.kind, {
      unitId: s.unitId,
      puid: puids[0],
      tags: { decision_id: decision.decisionId, experiment_id: s.experimentId, arm: decision.arm, arm_index: decision.armIndex, propensity: decision.propensity },
    });
  }

  async feedback(fb: FeedbackView, headerPuid?: string): Promise<SeldonReply> {
    const s = this.required();
    const reward = fb.reward;
    if (!Number.isFinite(reward) || reward < 0 || reward > 1) {
      this.refused.inc({ experiment: s.experimentId, reason: 'bad_reward' });
      throw invalidInput(
        `feedback.reward must be a number in [0, 1] (the success fraction of the request's rows; a missing reward is 0), got ${String(reward)}`,
      );
    }
    const noDecision = (err: unknown): never => {
      if (err instanceof BanditError && err.code === ErrorCode.NotFound) this.refused.inc({ experiment: s.experimentId, reason: 'no_decision' });
      throw err;
    };
    const routed = s.unitIdKnown ? fb.response?.meta.routing[s.unitId] : undefined;
    const routedArm = routed !== undefined && routed >= 0 && routed < s.children ? routed : undefined;
    const keys = this.feedbackKeys(s, fb, headerPuid);
    const found = await this.findDecision(s, fb, keys.puids);
    if (found.decision && routed !== undefined && routed >= 0 && found.decision.armIndex >= 0 && routed !== found.decision.armIndex) {
      this.refused.inc({ experiment: s.experimentId, reason: 'routing_conflict' });
      throw new BanditError(
        ErrorCode.Conflict,
        `feedback.response.meta.routing.${s.unitId} is ${routed} but decision ${found.decision.decisionId} served child ${found.decision.armIndex}; the reward was not counted`,
      );
    }
    let r: RewardResponse | undefined;
    let path: 'decision' | 'routed-arm' = 'decision';
    if (found.decision) {
      // an unknown or expired decision id (from meta.tags) falls back to the routed child, else is a 404
      r = await this.serving.reward(found.decision.decisionId, reward, { source: 'seldon' }).catch((err: unknown) => {
        if (routedArm !== undefined && err instanceof BanditError && err.code === ErrorCode.NotFound) return undefined;
        return noDecision(err);
      });
    }
    if (!r) {
      if (routedArm === undefined) {
        noDecision(
          notFound(
            `${found.tried}; feedback must carry the prediction's puid (response.meta.puid or the Seldon-Puid header), the route reply's meta.tags.decision_id, or response.meta.routing.${s.unitId} (the executor's routing injection) — the reward was not counted`,
          ),
        );
      }
      path = 'routed-arm';
      r = await this.serving.rewardArm(s.experimentId, routedArm as number, reward, keys.idempotency, { source: 'seldon' });
    }
    return feedbackReply(
      { decision_id: r.decision_id, experiment_id: r.experiment_id, arm: r.arm, arm_index: r.arm_index, reward: r.reward, duplicate: r.duplicate, accounting: path },
      found.puid ?? keys.puids[0],
    );
  }

  /** `/health/status`: the posterior store answers and the experiment is served. */
  async healthStatus(): Promise<SeldonReply> {
    try {
      await this.store.ping();
      if (this.settings) await this.experiments.served(this.settings.experimentId);
    } catch (err) {
      throw new BanditError(ErrorCode.Unavailable, `not ready: ${err instanceof Error ? err.message : String(err)}`);
    }
    return healthStatusReply();
  }

  async metadata(): Promise<Record<string, unknown>> {
    const s = this.settings;
    if (!s) return metadataReply({ name: 'bandit-router', version: VERSION, messageType: 'ndarray', custom: { router: 'not configured (set PREDICTIVE_UNIT_ID / PREDICTIVE_UNIT_PARAMETERS)' } });
    const exp = await this.experiments.served(s.experimentId);
    return metadataReply({
      name: s.unitId,
      version: VERSION,
      messageType: 'ndarray',
      custom: { experiment_id: s.experimentId, arms: exp.definition.arms.join(','), algorithm: exp.definition.algorithm, state_store: this.store.kind },
    });
  }

  private required(): RouterSettings {
    if (!this.settings) {
      throw notFound('this service is not configured as a Seldon router: set PREDICTIVE_UNIT_ID and PREDICTIVE_UNIT_PARAMETERS (experiment_id, arms or n_branches)');
    }
    return this.settings;
  }

  /**
   * The puids a feedback names (the prediction's, then the call's) and its idempotency key
   * for the routed-arm path: the decision id it carries, else the first puid, else a fresh
   * one (a feedback that names nothing is counted once per call).
   */
  private feedbackKeys(s: RouterSettings, fb: FeedbackView, headerPuid?: string): { puids: string[]; idempotency: string } {
    const puids = [fb.response?.meta.puid, headerPuid, fb.request?.meta.puid].filter((p, i, all): p is string => p !== undefined && all.indexOf(p) === i);
    const tagged = fb.response?.meta.tags.decision_id;
    const idempotency = typeof tagged === 'string' && tagged !== '' ? `decision:${tagged}` : puids.length > 0 ? `puid:${puids[0]}` : `call:${randomUUID()}`;
    return { puids, idempotency: `${s.experimentId}|${idempotency}` };
  }

  private async findDecision(s: RouterSettings, fb: FeedbackView, puids: string[]): Promise<{ decision?: PuidDecision; puid?: string; tried: string }> {
    for (const puid of puids) {
      const hit = await this.puids.lookup(s.experimentId, puid);
      if (hit) return { decision: hit, puid, tried: '' };
    }
    const tagged = fb.response?.meta.tags.decision_id;
    if (typeof tagged === 'string' && tagged !== '') {
      if (!tagged.startsWith(`${s.experimentId}.`)) {
        throw invalidInput(`feedback.response.meta.tags.decision_id names a decision of another experiment; this router serves ${JSON.stringify(s.experimentId)}`);
      }
      // the id carries its arm (see src/posterior-store/decision-id.ts); a malformed id is refused by the reward
      const armIndex = Number(tagged.slice(s.experimentId.length + 1).split('.')[0]);
      return { decision: { decisionId: tagged, arm: '', armIndex: Number.isInteger(armIndex) ? armIndex : -1, propensity: NaN }, puid: puids[0], tried: '' };
    }
    const tried = puids.length > 0 ? `no decision for puid ${puids.map((c) => JSON.stringify(c)).join(' / ')} (expired, or not routed by this router)` : 'the feedback names no puid';
    return { tried };
  }

  private async ensureExperiment(id: string, arms: string[], named: boolean): Promise<void> {
    let existing: string[] | undefined;
    try {
      existing = (await this.experiments.served(id)).definition.arms;
    } catch (err) {
      if (!(err instanceof BanditError && err.code === ErrorCode.NotFound)) throw err;
    }
    if (existing === undefined) {
      try {
        await this.experiments.create({ id, arms });
        this.log.log(`created experiment ${JSON.stringify(id)} with arms ${arms.join(', ')}`);
        return;
      } catch (err) {
        // another replica created it first
        if (!(err instanceof BanditError && (err.code === ErrorCode.AlreadyExists || err.code === ErrorCode.Conflict))) throw err;
        existing = (await this.experiments.served(id)).definition.arms;
      }
    }
    if (arms.length !== existing.length) {
      throw invalidInput(
        `experiment ${JSON.stringify(id)} has ${existing.length} arms (${existing.join(', ')}) but the router parameters give ${arms.length}; the graph's children must match the experiment's arms`,
      );
    }
    if (named && arms.some((a, i) => a !== existing[i])) {
      throw invalidInput(`experiment ${JSON.stringify(id)} has arms ${existing.join(', ')} but the router parameters name ${arms.join(', ')} (the order must match the graph's children)`);
    }
  }
}
