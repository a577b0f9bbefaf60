import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../common/paths';

const cache = new Map<string, string>();

/**
 * Source of one Lua script of src/posterior-store/lua (beside the compiled file, else in the
 * project's src/); a line `--#include <name>` is replaced by the source of `<name>.lua`.
 */
export function luaScript(name: 'select' | 'reward' | 'write-state' | 'set-status' | 'status-rank' | 'swap-status' | 'expire-decision' | 'arm-reward' | 'settle' | 'rate'): string {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const candidates = [path.join(__dirname, 'lua', `${name}.lua`), path.join(projectRoot(), 'src', 'posterior-store', 'lua', `${name}.lua`)];
  const file = candidates.find((p) => fs.existsSync(p));
  if (!file) throw new Error(`Lua script ${name}.lua not found (looked in ${candidates.join(', ')})`);
  const src = fs.readFileSync(file, 'utf8').replace(/^--#include ([a-z-]+)$/gm, (_, inc: string) => luaScript(inc as Parameters<typeof luaScript>[0]));
  cache.set(name, src);
  return src;
}
