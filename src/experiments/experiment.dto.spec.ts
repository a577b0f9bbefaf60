import { createExperimentSchema, normalizeDefinition } from './experiment.dto';

const DEFAULTS = { probBest: 0.95, expectedLoss: 0.001, minSamplesPerArm: 100 };
const parse = (body: unknown) => createExperimentSchema.parse(body);

describe('experiment definitions', () => {
  it('fill in defaults and resolve per-arm objects', () => {
    const d = normalizeDefinition(parse({ id: 'e', arms: ['control', 'b', 'c'], floors: { control: 0.2 }, prior: { alpha: 2, beta: 8 } }), DEFAULTS);
    expect(d).toEqual({
      arms: ['control', 'b', 'c'],
      prior: [
        { alpha: 2, beta: 8 },
        { alpha: 2, beta: 8 },
        { alpha: 2, beta: 8 },
      ],
      algorithm: 'thompson',
      topTwoBeta: 0.5,
      stopping: { probBest: 0.95, expectedLoss: 0.001, minSamplesPerArm: 100, maxDurationHours: null },
      floors: [0.2, 0, 0],
      caps: null,
      sticky: false,
      exploration: 0,
      name: null,
      description: null,
      retired: [],
      conversionWindowSeconds: null,
      defaultReward: 0,
      srmAcknowledged: false,
      holdout: 0,
    });
  });

  it('a stated baseline rate centres a weak prior on it; the relative thresholds and the equivalence region are kept', () => {
    const d = normalizeDefinition(parse({ id: 'e', arms: ['a', 'b'], baselineRate: 0.05, stopping: { rope: 0.05, expectedLossRelative: 0.02, probEquivalent: 0.9 } }), DEFAULTS);
    expect(d).toMatchObject({
      prior: [
        { alpha: 5, beta: 95 },
        { alpha: 5, beta: 95 },
      ],
      baselineRate: 0.05,
      stopping: { probBest: 0.95, rope: 0.05, expectedLossRelative: 0.02, probEquivalent: 0.9 },
    });
    expect(createExperimentSchema.safeParse({ id: 'e', arms: ['a', 'b'], baselineRate: 1 }).success).toBe(false);
    expect(createExperimentSchema.safeParse({ id: 'e', arms: ['a', 'b'], stopping: { rope: -0.1 } }).success).toBe(false);
  });

  it('name what is inconsistent', () => {
    expect(normalizeDefinition(parse({ id: 'e', arms: ['a', 'b'], prior: [{ alpha: 1, beta: 1 }] }), DEFAULTS)).toMatch(/one per arm/);
    expect(normalizeDefinition(parse({ id: 'e', arms: ['a', 'b'], floors: [0.6, 0.6] }), DEFAULTS)).toMatch(/floors add up/);
    expect(normalizeDefinition(parse({ id: 'e', arms: ['a', 'b'], caps: [0.3, 0.3] }), DEFAULTS)).toMatch(/caps add up/);
    expect(normalizeDefinition(parse({ id: 'e', arms: ['a', 'b'], floors: [0.5, 0], caps: [0.4, 1] }), DEFAULTS)).toMatch(/floor is above its cap/);
    expect(normalizeDefinition(parse({ id: 'e', arms: ['a', 'b'], caps: { z: 1 } }), DEFAULTS)).toMatch(/unknown arm "z"/);
    expect(normalizeDefinition(parse({ id: 'e', arms: ['a', 'b'], topTwoBeta: 0.3 }), DEFAULTS)).toMatch(/top_two/);
  });

  it('reject bad ids, too few or duplicate arms, unknown fields', () => {
    for (const bad of [{ id: 'Bad', arms: ['a', 'b'] }, { id: 'e', arms: ['a'] }, { id: 'e', arms: ['a', 'a'] }, { id: 'e', arms: ['a', 'b'], extra: 1 }]) {
      expect(createExperimentSchema.safeParse(bad).success).toBe(false);
    }
  });
});
