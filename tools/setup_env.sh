#!/usr/bin/env bash
# One-command set-up of mmrsfm: an isolated venv with torch, the OpenMMLab 2.x stack (mmcv built
# from source with its ops when no wheel fits, cached for later set-ups), and mmrsfm itself.
#
#   bash tools/setup_env.sh            # venv in ./.venv
#   MMRSFM_VENV=/path/to/venv bash tools/setup_env.sh
#
# Environment knobs: MMRSFM_VENV (venv path), MMRSFM_PYTHON (interpreter to create it with),
# MMRSFM_CACHE (wheel cache, default ~/.cache/mmrsfm), MMRSFM_FORCE_CUDA (1: build mmcv CUDA ops
# without a visible GPU; 0: CPU ops only), TORCH_CUDA_ARCH_LIST (GPU architectures of a CUDA
# build; default in tools/install/cuda_toolkit.py), MMRSFM_NVCC (an nvcc to use, or 'none' to
# ignore system CUDA toolkits and use the PyPI compiler), MAX_JOBS (compile jobs).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${MMRSFM_VENV:-$repo_root/.venv}
python_bin=${MMRSFM_PYTHON:-python3}
jobs=${MAX_JOBS:-$(nproc)}
start=$(date +%s)

step() { echo "[setup_env] $(( $(date +%s) - start ))s: $*"; }

if [ ! -x "$venv/bin/python" ]; then
  step "creating venv at $venv with $($python_bin --version)"
  "$python_bin" -m venv "$venv"
fi
py="$venv/bin/python"
pip_install() { "$py" -m pip install --disable-pip-version-check "$@"; }

step "installing pip tooling and the mmcv build environment"
pip_install -q --upgrade pip
pip_install -q -r "$repo_root/requirements/build.txt"

step "installing torch (requirements/torch.txt)"
pip_install -q -r "$repo_root/requirements/torch.txt"

mmcv_version=$(sed -n 's/^mmcv==\([0-9.]*\).*/\1/p' "$repo_root/requirements/mminstall.txt")
# build_mmcv.py keeps an installed mmcv of the wanted version and ops flavour (CPU or torch's
# CUDA), else installs the cached wheel or builds one (for CUDA, with a matching nvcc: the
# system's or, failing that, nvidia-cuda-nvcc from PyPI installed into the venv).
step "mmcv $mmcv_version with ops (installed, cached wheel, or a build from source)"
"$py" "$repo_root/tools/install/build_mmcv.py" --version "$mmcv_version" --jobs "$jobs"

step "installing the OpenMMLab stack (requirements/mminstall.txt)"
grep -v -e '^mmrotate-dev' -e '^mmcv' "$repo_root/requirements/mminstall.txt" > "$venv/mminstall-nodev.txt"
pip_install -q -r "$venv/mminstall-nodev.txt" "mmcv==$mmcv_version"
# mmrotate-dev's `mim` extras pin old mmcv/mmdet ranges; its real dependencies are the stack above.
pip_install -q --no-deps "$(grep '^mmrotate-dev' "$repo_root/requirements/mminstall.txt")"

step "installing mmrsfm with its runtime requirements, every extra and the test requirements"
pip_install -q -r "$repo_root/requirements/runtime.txt" -r "$repo_root/requirements/tests.txt" \
    -r "$repo_root/requirements/curation.txt" -r "$repo_root/requirements/samrs.txt" \
    -r "$repo_root/requirements/deblora.txt" -r "$repo_root/requirements/conversion.txt"
pip_install -q --no-deps -r "$repo_root/requirements/tests-nodeps.txt"
pip_install -q --no-deps --no-build-isolation -e "$repo_root"

step "checking the installation"
"$py" "$repo_root/tools/misc/check_env.py"
step "done: activate with 'source $venv/bin/activate'"
