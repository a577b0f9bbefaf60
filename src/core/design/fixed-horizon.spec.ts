import { fixedHorizonSampleSize } from './fixed-horizon';

describe('fixedHorizonSampleSize', () => {
  it('0.05 vs 0.055 at 5% two-sided and 80% power needs 31,234 per arm, 62,468 in total', () => {
    expect(fixedHorizonSampleSize(0.05, 0.055)).toEqual({ perArm: 31234, total: 62468, alpha: 0.05, power: 0.8 });
  });
  it('matches statsmodels-style textbook values', () => {
    // (z_.975 √(2·.15·.85) + z_.9 √(.1·.9 + .2·.8))² / .01 = 265.8 → 266 per arm
    expect(fixedHorizonSampleSize(0.1, 0.2, { power: 0.9 }).perArm).toBe(266);
  });
  it('splits alpha over the comparisons with more arms and rejects bad input', () => {
    expect(fixedHorizonSampleSize(0.05, 0.055, { arms: 3 }).perArm).toBeGreaterThan(31234);
    expect(() => fixedHorizonSampleSize(0.05, 0.05)).toThrow(/must differ/);
    expect(() => fixedHorizonSampleSize(0, 0.05)).toThrow(/p1 must be a number in \(0, 1\)/);
  });
});
