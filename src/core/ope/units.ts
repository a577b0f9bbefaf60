/**
 * Builds the per-unit quantities (`OpeUnits`) the estimators need, from
 *  (a) per-row logs and obp-shaped arrays `action_dist` / `estimated_rewards_by_reg_model`
 *      of shape (rows, items, lenList) — the general path (`bandit ope`), O(n·items);
 *  (b) aggregated cells (fold, item, slot, click, propensity, count) and a policy that is
 *      the same for every row (π_e(a|k), items × lenList) with a per-fold reward model —
 *      the scalable path, O(cells·items).
 * Input checks follow obp's: π_e sums to 1 over items per row and slot, p > 0, slot and
 * item within range; a violation names the row.
 * Example:
 *   unitsFromCells(cellsFromRows(logs, 5), policy, items, 3, q) // same estimates as
 *   unitsFromActionDist(logs, policyTiledPerRow, qPerRow)      // (bootstrap.spec.ts)
 */
import type { OpeUnits } from './types';

export interface LoggedRows {
  /** a_i: logged item, 0-based. */
  action: Int32Array;
  /** k_i: logged slot, 0-based. */
  position: Int32Array;
  reward: Float64Array;
  pscore: Float64Array;
}

/** A dense (rows, items, lenList) array in C order. */
export interface Tensor3 {
  data: Float64Array;
  rows: number;
  items: number;
  lenList: number;
}

export class OpeInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpeInputError';
  }
}

/** numpy.allclose(x, 1) tolerance. */
const closeToOne = (x: number) => Math.abs(x - 1) <= 1e-8 + 1e-5;

export function checkLoggedRows(logs: LoggedRows, items: number, lenList: number): void {
  const n = logs.action.length;
  for (let i = 0; i < n; i++) {
    const a = logs.action[i];
    const k = logs.position[i];
    const r = logs.reward[i];
    const p = logs.pscore[i];
    if (!(a >= 0 && a < items)) throw new OpeInputError(`row ${i}: item ${a} is outside 0..${items - 1}`);
    if (!(k >= 0 && k < lenList)) throw new OpeInputError(`row ${i}: slot ${k} is outside 0..${lenList - 1}`);
    if (!(p > 0 && p <= 1)) throw new OpeInputError(`row ${i}: propensity ${p} must be in (0, 1]`);
    if (!Number.isFinite(r)) throw new OpeInputError(`row ${i}: reward ${r} is not a number`);
  }
}

/** (a) Per-row units from obp-shaped arrays (π_e and, when given, q̂ of shape rows × items × lenList). */
export function unitsFromActionDist(logs: LoggedRows, actionDist: Tensor3, estimatedRewards?: Tensor3): OpeUnits {
  const n = logs.action.length;
  const { items, lenList, data: pi } = actionDist;
  if (actionDist.rows !== n) throw new OpeInputError(`action_dist has ${actionDist.rows} rows but the logs have ${n}`);
  if (estimatedRewards && (estimatedRewards.rows !== n || estimatedRewards.items !== items || estimatedRewards.lenList !== lenList)) {
    throw new OpeInputError(
      `estimated_rewards has shape (${estimatedRewards.rows}, ${estimatedRewards.items}, ${estimatedRewards.lenList}) but action_dist has (${n}, ${items}, ${lenList})`,
    );
  }
  checkLoggedRows(logs, items, lenList);
  const piLogged = new Float64Array(n);
  const qLogged = estimatedRewards ? new Float64Array(n) : undefined;
  const qPolicy = estimatedRewards ? new Float64Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const k = logs.position[i];
    const rowBase = i * items * lenList;
    // obp checks every slot of every row sums to 1
    for (let kk = 0; kk < lenList; kk++) {
      let s = 0;
      for (let a = 0; a < items; a++) {
        const v = pi[rowBase + a * lenList + kk];
        if (!(v >= 0)) throw new OpeInputError(`action_dist[${i}, ${a}, ${kk}] = ${v} is not a probability`);
        s += v;
      }
      if (!closeToOne(s)) throw new OpeInputError(`action_dist[${i}, :, ${kk}] sums to ${s}, not 1`);
    }
    piLogged[i] = pi[rowBase + logs.action[i] * lenList + k];
    if (estimatedRewards && qLogged && qPolicy) {
      const q = estimatedRewards.data;
      let num = 0;
      let den = 0;
      for (let a = 0; a < items; a++) {
        const idx = rowBase + a * lenList + k;
        num += q[idx] * pi[idx];
        den += pi[idx];
      }
      qPolicy[i] = num / den;
      qLogged[i] = q[rowBase + logs.action[i] * lenList + k];
    }
  }
  return { count: new Float64Array(n).fill(1), reward: logs.reward, pscore: logs.pscore, piLogged, qLogged, qPolicy };
}

/** One cell of identical rows. */
export interface OpeCell {
  fold: number;
  item: number;
  slot: number;
  click: number;
  pscore: number;
  count: number;
}

/**
 * (b) Units from cells, for a policy π_e(a|k) shared by every row (`policy[a·lenList + k]`)
 * and a reward model per fold (`q[(f·items + a)·lenList + k]`, see reward-model.ts).
 */
export function unitsFromCells(cells: readonly OpeCell[], policy: Float64Array, items: number, lenList: number, q?: Float64Array): OpeUnits {
  const m = cells.length;
  for (let k = 0; k < lenList; k++) {
    let s = 0;
    for (let a = 0; a < items; a++) s += policy[a * lenList + k];
    if (!closeToOne(s)) throw new OpeInputError(`the evaluation policy's slot ${k} sums to ${s}, not 1`);
  }
  const folds = q ? q.length / (items * lenList) : 0;
  // q̂(π_e) per (fold, slot)
  const qPolicyTable = new Float64Array(folds * lenList);
  if (q) {
    for (let f = 0; f < folds; f++) {
      for (let k = 0; k < lenList; k++) {
        let num = 0;
        let den = 0;
        for (let a = 0; a < items; a++) {
          num += q[(f * items + a) * lenList + k] * policy[a * lenList + k];
          den += policy[a * lenList + k];
        }
        qPolicyTable[f * lenList + k] = num / den;
      }
    }
  }
  const u: OpeUnits = {
    count: new Float64Array(m),
    reward: new Float64Array(m),
    pscore: new Float64Array(m),
    piLogged: new Float64Array(m),
    qLogged: q ? new Float64Array(m) : undefined,
    qPolicy: q ? new Float64Array(m) : undefined,
  };
  cells.forEach((c, j) => {
    if (!(c.item >= 0 && c.item < items)) throw new OpeInputError(`cell ${j}: item ${c.item} is outside 0..${items - 1}`);
    if (!(c.slot >= 0 && c.slot < lenList)) throw new OpeInputError(`cell ${j}: slot ${c.slot} is outside 0..${lenList - 1}`);
    if (!(c.pscore > 0 && c.pscore <= 1)) throw new OpeInputError(`cell ${j}: propensity ${c.pscore} must be in (0, 1]`);
    u.count[j] = c.count;
    u.reward[j] = c.click;
    u.pscore[j] = c.pscore;
    u.piLogged[j] = policy[c.item * lenList + c.slot];
    if (q && u.qLogged && u.qPolicy) {
      if (!(c.fold >= 0 && c.fold < folds)) throw new OpeInputError(`cell ${j}: fold ${c.fold} is outside 0..${folds - 1}`);
      u.qLogged[j] = q[(c.fold * items + c.item) * lenList + c.slot];
      u.qPolicy[j] = qPolicyTable[c.fold * lenList + c.slot];
    }
  });
  return u;
}

/** Merges per-row logs into cells (fold = row index mod `folds`): for tests and small inputs. */
export function cellsFromRows(logs: LoggedRows, folds: number): OpeCell[] {
  const map = new Map<string, OpeCell>();
  const n = logs.action.length;
  for (let i = 0; i < n; i++) {
    const cell = { fold: i % folds, item: logs.action[i], slot: logs.position[i], click: logs.reward[i], pscore: logs.pscore[i], count: 1 };
    const key = `${cell.fold}|${cell.item}|${cell.slot}|${cell.click}|${cell.pscore}`;
    const found = map.get(key);
    if (found) found.count++;
    else map.set(key, cell);
  }
  return [...map.values()];
}
