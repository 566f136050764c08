#!/usr/bin/env bash
# On the GPU machine: the server's API tests (tests/server, official openai client) against `fovea serve` on the GPU
# (FOVEA_TEST_DEVICE=cuda), then the planner-versus-server memory check. Python packages the image lacks travel as
# wheels in .whl/ (see /work/.library/device/README.md); they are installed into /tmp/site first.
# Usage: tools/gpu/run-gpu-serving.sh BIN_DIR [PYTEST_ARGS...]   (default: the whole of tests/server)
set -u -o pipefail
bin_dir=$1; shift
if [[ -d .whl ]]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
# The carried libraries are for fovea only (Python and torch keep the image's own), so fovea runs through a wrapper.
bin_dir=$(cd "$bin_dir" && pwd)
wrapper=$(mktemp -d)/fovea
printf '#!/bin/sh\nLD_LIBRARY_PATH=%s/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-} exec %s/fovea "$@"\n' \
  "$bin_dir" "$bin_dir" >"$wrapper"
chmod +x "$wrapper"
export FOVEA_BIN=$wrapper
# tests/server's servers run on the CPU unless told otherwise.
export FOVEA_TEST_DEVICE=cuda
echo "== server API tests on $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
if [[ $# == 0 ]]; then set -- tests/server; fi
python3 -m pytest -q -p no:cacheprovider "$@"
tests_rc=$?
echo "== server tests: exit $tests_rc"
echo "== plan vs server"
tools/gpu/check-plan-vs-server.sh "$FOVEA_BIN" qwen3-vl-8b 32768
plan_rc=$?
echo "== plan check: exit $plan_rc"
[[ $tests_rc == 0 && $plan_rc == 0 ]]
