"""Build (or reuse from cache) an mmcv wheel with compiled ops for the current environment.

PyPI only ships mmcv as a source distribution for current Python/torch. Building that sdist
fails on a stock environment for two reasons, both fixed here reproducibly:

1. ``setup.py`` imports ``pkg_resources`` - the build runs in the target environment
   (``--no-build-isolation``) where requirements/build.txt pins ``setuptools<82``.
2. ``setup.py`` forces ``-std=c++14``/``-std=c++17`` while torch >= 2.10 headers need C++20 -
   the unpacked ``setup.py`` is patched to ``-std=c++20`` before building.

The wheel is cached under ``$MMRSFM_CACHE`` (default ``~/.cache/mmrsfm``), keyed by the mmcv,
torch, Python and CUDA (or ``cpu``) versions and, for CUDA, the architecture list, so a second
set-up only installs it.

CUDA ops are built when torch sees a GPU (mmcv's own rule) or when ``MMRSFM_FORCE_CUDA=1``
(a build machine without a GPU). ``MMRSFM_FORCE_CUDA=0`` forces CPU ops. The CUDA compiler is a
system ``nvcc`` of torch's CUDA release, else the matching ``nvidia-cuda-nvcc`` wheels installed
into the environment (``cuda_toolkit.py``; ``MMRSFM_NVCC=none`` ignores system toolkits). The
architectures are ``$TORCH_CUDA_ARCH_LIST``, else ``cuda_toolkit.DEFAULT_CUDA_ARCH_LIST``.

The wheel replaces an installed mmcv that differs from it (``pip install WHEEL`` alone keeps an
installed mmcv of the same version: a CPU build would stay in place of a CUDA one).

Usage::

    python tools/install/build_mmcv.py --version 2.1.0 [--jobs N] [--rebuild] [--no-install]
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cuda_toolkit  # noqa: E402  (next to this file)

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


def torch_cuda_version() -> str:
    """torch's CUDA version (``'13.0'``); fails clearly for a CPU-only torch."""
    import torch
    if not torch.version.cuda:
        raise RuntimeError(f'a CUDA build of mmcv was asked for (MMRSFM_FORCE_CUDA=1 or a visible '
                           f'GPU) but torch {torch.__version__} is a CPU-only build '
                           '(torch.version.cuda is None)')
    return cuda_toolkit.major_minor(torch.version.cuda)


def cache_key(mmcv_version: str, cuda_version: Optional[str],
              arch_list: Optional[str] = None) -> str:
    """A directory name unique to (mmcv, torch, Python, ops flavour, CUDA architectures).

    Args:
        mmcv_version (str): e.g. ``'2.1.0'``.
        cuda_version (str, optional): torch's CUDA version for a CUDA build; None for CPU ops.
        arch_list (str, optional): The ``TORCH_CUDA_ARCH_LIST`` of a CUDA build. Defaults to None.

    Returns:
        str: e.g. ``mmcv2.1.0-torch2.14.1-cp311-cpu`` or
        ``mmcv2.1.0-torch2.14.1-cp311-cu13.0-sm90``.
    """
    import torch
    if cuda_version:
        if not arch_list:
            raise ValueError('a CUDA cache key needs the architecture list')
        flavour = f'cu{cuda_toolkit.major_minor(cuda_version)}-' \
                  f'{cuda_toolkit.arch_list_key(arch_list)}'
    else:
        flavour = 'cpu'
    py = f'cp{sys.version_info.major}{sys.version_info.minor}'
    torch_version = torch.__version__.split('+')[0]
    return f'mmcv{mmcv_version}-torch{torch_version}-{py}-{flavour}'


@dataclass
class InstalledMmcv:
    """The mmcv found in an environment.

    Args:
        version (str): Its version.
        flavour (str | None): ``'cpu'``, ``'cu<X.Y>'`` (the CUDA its ops were compiled with), or
            None when ``mmcv.ops`` does not import (mmcv-lite, a broken build).
        ext_sha256 (str | None): The RECORD digest of its ``mmcv/_ext*.so``.
        error (str | None): Why ``mmcv.ops`` did not import.
    """
    version: str
    flavour: Optional[str]
    ext_sha256: Optional[str] = None
    error: Optional[str] = None


# Run in the target interpreter, in a fresh process: what the compiled library reports (mmcv's
# get_compiling_cuda_version() is 'not available' in a build without CUDA ops).
_PROBE = r"""
import json, importlib.metadata as md
try:
    dist = md.distribution('mmcv')
except md.PackageNotFoundError:
    print('\n@probe ' + json.dumps(None)); raise SystemExit
out = {'version': dist.version, 'compiling_cuda': None, 'error': None, 'ext_sha256': next(
    (f.hash.value for f in (dist.files or []) if f.hash and len(f.parts) == 2
     and f.parts[0] == 'mmcv' and f.name.startswith('_ext')), None)}
print('\n@probe ' + json.dumps(out), flush=True)  # kept if importing the ops kills the process
try:
    from mmcv.ops import get_compiling_cuda_version
    out['compiling_cuda'] = get_compiling_cuda_version()
except Exception as exc:
    out['error'] = f'{type(exc).__name__}: {exc}'
print('\n@probe ' + json.dumps(out))
"""


def flavour_of(compiling_cuda_version: str) -> str:
    """Ops flavour from ``mmcv.ops.get_compiling_cuda_version()``: ``'cpu'`` or ``'cu13.0'``.

    Args:
        compiling_cuda_version (str): ``'not available'`` for a CPU build, else e.g. ``'13.0'``.

    Returns:
        str: ``'cpu'`` or ``'cu<major>.<minor>'``.
    """
    version = compiling_cuda_version.strip()
    if not re.match(r'^\d+\.\d+', version):
        return 'cpu'
    return 'cu' + cuda_toolkit.major_minor(version)


def installed_mmcv(python: str = sys.executable) -> Optional[InstalledMmcv]:
    """The mmcv installed in ``python``'s environment, or None.

    Args:
        python (str): Interpreter of the environment. Defaults to ``sys.executable``.

    Returns:
        InstalledMmcv | None: None when no ``mmcv`` distribution is installed.
    """
    result = subprocess.run([python, '-c', _PROBE], capture_output=True, text=True, check=False,
                            env=dict(os.environ, PYTHONWARNINGS='ignore'))
    lines = [line[len('@probe '):] for line in result.stdout.splitlines()
             if line.startswith('@probe ')]
    if not lines:
        raise RuntimeError(f'probing the installed mmcv with {python} failed '
                           f'(exit {result.returncode}):\n{result.stderr[-2000:]}')
    data = json.loads(lines[-1])
    if data is None:
        return None
    if result.returncode != 0:  # e.g. a crash while loading mmcv/_ext: ops not usable
        data['error'] = f'importing mmcv.ops exited {result.returncode}: {result.stderr[-500:]}'
    cuda = data.pop('compiling_cuda')
    return InstalledMmcv(flavour=None if cuda is None else flavour_of(cuda), **data)


def wheel_ext_sha256(wheel: Path) -> str:
    """The RECORD digest of the ``mmcv/_ext*.so`` inside an mmcv wheel.

    Args:
        wheel (Path): An mmcv wheel with compiled ops.

    Returns:
        str: The urlsafe-base64 sha256, as pip records it for the installed file.
    """
    with zipfile.ZipFile(wheel) as zf:
        records = [n for n in zf.namelist() if n.endswith('.dist-info/RECORD')]
        if len(records) != 1:
            raise RuntimeError(f'{wheel}: expected one .dist-info/RECORD, found {records}')
        for line in zf.read(records[0]).decode().splitlines():
            path, _, rest = line.partition(',')
            if re.fullmatch(r'mmcv/_ext[^/]*\.so', path):
                digest = rest.split(',')[0]
                if digest.startswith('sha256='):
                    return digest[len('sha256='):]
    raise RuntimeError(f'{wheel}: no mmcv/_ext*.so with a sha256 in its RECORD (a wheel without '
                       'compiled ops?)')


def install_command(wheel: Path, installed: Optional[InstalledMmcv]) -> Optional[List[str]]:
    """The ``pip`` arguments that make ``wheel`` the installed mmcv, or None if it already is.

    Args:
        wheel (Path): The wanted wheel.
        installed (InstalledMmcv, optional): What is installed now.

    Returns:
        list[str] | None: ``['install', WHEEL]`` when no mmcv is installed (with its
        dependencies), None when the installed ``_ext`` is the wheel's, else
        ``['install', '--force-reinstall', '--no-deps', WHEEL]`` (plain ``pip install`` would keep
        an installed mmcv of the same version, e.g. the other flavour).
    """
    if installed is None:
        return ['install', str(wheel)]
    if installed.ext_sha256 is not None and installed.ext_sha256 == wheel_ext_sha256(wheel):
        return None
    return ['install', '--force-reinstall', '--no-deps', str(wheel)]


def keeps_installed(installed: Optional[InstalledMmcv], mmcv_version: str, flavour: str) -> bool:
    """Whether an installed mmcv already is what a build would produce (version and flavour).

    Args:
        installed (InstalledMmcv, optional): What is installed now.
        mmcv_version (str): The wanted version.
        flavour (str): ``'cpu'`` or ``'cu<X.Y>'``.

    Returns:
        bool: True when version and ops flavour match (its CUDA architectures are not checked).
    """
    return (installed is not None and installed.version == mmcv_version
            and installed.flavour == flavour)


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
        raise FileNotFoundError(
            f'pip download did not produce mmcv-{mmcv_version}.tar.gz in {dest}')
    return Path(archives[0])


def build_wheel(mmcv_version: str, out_dir: Path, jobs: int,
                toolkit: Optional[cuda_toolkit.CudaToolkit] = None,
                arch_list: Optional[str] = None) -> Path:
    """Download, patch and compile the mmcv sdist; return the wheel written in ``out_dir``.

    Args:
        mmcv_version (str): mmcv version to build.
        out_dir (Path): Where the wheel is written.
        jobs (int): Parallel compile jobs.
        toolkit (CudaToolkit, optional): The CUDA compiler for CUDA ops; None builds CPU ops only.
        arch_list (str, optional): ``TORCH_CUDA_ARCH_LIST`` of a CUDA build.

    Returns:
        Path: The wheel.
    """
    with_cuda = toolkit is not None
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
        if with_cuda:
            env = toolkit.build_env(env)
            env['FORCE_CUDA'] = '1'
            env['TORCH_CUDA_ARCH_LIST'] = arch_list
            what = (f'CUDA+CPU, nvcc {toolkit.release} in {toolkit.cuda_home}, '
                    f'TORCH_CUDA_ARCH_LIST={arch_list}')
            expect = ('one architecture took 20-40 min on 2 cores here, each added one '
                      'about 60 % more')
        else:
            env.pop('FORCE_CUDA', None)
            # mmcv builds CUDA ops when torch sees a GPU; hide it to honour MMRSFM_FORCE_CUDA=0.
            env['CUDA_VISIBLE_DEVICES'] = ''
            what, expect = 'CPU', 'this took about 17 minutes on 2 cores here'
        build_out = tmp_path / 'dist'
        log(f'compiling mmcv {mmcv_version} ops ({what}) with {jobs} job(s); {expect}')
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
    parser.add_argument('--rebuild', action='store_true',
                        help='ignore a cached wheel and an installed mmcv of the wanted flavour')
    parser.add_argument('--no-install', action='store_true',
                        help='only build (or find) the cached wheel and print its path')
    args = parser.parse_args()

    with_cuda = cuda_wanted()
    cuda_version = torch_cuda_version() if with_cuda else None
    arch_list = cuda_toolkit.wanted_arch_list() if with_cuda else None
    flavour = f'cu{cuda_version}' if with_cuda else 'cpu'
    key = cache_key(args.version, cuda_version, arch_list)
    log(f'wanted: mmcv {args.version} with {flavour} ops'
        + (f' for TORCH_CUDA_ARCH_LIST={arch_list}' if with_cuda else '') + f' (cache key {key})')
    wheel_dir = Path(args.cache_dir) / 'wheels' / key
    cached = sorted(wheel_dir.glob('mmcv-*.whl'))
    installed = None if args.no_install else installed_mmcv()
    if cached and not args.rebuild:
        log(f'using cached wheel {cached[-1]}')
        wheel = cached[-1]
    elif not args.no_install and not args.rebuild and keeps_installed(installed, args.version,
                                                                      flavour):
        why = ' (its CUDA architectures are not checked)' if with_cuda else ''
        log(f'mmcv {installed.version} with {installed.flavour} ops is already installed and no '
            f'wheel is cached under {wheel_dir}: keeping it{why}; --rebuild builds one')
        return
    else:
        toolkit = cuda_toolkit.provision_toolkit(cuda_version) if with_cuda else None
        wheel = build_wheel(args.version, wheel_dir, args.jobs, toolkit, arch_list)
        log(f'cached wheel at {wheel} ({wheel.stat().st_size / 2**20:.1f} MiB)')
    if args.no_install:
        print(wheel)
        return
    command = install_command(wheel, installed)
    if command is None:
        log(f'the installed mmcv {installed.version} ({installed.flavour}) is this wheel')
        return
    if installed is not None:
        was = installed.flavour or f'ops not importable: {installed.error}'
        log(f'replacing the installed mmcv {installed.version} ({was}) with {wheel} ({flavour})')
    subprocess.run([sys.executable, '-m', 'pip', *command], check=True)


if __name__ == '__main__':
    main()
