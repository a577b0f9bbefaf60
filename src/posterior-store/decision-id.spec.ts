import { DECISION_ID_PATTERN, newDecisionId, parseDecisionId } from './decision-id';

describe('decision ids', () => {
  it('carry the experiment and the arm and parse back', () => {
    const { decisionId, token } = newDecisionId('homepage-cta', 7);
    expect(decisionId).toMatch(DECISION_ID_PATTERN);
    expect(parseDecisionId(decisionId)).toEqual({ experimentId: 'homepage-cta', arm: 7, token });
    expect(token.startsWith('7.')).toBe(true);
  });

  it('are unique and use all 128 random bits', () => {
    const ids = Array.from({ length: 2000 }, () => newDecisionId('e', 0).token.slice(2));
    expect(new Set(ids).size).toBe(ids.length);
    const bytes = ids.map((t) => Buffer.from(t, 'base64url'));
    expect(bytes.every((b) => b.length === 16)).toBe(true);
    // every bit position takes both values across the sample
    for (let bit = 0; bit < 128; bit++) {
      const ones = bytes.filter((b) => (b[bit >> 3] >> (bit & 7)) & 1).length;
      expect(ones).toBeGreaterThan(800);
      expect(ones).toBeLessThan(1200);
    }
  });

  it('reject malformed ids', () => {
    for (const bad of ['', 'x', 'e.0', 'e.0.short', 'E.0.AAAAAAAAAAAAAAAAAAAAAA', 'e.1000.AAAAAAAAAAAAAAAAAAAAAA', 'e.0.AAAAAAAAAAAAAAAAAAAAAA.x', 'e..AAAAAAAAAAAAAAAAAAAAAA']) {
      expect(parseDecisionId(bad)).toBeNull();
    }
  });
});
