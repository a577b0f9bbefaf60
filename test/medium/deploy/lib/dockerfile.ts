/**
 * A small Dockerfile reader: instructions (continuation lines joined, comments and parser
 * directives dropped), stages, and what a target stage inherits (ENTRYPOINT, CMD, USER,
 * EXPOSE) through its FROM chain. Plus .dockerignore matching as Docker does it: patterns
 * in order, the last match wins, `!` re-includes, a match on a folder covers what is in it.
 */
import { globToRegExp } from './repo-files';

export interface Instruction {
  op: string; // upper-case: FROM, RUN, COPY, …
  args: string;
  line: number;
}

export interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let raw = lines[i];
    if (/^\s*(#|$)/.test(raw)) continue;
    while (raw.trimEnd().endsWith('\\') && i + 1 < lines.length) {
      raw = raw.trimEnd().slice(0, -1) + ' ';
      i++;
      if (!/^\s*#/.test(lines[i])) raw += lines[i].trim();
    }
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(raw);
    if (!m) throw new Error(`Dockerfile:${start + 1}: cannot read ${JSON.stringify(raw)}`);
    const ins = { op: m[1].toUpperCase(), args: m[2].trim().replace(/\s+/g, ' '), line: start + 1 };
    if (ins.op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!f) throw new Error(`Dockerfile:${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ name: f[2] ?? String(stages.length), base: f[1], instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`Dockerfile:${ins.line}: ${ins.op} before FROM`);
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return stages;
}

/** The stage and every stage it is built FROM, the target last. */
export function chain(stages: Stage[], target: string): Stage[] {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const out: Stage[] = [];
  for (let s = byName.get(target); s; s = byName.get(s.base)) out.unshift(s);
  if (out.length === 0) throw new Error(`no stage named ${target}`);
  return out;
}

/** The last value of `op` along the chain (what the image ends up with). */
export function effective(stages: Stage[], target: string, op: string): string | undefined {
  let v: string | undefined;
  for (const s of chain(stages, target)) for (const i of s.instructions) if (i.op === op) v = i.args;
  return v;
}

/** The external image a target is ultimately built on. */
export function rootImage(stages: Stage[], target: string): string {
  return chain(stages, target)[0].base;
}

/** A JSON-array (exec form) instruction argument, or throws. */
export function execForm(args: string | undefined): string[] {
  const v = JSON.parse(args ?? 'null') as unknown;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return v as string[];
}

/** COPY sources from the build context (not --from another stage). */
export function contextSources(stage: Stage): string[] {
  return stage.instructions
    .filter((i) => i.op === 'COPY' && !/--from=/.test(i.args))
    .flatMap((i) => {
      const parts = i.args.split(' ').filter((p) => !p.startsWith('--'));
      return parts.slice(0, -1);
    });
}

/** Whether .dockerignore keeps `file` (a path relative to the context) in the build context. */
export function inContext(dockerignore: string, file: string): boolean {
  const clean = file.replace(/^\.\//, '').replace(/\/$/, '');
  let included = true;
  for (const rawLine of dockerignore.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const pattern = (negate ? line.slice(1) : line).replace(/^\//, '').replace(/\/$/, '');
    const re = globToRegExp(pattern);
    // a pattern matches the path itself or one of its parent folders
    const parts = clean.split('/');
    const hit = parts.some((_, n) => re.test(parts.slice(0, n + 1).join('/')));
    if (hit) included = negate;
  }
  return included;
}
