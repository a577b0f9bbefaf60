#!/usr/bin/env bash
# Builds (or reuses) the obp peer venv and installs obp itself into it, bypassing obp's
# out-of-date metadata pins (Python <3.11, torch 1.12). Prints the venv's python.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OBP_VERSION="${OBP_VERSION:-0.5.7}"
venv="$(bash "$here/../venv.sh" obp)"
if ! "$venv/bin/python" -c "import obp, sys; sys.exit(0 if obp.__version__ == '$OBP_VERSION' else 1)" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --ignore-requires-python "obp==$OBP_VERSION" >&2
fi
echo "$venv/bin/python"
