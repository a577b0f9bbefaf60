import { parseParameterList, parseRouterParameters, typedValue } from './seldon-parameters';

const list = (...ps: Array<[string, string, string]>) => JSON.stringify(ps.map(([name, value, type]) => ({ name, value, type })));

describe('typedValue (Seldon parameter types)', () => {
  it.each([
    ['INT', '42', 42],
    ['INT', ' -3 ', -3],
    ['FLOAT', '0.5', 0.5],
    ['DOUBLE', '1e-3', 0.001],
    ['STRING', ' spaced ', ' spaced '],
    ['BOOL', 'true', true],
    ['BOOL', 'Yes', true],
    ['BOOL', '0', false],
    ['BOOL', 'off', false],
  ])('%s %j', (type, value, expected) => {
    expect(typedValue('p', value, type)).toBe(expected);
  });

  it.each([
    ['INT', '4.5', 'parameter p: "4.5" is not an INT'],
    ['INT', '99999999999999999999', 'out of range'],
    ['FLOAT', 'abc', 'is not a FLOAT'],
    ['DOUBLE', '', 'is not a DOUBLE'],
    ['BOOL', 'maybe', 'is not a BOOL'],
    ['JSON', '{}', 'unknown type "JSON" (valid: INT, FLOAT, DOUBLE, STRING, BOOL)'],
  ])('%s %j fails', (type, value, message) => {
    expect(() => typedValue('p', value, type)).toThrow(message);
  });
});

describe('parseParameterList', () => {
  it('rejects what is not a list of {name, value, type}', () => {
    expect(() => parseParameterList('{')).toThrow('PREDICTIVE_UNIT_PARAMETERS is not JSON');
    expect(() => parseParameterList('{}')).toThrow('must be a JSON list');
    expect(() => parseParameterList('[1]')).toThrow('PREDICTIVE_UNIT_PARAMETERS[0] must be an object');
    expect(() => parseParameterList('[{"value":"1","type":"INT"}]')).toThrow('name must be a non-empty string');
    expect(() => parseParameterList(list(['a', '1', 'INT'], ['a', '2', 'INT']))).toThrow('parameter a is given twice');
  });
});

describe('parseRouterParameters', () => {
  it('reads experiment_id and comma-separated arms', () => {
    expect(parseRouterParameters(list(['experiment_id', 'banner', 'STRING'], ['arms', 'control, treatment_a,treatment_b', 'STRING']), 'bandit-router')).toEqual({
      experimentId: 'banner',
      arms: ['control', 'treatment_a', 'treatment_b'],
      named: true,
      ignored: [],
    });
  });

  // the parameters of Seldon's case-study graph (components/routers/case_study/assets/ts_deployment.json, v1.17.1)
  it("accepts Seldon's Thompson-router example parameters: branch_names separated by colons", () => {
    const seldonCaseStudy = JSON.stringify([
      { name: 'n_branches', value: '2', type: 'INT' },
      { name: 'verbose', value: '1', type: 'BOOL' },
      { name: 'branch_names', value: 'rf:xgb', type: 'STRING' },
      { name: 'seed', value: '1', type: 'INT' },
    ]);
    expect(parseRouterParameters(seldonCaseStudy, 'ts-router')).toEqual({ experimentId: 'ts-router', arms: ['rf', 'xgb'], named: true, ignored: ['seed', 'verbose'] });
  });

  it('accepts colons and commas in arms and branch_names alike', () => {
    expect(parseRouterParameters(list(['arms', 'a:b,c', 'STRING']), 'r').arms).toEqual(['a', 'b', 'c']);
    expect(parseRouterParameters(list(['branch_names', 'a, b', 'STRING']), 'r').arms).toEqual(['a', 'b']);
  });

  it("creates arm names from Seldon's n_branches and accepts its other parameters", () => {
    expect(parseRouterParameters(list(['n_branches', '3', 'INT'], ['seed', '1', 'INT'], ['verbose', 'false', 'BOOL']), 'router')).toEqual({
      experimentId: 'router',
      arms: ['arm-0', 'arm-1', 'arm-2'],
      named: false,
      ignored: ['seed', 'verbose'],
    });
  });

  it('defaults the experiment to the node name', () => {
    expect(parseRouterParameters(list(['n_branches', '2', 'INT']), 'bandit-router')).toMatchObject({ experimentId: 'bandit-router', arms: ['arm-0', 'arm-1'] });
  });

  it('refuses a router whose number of children is unknown (only experiment_id, or nothing)', () => {
    expect(() => parseRouterParameters(list(['experiment_id', 'banner', 'STRING']), 'r')).toThrow('the number of children is unknown: give the parameter n_branches (INT) or arms');
    expect(() => parseRouterParameters(undefined, 'bandit-router')).toThrow('the number of children is unknown');
  });

  it.each([
    [list(['experiment_id', 'x', 'INT']), undefined, 'parameter experiment_id: "x" is not an INT'],
    [list(['experiment_id', '7', 'INT']), undefined, 'parameter experiment_id must have type STRING, not INT'],
    [list(['arms', 'a', 'STRING']), 'r', 'parameter arms must name at least 2 children'],
    [list(['arms', 'a,,b', 'STRING']), 'r', 'parameter arms: "" is not a valid arm name'],
    [list(['arms', 'a,b,a', 'STRING']), 'r', 'parameter arms: "a" appears twice'],
    [list(['arms', 'a,b', 'STRING'], ['branch_names', 'a,b', 'STRING']), 'r', 'either arms or branch_names'],
    [list(['arms', 'a,b', 'STRING'], ['n_branches', '3', 'INT']), 'r', 'n_branches is 3 but 2 arm names are given'],
    [list(['n_branches', '1', 'INT']), 'r', 'n_branches must be between 2 and 100'],
    [list(['n_branches', '-1', 'INT']), 'r', 'n_branches must be between 2 and 100, got -1'],
    [list(['n_branches', '2', 'INT'], ['branch_names', 'rf:xgb:lr', 'STRING']), 'r', 'n_branches is 2 but 3 arm names are given'],
    [list(['branch_names', 'rf', 'STRING']), 'r', 'branch_names must name at least 2 children, separated by commas or colons'],
    [list(['experimnt_id', 'x', 'STRING']), 'r', 'unknown parameter experimnt_id'],
    [undefined, undefined, 'no experiment'],
  ])('%s fails', (raw, unit, message) => {
    expect(() => parseRouterParameters(raw, unit)).toThrow(message);
  });
});
