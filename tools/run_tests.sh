#!/usr/bin/env bash
# Run the test suite in the set-up environment (tools/setup_env.sh): bash tools/run_tests.sh [pytest args]
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${MMRSFM_VENV:-$repo_root/.venv}
cd "$repo_root"
exec "$venv/bin/python" -m pytest tests "$@"
