/**
 * The replay method (Li, Chu, Langford, Wang, "Unbiased offline evaluation of
 * contextual-bandit-based news article recommendation algorithms", WSDM 2011) for a
 * Bernoulli Thompson sampler that shows its top `lenList` items.
 *
 * Step through uniformly random logs in time order. For each logged row (item a, slot k,
 * click r) the sampler draws θ ~ Beta(α, β) for every item and ranks them; the row
 * MATCHES when the item it would put in slot k is a. Matched rows count (click rate,
 * cumulative reward) and update the posterior of a (α += r, β += 1 − r); other rows are
 * skipped. On uniformly random logs the matched rows are an unbiased sample of the
 * policy's own traffic.
 *
 * Regret is measured against the best fixed item in hindsight (highest click rate over
 * all the logs, `hindsightCtr`): after t matched rows, regret(t) = Σ_{s≤t} (μ* − μ_{a_s})
 * (pseudo-regret with the hindsight rates μ).
 *
 * Deterministic for a seed. Complexity O(items) per row.
 * Example:
 *   const r = createReplay({ alpha, beta, lenList: 3, hindsightCtr, rng: createRng(seed) });
 *   r.stepChunk(items, slots, clicks, n); r.result()
 */
import { makeBetaSampler } from './beta-sampler';
import { topK } from './ope/top-k-action-dist';
import type { Rng } from './rng';

export interface ReplayOptions {
  /** Prior α per item (1 for the uniform prior). */
  alpha: ArrayLike<number>;
  beta: ArrayLike<number>;
  lenList: number;
  /** Per-item click rates over the whole log (for the regret curve). */
  hindsightCtr: ArrayLike<number>;
  rng: Rng;
  /** Curve points kept (evenly spaced in matched rows); default 500. */
  curvePoints?: number;
  /** Rows expected (for spacing the curve); default: spacing doubles as rows come. */
  expectedMatches?: number;
}

export interface CurvePoint {
  /** Matched rows so far. */
  step: number;
  /** Log rows read so far. */
  row: number;
  cumulativeReward: number;
  regret: number;
}

export interface ReplayResult {
  rows: number;
  matched: number;
  clicks: number;
  /** Click rate of the matched rows (NaN when nothing matched). */
  matchedCtr: number;
  bestItem: number;
  bestItemCtr: number;
  curve: CurvePoint[];
  alpha: number[];
  beta: number[];
}

export interface Replay {
  step(item: number, slot: number, click: number): void;
  stepChunk(items: ArrayLike<number>, slots: ArrayLike<number>, clicks: ArrayLike<number>, n: number): void;
  result(): ReplayResult;
}

export function createReplay(o: ReplayOptions): Replay {
  const items = o.alpha.length;
  if (o.beta.length !== items || o.hindsightCtr.length !== items) throw new Error('alpha, beta and hindsightCtr need one entry per item');
  if (o.lenList < 1 || o.lenList > items) throw new Error(`cannot show ${o.lenList} of ${items} items`);
  for (let a = 0; a < items; a++) if (!(o.alpha[a] > 0 && o.beta[a] > 0)) throw new Error(`prior of item ${a} must have alpha, beta > 0`);
  const alpha = Float64Array.from(o.alpha);
  const beta = Float64Array.from(o.beta);
  let bestItem = 0;
  for (let a = 1; a < items; a++) if (o.hindsightCtr[a] > o.hindsightCtr[bestItem]) bestItem = a;
  const best = o.hindsightCtr[bestItem];
  const maxPoints = o.curvePoints ?? 500;
  let every = Math.max(1, Math.ceil((o.expectedMatches ?? maxPoints) / maxPoints));
  const draw = Array.from({ length: items }, (_, a) => makeBetaSampler(alpha[a], beta[a]));
  const theta = new Float64Array(items);
  const top = new Int32Array(o.lenList);
  let rows = 0;
  let matched = 0;
  let clicks = 0;
  let regret = 0;
  let curve: CurvePoint[] = [];

  const step = (item: number, slot: number, click: number) => {
    rows++;
    if (slot < 0 || slot >= o.lenList || item < 0 || item >= items) throw new Error(`row ${rows - 1}: item ${item} / slot ${slot} out of range`);
    for (let a = 0; a < items; a++) theta[a] = draw[a](o.rng);
    topK(theta, top);
    if (top[slot] !== item) return;
    matched++;
    clicks += click;
    regret += best - o.hindsightCtr[item];
    if (click > 0) alpha[item] += 1;
    else beta[item] += 1;
    draw[item] = makeBetaSampler(alpha[item], beta[item]);
    if (matched % every === 0) {
      curve.push({ step: matched, row: rows, cumulativeReward: clicks, regret });
      if (curve.length >= 2 * maxPoints) {
        curve = curve.filter((_, i) => i % 2 === 1);
        every *= 2;
      }
    }
  };

  return {
    step,
    stepChunk(itemsArr, slots, clicksArr, n) {
      for (let i = 0; i < n; i++) step(itemsArr[i], slots[i], clicksArr[i]);
    },
    result() {
      const last = curve[curve.length - 1];
      const finalCurve = last?.step === matched || matched === 0 ? curve : [...curve, { step: matched, row: rows, cumulativeReward: clicks, regret }];
      return {
        rows,
        matched,
        clicks,
        matchedCtr: matched > 0 ? clicks / matched : NaN,
        bestItem,
        bestItemCtr: best,
        curve: finalCurve,
        alpha: Array.from(alpha),
        beta: Array.from(beta),
      };
    },
  };
}
