/**
 * Health of a live experiment: the sample-ratio-mismatch (SRM) check, the share of decisions
 * whose conversion window is still open, and the observed conversion delay.
 *
 * SRM: a bandit's allocation changes all the time, so the expected number of assignments of
 * arm k is not a fixed share of the traffic, and each stored decision logs only the
 * propensity of the arm it served. What the log does support is Horvitz–Thompson: for every
 * arm k, S_k = Σ over k's decisions of 1/p_i estimates the total number of decisions n
 * without bias, with variance estimated by W_k = Σ 1/p_i² (minus S_k, negligible). The check
 * is X = Σ_k (S_k − n)² / W_k against χ²(arms − 1): with a constant allocation it is
 * Neyman's chi-square of the counts (observed counts in the denominators), so it reduces to
 * the usual SRM test; with an adaptive one it is an approximation (the arms' estimates are
 * correlated through the shared allocation). Arms with no stored decision are left out. A
 * p-value under SRM_ALPHA means the decisions that reached the event store are not the ones
 * the policy drew (lost or duplicated events, a broken client, bots) and an automatic winner
 * is held back until an admin acknowledges it.
 *
 * (Comparing counts with Σ of the served arm's own propensities, the tempting shortcut, is
 * wrong: its expectation is Σ_t p_t(k)², not Σ_t p_t(k), and it raises false alarms on every
 * non-uniform allocation.)
 */
import { logGamma } from '../core';

/** p-value under which the SRM check fails (the usual threshold for SRM alarms). */
export const SRM_ALPHA = 0.001;

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 1;
  const lead = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    // series for P(a, x)
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lead));
  }
  // continued fraction for Q(a, x) (modified Lentz)
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(lead) * h;
}

/** P(X ≥ x) for X ~ χ²(df). */
export function chiSquareSurvival(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

export interface SrmResult {
  p_value: number | null;
  ok: boolean;
  statistic: number | null;
  df: number;
  observed: number[];
  expected: number[];
}

/**
 * Chi-square of observed assignments against expected ones (the sums of logged
 * propensities, rescaled to the observed total). Arms never expected to be served (retired
 * before any decision) are left out; fewer than two arms or no decisions: no test (ok).
 */
export function srmCheck(observed: readonly number[], propensitySums: readonly number[]): SrmResult {
  const total = observed.reduce((a, b) => a + b, 0);
  const expTotal = propensitySums.reduce((a, b) => a + b, 0);
  const expected = propensitySums.map((p) => (expTotal > 0 ? (p * total) / expTotal : 0));
  const used = expected.map((e, k) => k).filter((k) => expected[k] > 0);
  const df = used.length - 1;
  if (total === 0 || df < 1) return { p_value: null, ok: true, statistic: null, df: Math.max(df, 0), observed: [...observed], expected };
  const statistic = used.reduce((s, k) => s + (observed[k] - expected[k]) ** 2 / expected[k], 0);
  const p = chiSquareSurvival(statistic, df);
  return { p_value: p, ok: !(p < SRM_ALPHA), statistic, df, observed: [...observed], expected };
}

/** Per arm: stored decisions, Σ 1/propensity and Σ 1/propensity² over them. */
export interface ArmAssignments {
  selects: number;
  inverseSum: number;
  inverseSquareSum: number;
}

/**
 * The SRM check of an adaptive allocation from logged propensities (see the file comment).
 * `expected` reports, per arm, the count its Horvitz–Thompson estimate would need to equal
 * the total (n_k · n / S_k).
 */
export function srmCheckLogged(arms: readonly ArmAssignments[]): SrmResult {
  const observed = arms.map((a) => a.selects);
  const n = observed.reduce((a, b) => a + b, 0);
  const used = arms.map((_, k) => k).filter((k) => arms[k].selects > 0 && arms[k].inverseSquareSum > 0);
  const expected = arms.map((a) => (a.inverseSum > 0 ? (a.selects * n) / a.inverseSum : 0));
  const df = used.length - 1;
  if (n === 0 || df < 1) return { p_value: null, ok: true, statistic: null, df: Math.max(df, 0), observed, expected };
  const statistic = used.reduce((x, k) => x + (arms[k].inverseSum - n) ** 2 / arms[k].inverseSquareSum, 0);
  const p = chiSquareSurvival(statistic, df);
  return { p_value: p, ok: !(p < SRM_ALPHA), statistic, df, observed, expected };
}

/** Median and 90th percentile of conversion delays (seconds); null without conversions. */
export function delaySummary(delaysSeconds: readonly number[]): { median_seconds: number; p90_seconds: number; conversions: number } | null {
  if (delaysSeconds.length === 0) return null;
  const s = [...delaysSeconds].sort((a, b) => a - b);
  const q = (p: number) => {
    const i = (s.length - 1) * p;
    const lo = Math.floor(i);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
  };
  return { median_seconds: q(0.5), p90_seconds: q(0.9), conversions: s.length };
}

/** Rewards of one group of decisions: how many were served, how many rewarded, Σ r, Σ r². */
export interface RewardTotals {
  decisions: number;
  rewarded: number;
  sum: number;
  sumSq: number;
}

const Z975 = 1.959963984540054;

/**
 * Lift of the bandit over the holdout (an equal split): the difference of the mean reward
 * per rewarded decision, with a 95% normal-approximation interval from the two sample
 * variances (Welch). Null without at least two rewarded decisions in each group.
 */
export function liftOf(bandit: RewardTotals, holdout: RewardTotals): { lift: number | null; ci95: [number, number] | null; banditMean: number | null; holdoutMean: number | null } {
  const mean = (t: RewardTotals) => (t.rewarded > 0 ? t.sum / t.rewarded : null);
  const variance = (t: RewardTotals, m: number) => Math.max(0, (t.sumSq - t.rewarded * m * m) / (t.rewarded - 1));
  const mb = mean(bandit);
  const mh = mean(holdout);
  if (mb === null || mh === null || bandit.rewarded < 2 || holdout.rewarded < 2) return { lift: null, ci95: null, banditMean: mb, holdoutMean: mh };
  const se = Math.sqrt(variance(bandit, mb) / bandit.rewarded + variance(holdout, mh) / holdout.rewarded);
  const lift = mb - mh;
  return { lift, ci95: [lift - Z975 * se, lift + Z975 * se], banditMean: mb, holdoutMean: mh };
}
