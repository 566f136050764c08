#!/usr/bin/env bash
# Creates (once) the virtual environment that fovea's Python tools and tests use, from tools/requirements.txt
# or the requirements file given. Prints the venv's python path. Only targets that need Python call this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
requirements=${1:-$root/tools/requirements.txt}
venv=${FOVEA_VENV:-$root/build/venv}
stamp="$venv/.stamp-$(sha256sum "$requirements" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install -q --upgrade pip >&2
  "$venv/bin/python" -m pip install -q -r "$requirements" >&2
  touch "$stamp"
fi
echo "$venv/bin/python"
