import { estimatorsAgreeCheck, matchedRowsCheck } from './checks';

const est = (estimator: string, value: number, lower: number, upper: number) => ({ estimator, value, ci: { lower, upper } }) as never;

describe('asset checks', () => {
  it('matched_rows passes when every campaign matched rows, and names the ones that did not', () => {
    expect(matchedRowsCheck([{ campaign: 'men', matched: 12, rows: 100 }, { campaign: 'women', matched: 3, rows: 100 }])).toMatchObject({ passed: true, description: 'every campaign matched rows (fewest: 3)' });
    const bad = matchedRowsCheck([{ campaign: 'men', matched: 12, rows: 100 }, { campaign: 'women', matched: 0, rows: 100 }]);
    expect(bad).toMatchObject({ passed: false, description: 'no matched rows for women', metadata: { 'women.matched_rows': { type: 'int', value: 0 } } });
    expect(matchedRowsCheck([]).passed).toBe(false);
  });

  it('estimators_agree passes when the intervals share a value, and names the pair that does not', () => {
    const ok = estimatorsAgreeCheck([{ campaign: 'men', evaluations: [{ policy: 'bts', estimates: [est('ipw', 0.005, 0.003, 0.007), est('dm', 0.006, 0.0055, 0.0065)] }] }]);
    expect(ok.passed).toBe(true);
    // the largest lower bound (dm's 0.0055) is 0.001 below the smallest upper bound (dm's 0.0065)
    expect((ok.metadata['men.bts.interval_gap'] as { value: number }).value).toBeCloseTo(-0.001, 12);
    const bad = estimatorsAgreeCheck([{ campaign: 'men', evaluations: [{ policy: 'ours', estimates: [est('ipw', 0.005, 0.004, 0.006), est('dm', 0.008, 0.007, 0.009)] }] }]);
    expect(bad.passed).toBe(false);
    expect(bad.description).toBe("men/ours: dm's interval starts at 0.007000, above ipw's end 0.006000");
    // without intervals nothing can be compared: not a pass
    expect(estimatorsAgreeCheck([{ campaign: 'men', evaluations: [{ policy: 'bts', estimates: [{ estimator: 'ipw', value: 1 } as never] }] }]).passed).toBe(false);
  });
});
