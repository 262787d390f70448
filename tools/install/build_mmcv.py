"""Build (or reuse from cache) an mmcv wheel with compiled ops for the current environment.

PyPI only ships mmcv as a source distribution for current Python/torch. Building that sdist
fails on a stock environment for two reasons, both fixed here reproducibly:

1. ``setup.py`` imports ``pkg_resources`` - the build runs in the target environment
   (``--no-build-isolation``) where requirements/build.txt pins ``setuptools<82``.
2. ``setup.py`` forces ``-std=c++14``/``-std=c++17`` while torch >= 2.10 headers need C++20 -
   the unpacked ``setup.py`` is patched to ``-std=c++20`` before building.

The wheel is cached under ``$MMRSFM_CACHE`` (default ``~/.cache/mmrsfm``), keyed by the mmcv,
torch, Python and CUDA (or ``cpu``) versions, so a second set-up only installs it.

CUDA ops are built when torch sees a GPU (mmcv's own rule) or when ``MMRSFM_FORCE_CUDA=1``
(a build machine with the CUDA toolkit but no GPU). ``MMRSFM_FORCE_CUDA=0`` forces CPU ops.

Usage::

    python tools/install/build_mmcv.py --version 2.1.0 [--jobs N] [--print-path]
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

CXX_STD_PATTERN = re.compile(r'-std=c\+\+1[147]')


def log(msg: str) -> None:
    print(f'[build_mmcv] {msg}', flush=True)


def cuda_wanted() -> bool:
    """Whether to compile mmcv's CUDA ops (mirrors mmcv's rule, with an override)."""
    forced = os.environ.get('MMRSFM_FORCE_CUDA')
    if forced is not None:
        return forced == '1'
    import torch
    return torch.cuda.is_available()


def cache_key(mmcv_version: str, with_cuda: bool) -> str:
    """A directory name unique to (mmcv, torch, Python, ops flavour)."""
    import torch
    flavour = f'cu{torch.version.cuda}' if with_cuda and torch.version.cuda else 'cpu'
    py = f'cp{sys.version_info.major}{sys.version_info.minor}'
    torch_version = torch.__version__.split('+')[0]
    return f'mmcv{mmcv_version}-torch{torch_version}-{py}-{flavour}'


def patch_setup_py(setup_py: Path) -> int:
    """Raise every ``-std=c++1x`` flag in mmcv's setup.py to ``-std=c++20``.

    Returns:
        The number of flags replaced (0 means the sdist layout changed: fail loudly).
    """
    text = setup_py.read_text()
    patched, count = CXX_STD_PATTERN.subn('-std=c++20', text)
    setup_py.write_text(patched)
    return count


def download_sdist(mmcv_version: str, dest: Path) -> Path:
    subprocess.run([
        sys.executable, '-m', 'pip', 'download', '--no-deps', '--no-binary', ':all:',
        '--no-build-isolation', '-d', str(dest), f'mmcv=={mmcv_version}'
    ], check=True)
    archives = glob.glob(str(dest / f'mmcv-{mmcv_version}.tar.gz'))
    if not archives:
        raise FileNotFoundError(f'pip download did not produce mmcv-{mmcv_version}.tar.gz in {dest}')
    return Path(archives[0])


def build_wheel(mmcv_version: str, out_dir: Path, jobs: int, with_cuda: bool) -> Path:
    """Download, patch and compile the mmcv sdist; return the wheel written in ``out_dir``."""
    with tempfile.TemporaryDirectory(prefix='mmrsfm-mmcv-') as tmp:
        tmp_path = Path(tmp)
        archive = download_sdist(mmcv_version, tmp_path)
        with tarfile.open(archive) as tar:
            tar.extractall(tmp_path, filter='data')
        src = tmp_path / f'mmcv-{mmcv_version}'
        replaced = patch_setup_py(src / 'setup.py')
        if replaced == 0:
            raise RuntimeError(f'{src / "setup.py"}: no -std=c++1x flag found to patch; '
                               'the mmcv sdist layout changed, review tools/install/build_mmcv.py')
        log(f'patched {replaced} C++ standard flag(s) to -std=c++20 in setup.py')
        env = dict(os.environ, MMCV_WITH_OPS='1', MAX_JOBS=str(jobs))
        # No debug info (-g0 overrides Python's -g): a faster compile and a much smaller wheel.
        env['CFLAGS'] = (env.get('CFLAGS', '') + ' -g0').strip()
        env['FORCE_CUDA'] = '1' if with_cuda else '0'
        if not with_cuda:
            env.pop('FORCE_CUDA')
            # mmcv builds CUDA ops when torch sees a GPU; hide it to honour MMRSFM_FORCE_CUDA=0.
            env['CUDA_VISIBLE_DEVICES'] = ''
        build_out = tmp_path / 'dist'
        log(f'compiling mmcv {mmcv_version} ops ({"CUDA+CPU" if with_cuda else "CPU"}) '
            f'with {jobs} job(s); this took about 17 minutes on 2 cores here')
        start = time.time()
        subprocess.run([
            sys.executable, '-m', 'pip', 'wheel', '--no-build-isolation', '--no-deps', '-w',
            str(build_out), '.'
        ], cwd=src, env=env, check=True)
        log(f'compiled in {time.time() - start:.0f} s')
        wheels = list(build_out.glob('mmcv-*.whl'))
        if len(wheels) != 1:
            raise RuntimeError(f'expected one mmcv wheel in {build_out}, found {wheels}')
        out_dir.mkdir(parents=True, exist_ok=True)
        # Copy then rename: a concurrent or interrupted set-up never sees a half-written wheel.
        partial = out_dir / (wheels[0].name + '.partial')
        shutil.copy2(wheels[0], partial)
        final = out_dir / wheels[0].name
        os.replace(partial, final)
        return final


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--version', default='2.1.0', help='mmcv version to build')
    parser.add_argument('--jobs', type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        '--cache-dir',
        default=os.environ.get('MMRSFM_CACHE', str(Path.home() / '.cache' / 'mmrsfm')))
    parser.add_argument('--rebuild', action='store_true', help='ignore a cached wheel')
    args = parser.parse_args()

    with_cuda = cuda_wanted()
    wheel_dir = Path(args.cache_dir) / 'wheels' / cache_key(args.version, with_cuda)
    cached = sorted(wheel_dir.glob('mmcv-*.whl'))
    if cached and not args.rebuild:
        log(f'using cached wheel {cached[-1]}')
        wheel = cached[-1]
    else:
        wheel = build_wheel(args.version, wheel_dir, args.jobs, with_cuda)
        log(f'cached wheel at {wheel}')
    subprocess.run([sys.executable, '-m', 'pip', 'install', str(wheel)], check=True)


if __name__ == '__main__':
    main()
