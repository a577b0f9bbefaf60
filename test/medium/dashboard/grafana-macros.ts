/**
 * Expands a Grafana Postgres panel query the way Grafana does before sending it to the
 * database: first template variables (`${name:format}`, `${name}`, `$name`, and the
 * built-ins `$__interval`, `$__interval_ms`), then the data source's macros. Only what the
 * bandit dashboard uses is supported; anything else left over is an error, so a query
 * using an unknown macro cannot pass unnoticed.
 *
 * Macro output follows Grafana's Postgres macro engine (pkg/tsdb/grafana-postgresql-datasource):
 *   $__timeFilter(c)          c BETWEEN '<from RFC3339Nano>' AND '<to RFC3339Nano>'
 *   $__timeFrom() / $__timeTo()   '<from>' / '<to>'
 *   $__timeGroup(c, i)        floor(extract(epoch from c)/<i seconds>)*<i seconds>
 *   $__timeGroupAlias(c, i)   the same AS "time"
 */

export interface MacroContext {
  from: Date;
  to: Date;
  /** The panel's interval ($__interval), in milliseconds. */
  intervalMs: number;
  /** Template variable values; an array is a multi-value selection. */
  variables: Record<string, string | string[]>;
}

/** Go's time.RFC3339Nano for a UTC time: fractional seconds without trailing zeros. */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

/** Grafana's text form of an interval: 100ms, 30s, 5m, 2h, 1d. */
export function formatInterval(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (const [u, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${u}`;
  return `${ms}ms`;
}

/** Seconds of an interval text as Grafana's gtime.ParseInterval reads it. */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$/.exec(text.trim().replace(/^['"]|['"]$/g, ''));
  if (!m) throw new Error(`cannot parse interval ${JSON.stringify(text)}`);
  const factor: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  return Number(m[1]) * factor[m[2]];
}

const sqlString = (v: string) => `'${v.replace(/'/g, "''")}'`;

function formatVariable(value: string | string[], format: string | undefined): string {
  const values = Array.isArray(value) ? value : [value];
  switch (format) {
    case 'sqlstring':
      return values.map(sqlString).join(',');
    case 'raw':
    case 'text':
      return values.join(',');
    case undefined:
      // SQL data sources: a multi-value selection is quoted, a single value is inserted as is
      return Array.isArray(value) ? values.map(sqlString).join(',') : value;
    default:
      throw new Error(`variable format ${format} is not supported by this expander`);
  }
}

function interpolateVariables(sql: string, ctx: MacroContext): string {
  const builtins: Record<string, string> = { __interval: formatInterval(ctx.intervalMs), __interval_ms: String(ctx.intervalMs) };
  const lookup = (name: string, format?: string): string => {
    if (name in builtins) return builtins[name];
    const v = ctx.variables[name];
    if (v === undefined) throw new Error(`template variable $${name} has no value`);
    return formatVariable(v, format);
  };
  return sql
    .replace(/\$\{(\w+)(?::(\w+))?\}/g, (_m, name: string, format?: string) => lookup(name, format))
    .replace(/\$(__interval_ms|__interval)\b/g, (_m, name: string) => builtins[name])
    .replace(/\$(?!__)([A-Za-z]\w*)/g, (_m, name: string) => lookup(name));
}

/** Splits a macro's argument list at top-level commas. */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

function expandMacro(name: string, args: string[], ctx: MacroContext): string {
  const from = `'${rfc3339Nano(ctx.from)}'`;
  const to = `'${rfc3339Nano(ctx.to)}'`;
  switch (name) {
    case '__timeFilter':
      if (args.length !== 1) throw new Error('$__timeFilter needs one time column');
      return `${args[0]} BETWEEN ${from} AND ${to}`;
    case '__timeFrom':
      return from;
    case '__timeTo':
      return to;
    case '__timeGroup':
    case '__timeGroupAlias': {
      if (args.length < 2) throw new Error(`$${name} needs a time column and an interval`);
      const s = parseInterval(args[1]);
      const group = `floor(extract(epoch from ${args[0]})/${s})*${s}`;
      return name === '__timeGroupAlias' ? `${group} AS "time"` : group;
    }
    default:
      throw new Error(`macro $${name} is not supported by this expander`);
  }
}

export function expandGrafanaSql(sql: string, ctx: MacroContext): string {
  let out = interpolateVariables(sql, ctx);
  // macros with an argument list; innermost first is not needed (none nest in practice)
  for (;;) {
    const m = /\$(__\w+)\(/.exec(out);
    if (!m) break;
    const start = m.index;
    let depth = 0;
    let end = -1;
    for (let i = start + m[0].length - 1; i < out.length; i++) {
      if (out[i] === '(') depth++;
      if (out[i] === ')' && --depth === 0) {
        end = i;
        break;
      }
    }
    if (end < 0) throw new Error(`unbalanced parentheses after $${m[1]}`);
    const args = splitArgs(out.slice(start + m[0].length, end));
    out = out.slice(0, start) + expandMacro(m[1], args, ctx) + out.slice(end + 1);
  }
  const left = /\$\{?\w+/.exec(out);
  if (left) throw new Error(`unexpanded ${left[0]} in: ${out}`);
  return out;
}
