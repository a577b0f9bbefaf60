import { BETA_PARAM_MAX, MAX_ARMS } from '../core/limits';
import { createExperimentSchema, formatZodError } from './experiment.dto';

/** The API accepts exactly the core's validated range (src/core/limits.ts) and names what is wrong. */
const problem = (json: string): string => {
  const r = createExperimentSchema.safeParse(JSON.parse(json));
  return r.success ? 'accepted' : formatZodError(r.error);
};

describe('create experiment: the validated range of priors and arms', () => {
  it('α = 1e400 in JSON (parsed as Infinity) is "not a finite number", not "got null"', () => {
    expect(problem('{"id":"e","arms":["a","b"],"prior":{"alpha":1e400,"beta":1}}')).toBe('prior.alpha: must be a finite number > 0, got Infinity (not a finite number)');
  });
  it('α, β above 1e9 or ≤ 0 are refused naming the field; 1e9 itself is accepted', () => {
    expect(problem('{"id":"e","arms":["a","b"],"prior":[{"alpha":1,"beta":1},{"alpha":2,"beta":1e18}]}')).toBe('prior.1.beta: must be at most 1e9 (the range where the numerics are verified), got 1000000000000000000');
    expect(problem('{"id":"e","arms":["a","b"],"prior":{"alpha":0,"beta":1}}')).toBe('prior.alpha: must be a finite number > 0, got 0');
    expect(problem('{"id":"e","arms":["a","b"],"prior":{"alpha":"2","beta":1}}')).toBe('prior.alpha: must be a finite number > 0, got "2"');
    expect(problem(`{"id":"e","arms":["a","b"],"prior":{"alpha":${BETA_PARAM_MAX},"beta":1e-3}}`)).toBe('accepted');
  });
  it('at most 100 arms', () => {
    const arms = (n: number) => JSON.stringify({ id: 'e', arms: Array.from({ length: n }, (_, k) => `arm${k}`) });
    expect(MAX_ARMS).toBe(100);
    expect(problem(arms(100))).toBe('accepted');
    expect(problem(arms(101))).toBe('arms: at most 100 arms');
  });
});
