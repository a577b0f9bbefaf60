/**
 * Python venvs of the benchmark peers. A peer of the tests (test/peers/<name>) is built by
 * test/peers/venv.sh; a benchmark-only peer (bench/peers/<name>/requirements.txt) is built
 * the same way, into the same cache (~/.cache/bandit/venvs/<name>-<hash of the pinned
 * requirements and the Python version>), so a run reuses it and a fresh machine rebuilds it.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const CACHE = process.env.BANDIT_VENV_CACHE || path.join(os.homedir(), '.cache', 'bandit', 'venvs');
const PYTHON = process.env.BANDIT_PYTHON || 'python3';

/** The venv folder of a peer, built when missing. */
function peerVenv(name) {
  const testReq = path.join(ROOT, 'test', 'peers', name, 'requirements.txt');
  if (fs.existsSync(testReq)) {
    const out = execFileSync('bash', [path.join(ROOT, 'test', 'peers', 'venv.sh'), name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 900000 });
    return out.trim().split('\n').pop();
  }
  const req = path.join(ROOT, 'bench', 'peers', name, 'requirements.txt');
  if (!fs.existsSync(req)) throw new Error(`no peer named ${name} (neither test/peers/${name} nor bench/peers/${name} has a requirements.txt)`);
  const version = execFileSync(PYTHON, ['--version'], { encoding: 'utf8' });
  const key = crypto.createHash('sha256').update(fs.readFileSync(req)).update(version).digest('hex').slice(0, 16);
  const dir = path.join(CACHE, `${name}-${key}`);
  if (!fs.existsSync(path.join(dir, '.complete'))) {
    process.stderr.write(`building peer venv ${name} in ${dir}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(CACHE, { recursive: true });
    const opts = { stdio: ['ignore', 'ignore', 'inherit'], timeout: 900000 };
    execFileSync(PYTHON, ['-m', 'venv', dir], opts);
    execFileSync(path.join(dir, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', req], opts);
    fs.writeFileSync(path.join(dir, '.complete'), '');
  }
  return dir;
}

module.exports = { peerVenv };
