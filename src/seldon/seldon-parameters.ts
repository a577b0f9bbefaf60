/**
 * `PREDICTIVE_UNIT_PARAMETERS`: the graph node's `parameters` as the Seldon operator hands
 * them over — a JSON list of `{name, value, type}` with `value` a string and `type` one of
 * INT, FLOAT, DOUBLE, STRING, BOOL (Seldon's parameter types; BOOL accepts the words
 * Python's `strtobool` does).
 *
 * The router understands:
 *   experiment_id  STRING  the experiment this router serves (default: the node name)
 *   arms           STRING  the children's names in graph order, separated by commas or colons
 *   n_branches     INT     the number of children (Seldon's Thompson router parameter)
 *   branch_names   STRING  alias of `arms` (Seldon's Thompson router parameter, which
 *                          separates the names with colons: "rf:xgb")
 *   seed, verbose, history  accepted for compatibility with Seldon's Thompson router, unused
 * One of `arms` / `branch_names` / `n_branches` is required: the router must know how many
 * children the graph has (the operator does not tell it), so that it never answers with a
 * branch past the last child; the experiment's arms are checked against it at startup.
 */
import { invalidInput } from '../common/errors';

export type ParameterType = 'INT' | 'FLOAT' | 'DOUBLE' | 'STRING' | 'BOOL';
export type ParameterValue = number | string | boolean;

const TRUE_WORDS = ['y', 'yes', 't', 'true', 'on', '1'];
const FALSE_WORDS = ['n', 'no', 'f', 'false', 'off', '0'];

export interface RouterParameters {
  experimentId: string;
  /** The children's arm names in graph order (generated `arm-<k>` from n_branches alone). */
  arms: string[];
  /** Whether the names were given (`arms` / `branch_names`), not generated from n_branches. */
  named: boolean;
  /** Seldon-compatible parameters that were given and are not used. */
  ignored: string[];
}

const EXPECTED_TYPE: Record<string, ParameterType[]> = {
  experiment_id: ['STRING'],
  arms: ['STRING'],
  branch_names: ['STRING'],
  n_branches: ['INT'],
  seed: ['INT'],
  verbose: ['BOOL'],
  history: ['BOOL'],
};

/** Converts one parameter's string value to its declared type; throws naming the parameter. */
export function typedValue(name: string, value: string, type: string): ParameterValue {
  switch (type) {
    case 'INT': {
      if (!/^\s*[+-]?\d+\s*$/.test(value)) throw invalidInput(`parameter ${name}: ${JSON.stringify(value)} is not an INT`);
      const n = Number(value);
      if (!Number.isSafeInteger(n)) throw invalidInput(`parameter ${name}: ${value} is out of range for an INT`);
      return n;
    }
    case 'FLOAT':
    case 'DOUBLE': {
      const n = value.trim() === '' ? NaN : Number(value);
      if (!Number.isFinite(n)) throw invalidInput(`parameter ${name}: ${JSON.stringify(value)} is not a ${type}`);
      return n;
    }
    case 'STRING':
      return value;
    case 'BOOL': {
      const w = value.trim().toLowerCase();
      if (TRUE_WORDS.includes(w)) return true;
      if (FALSE_WORDS.includes(w)) return false;
      throw invalidInput(`parameter ${name}: ${JSON.stringify(value)} is not a BOOL (use true or false)`);
    }
    default:
      throw invalidInput(`parameter ${name}: unknown type ${JSON.stringify(type)} (valid: INT, FLOAT, DOUBLE, STRING, BOOL)`);
  }
}

/** Parses the raw JSON list into name → typed value; duplicates and malformed entries are errors. */
export function parseParameterList(raw: string): Map<string, { type: ParameterType; value: ParameterValue }> {
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch (err) {
    throw invalidInput(`PREDICTIVE_UNIT_PARAMETERS is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(list)) throw invalidInput('PREDICTIVE_UNIT_PARAMETERS must be a JSON list of {name, value, type}');
  const out = new Map<string, { type: ParameterType; value: ParameterValue }>();
  list.forEach((p: unknown, i) => {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw invalidInput(`PREDICTIVE_UNIT_PARAMETERS[${i}] must be an object {name, value, type}`);
    const { name, value, type } = p as Record<string, unknown>;
    if (typeof name !== 'string' || name === '') throw invalidInput(`PREDICTIVE_UNIT_PARAMETERS[${i}]: name must be a non-empty string`);
    // the operator writes values as strings; a hand-written list may hold numbers or booleans
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw invalidInput(`parameter ${name}: value must be a string (got ${value === undefined ? 'nothing' : typeof value})`);
    }
    if (typeof type !== 'string') throw invalidInput(`parameter ${name}: type must be one of INT, FLOAT, DOUBLE, STRING, BOOL`);
    if (out.has(name)) throw invalidInput(`parameter ${name} is given twice`);
    out.set(name, { type: type as ParameterType, value: typedValue(name, String(value), type) });
  });
  return out;
}

const ARM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The router's settings from `PREDICTIVE_UNIT_PARAMETERS` (may be undefined) and the node name. */
export function parseRouterParameters(raw: string | undefined, unitId: string | undefined): RouterParameters {
  const params = raw === undefined ? new Map() : parseParameterList(raw);
  for (const [name, p] of params) {
    const expected = EXPECTED_TYPE[name];
    if (!expected) throw invalidInput(`unknown parameter ${name} (known: ${Object.keys(EXPECTED_TYPE).join(', ')})`);
    if (!expected.includes(p.type)) throw invalidInput(`parameter ${name} must have type ${expected.join(' or ')}, not ${p.type}`);
  }
  const experimentId = (params.get('experiment_id')?.value as string | undefined)?.trim() || unitId;
  if (!experimentId) throw invalidInput('no experiment: set the parameter experiment_id (STRING) or PREDICTIVE_UNIT_ID');

  const armsRaw = params.get('arms')?.value as string | undefined;
  const branchNames = params.get('branch_names')?.value as string | undefined;
  if (armsRaw !== undefined && branchNames !== undefined) throw invalidInput('give either arms or branch_names, not both');
  const namesRaw = armsRaw ?? branchNames;
  let arms: string[] | undefined;
  if (namesRaw !== undefined) {
    // Seldon's Thompson router separates branch_names with colons ("rf:xgb"); commas work too
    arms = namesRaw.split(/[,:]/).map((s) => s.trim());
    const which = armsRaw !== undefined ? 'arms' : 'branch_names';
    if (arms.length < 2) throw invalidInput(`parameter ${which} must name at least 2 children, separated by commas or colons`);
    const bad = arms.find((a) => !ARM_NAME.test(a));
    if (bad !== undefined) throw invalidInput(`parameter ${which}: ${JSON.stringify(bad)} is not a valid arm name (letters, digits, _ . -; 1-63 characters)`);
    const dup = arms.find((a, i) => arms?.indexOf(a) !== i);
    if (dup !== undefined) throw invalidInput(`parameter ${which}: ${JSON.stringify(dup)} appears twice`);
  }
  const n = params.get('n_branches')?.value as number | undefined;
  if (n !== undefined) {
    if (n < 2 || n > 100) throw invalidInput(`parameter n_branches must be between 2 and 100, got ${n}`);
    if (arms !== undefined && arms.length !== n) throw invalidInput(`parameter n_branches is ${n} but ${arms.length} arm names are given`);
  }
  const named = arms !== undefined;
  if (arms === undefined) {
    if (n === undefined) {
      throw invalidInput(
        'the number of children is unknown: give the parameter n_branches (INT) or arms (STRING, the children\'s names in graph order) — the router must never route past the last child',
      );
    }
    arms = Array.from({ length: n }, (_, i) => `arm-${i}`);
  }
  const ignored = ['seed', 'verbose', 'history'].filter((k) => params.has(k));
  return { experimentId, arms, named, ignored };
}
