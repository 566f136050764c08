#!/usr/bin/env bash
# Runs tests/server with pytest from the venv scripts/python-env.sh makes (FOVEA_VENV) and the fovea binary in
# FOVEA_BIN. Extra arguments go to pytest (e.g. -k stream).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=$("$here/../../scripts/python-env.sh" "$here/requirements.txt")
exec "$python" -m pytest -q -p no:cacheprovider "$here" "$@"
