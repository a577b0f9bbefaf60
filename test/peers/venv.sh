#!/usr/bin/env bash
# Python peers (Dagster, MLflow, the Seldon client, obp, an S3 server, scipy…) live in
# venvs cached under ~/.cache/bandit/venvs/<name>-<hash>, keyed by the pinned
# requirements of test/peers/<name>/requirements.txt and the Python version, so a run
# reuses them and a fresh machine rebuilds them.
#
#   test/peers/venv.sh NAME...      build (if needed) and print each venv's path
#   test/peers/venv.sh --path NAME  print the path only (no build)
#   test/peers/venv.sh all          build every peer
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${BANDIT_VENV_CACHE:-$HOME/.cache/bandit/venvs}"
python="${BANDIT_PYTHON:-python3}"

venv_path() {
  local name="$1" req="$here/$1/requirements.txt"
  [[ -f "$req" ]] || { echo "venv.sh: no peer named '$name' (missing $req)" >&2; return 2; }
  local key
  key="$( { cat "$req"; "$python" --version; } | sha256sum | cut -c1-16)"
  echo "$cache/$name-$key"
}

build() {
  local name="$1" dir
  dir="$(venv_path "$name")"
  if [[ ! -f "$dir/.complete" ]]; then
    echo "venv.sh: building peer '$name' in $dir" >&2
    rm -rf "$dir"
    mkdir -p "$cache"
    "$python" -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$here/$name/requirements.txt" >&2
    touch "$dir/.complete"
  fi
  echo "$dir"
}

if [[ "${1:-}" == "--path" ]]; then
  shift
  for n in "$@"; do venv_path "$n"; done
  exit 0
fi
if [[ "${1:-}" == "all" ]]; then
  set -- $(cd "$here" && for d in */requirements.txt; do dirname "$d"; done)
fi
[[ $# -gt 0 ]] || { echo "usage: venv.sh [--path] NAME... | all" >&2; exit 2; }
for n in "$@"; do build "$n"; done
