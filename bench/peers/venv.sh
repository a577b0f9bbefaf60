#!/usr/bin/env bash
# Python peers of the benchmarks: builds (if needed) and prints the venv of each named peer,
# or of every peer with `all`. A benchmark-only peer is bench/peers/<name>/requirements.txt;
# a peer shared with the tests is test/peers/<name>. Same cache as test/peers/venv.sh
# (~/.cache/bandit/venvs/<name>-<hash of the pinned requirements and the Python version>).
# The benchmarks build what they need on first use; this script builds ahead of a run.
#
#   bench/peers/venv.sh fastapi-router numpy
#   bench/peers/venv.sh all
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ "${1:-}" == "all" ]]; then
  # obp installs on top of its venv without its metadata checks (test/peers/obp/install-obp.sh)
  bash "$here/../../test/peers/obp/install-obp.sh"
  set -- $(cd "$here" && for d in */requirements.txt; do dirname "$d"; done) seldon
fi
[[ $# -gt 0 ]] || { echo "usage: bench/peers/venv.sh NAME... | all" >&2; exit 2; }
for n in "$@"; do
  node -e 'process.stdout.write(require(process.argv[1]).peerVenv(process.argv[2]) + "\n")' "$here/../lib/venv.js" "$n"
done
