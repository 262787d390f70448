"""Find, or provision from PyPI, the CUDA compiler that builds mmcv's CUDA ops for this torch.

torch's extension builder needs an ``nvcc`` of torch's CUDA major version (it refuses another
major, and a different minor is a risk); most GPU machines have none, or an older 12.x toolkit.
Since CUDA 13 NVIDIA ships the compiler as wheels (``nvidia-cuda-nvcc``, ``nvidia-nvvm``,
``nvidia-cuda-crt``, ``nvidia-cuda-cccl``) that unpack, like the CUDA runtime torch already
depends on, under ``site-packages/nvidia/cu13/``. This module:

1. looks for a system ``nvcc`` (``$MMRSFM_NVCC``, ``$CUDA_HOME``/``$CUDA_PATH``, ``PATH``,
   ``/usr/local/cuda``) whose release (major.minor) equals ``torch.version.cuda``, and says why
   every other candidate is not used;
2. otherwise installs the matching compiler wheels into the running environment and composes a
   ``CUDA_HOME`` from ``site-packages/nvidia/cu<major>/`` as a symlink farm (the installed packages
   are never modified): ``bin``, ``include``, ``nvvm``, a ``lib`` with unversioned ``lib*.so``
   links (``-lcudart`` needs ``libcudart.so``), and ``lib64 -> lib``.

``MMRSFM_NVCC=none`` ignores every system toolkit (this is how the PyPI path is exercised on a
machine that has one); ``MMRSFM_NVCC=/path/to/nvcc`` considers only that compiler.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence

#: The default ``TORCH_CUDA_ARCH_LIST``: every data-centre and workstation GPU architecture that
#: CUDA 13 compiles for (nvcc 13.0 ``--list-gpu-arch``: 7.5 8.0 8.6 8.7 8.8 8.9 9.0 10.0 10.3 11.0
#: 12.0 12.1), with PTX of the newest for JIT compilation on later GPUs.
#:
#: - 7.5 Turing (T4, Quadro RTX), 8.0 A100/A30, 8.6 A10/A40/RTX A6000/RTX 30xx,
#:   8.9 L4/L40(S)/RTX 6000 Ada/RTX 40xx, 9.0 H100/H200/GH200, 10.0 B200/GB200, 10.3 B300/GB300,
#:   12.0 RTX PRO 6000 Blackwell/RTX 50xx (+PTX).
#: - Left out: 8.7 (Jetson Orin) and 8.8 (not accepted by torch 2.14's extension builder) are
#:   embedded parts, and run the sm_86 code anyway (a cubin runs on later minor revisions of its
#:   major); 12.1 (GB10, DGX Spark) runs the sm_120 code the same way; 11.0 (Jetson/DRIVE Thor) is
#:   embedded and not covered: set ``TORCH_CUDA_ARCH_LIST`` to include it.
DEFAULT_CUDA_ARCH_LIST = '7.5;8.0;8.6;8.9;9.0;10.0;10.3;12.0+PTX'

#: The PyPI packages that make up the CUDA compiler (driver, NVVM/cicc, crt headers, CCCL).
COMPILER_PACKAGES = ('nvidia-cuda-nvcc', 'nvidia-nvvm', 'nvidia-cuda-crt', 'nvidia-cuda-cccl')

#: Name of the composed ``CUDA_HOME`` folder under the environment's prefix.
COMPOSED_HOME_NAME = 'mmrsfm-cuda-home'

NVCC_RELEASE = re.compile(r'release (\d+)\.(\d+)')
ARCH_TOKEN = re.compile(r'^\d+\.\d+a?(\+PTX)?$')


def log(msg: str) -> None:
    print(f'[cuda_toolkit] {msg}', flush=True)


def major_minor(version: str) -> str:
    """Reduce a CUDA version such as ``'13.0.88'`` to ``'13.0'``.

    Args:
        version (str): A dotted version with at least major and minor.

    Returns:
        str: ``'<major>.<minor>'``.
    """
    parts = version.strip().split('.')
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        raise ValueError(f'expected a CUDA version like "13.0", found {version!r}')
    return f'{int(parts[0])}.{int(parts[1])}'


def nvcc_release(nvcc: str, timeout: float = 60) -> Optional[str]:
    """The CUDA release (``'major.minor'``) an ``nvcc`` reports, or None if it cannot tell.

    Args:
        nvcc (str): Path of the ``nvcc`` executable.
        timeout (float): Seconds to wait for ``nvcc --version``. Defaults to 60.

    Returns:
        str | None: e.g. ``'12.4'`` from the ``Cuda compilation tools, release 12.4, V12.4.131``
        line; None if the file does not run or prints no release line.
    """
    try:
        out = subprocess.run([nvcc, '--version'], capture_output=True, text=True,
                             timeout=timeout, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = NVCC_RELEASE.search(out)
    return f'{match.group(1)}.{match.group(2)}' if match else None


def normalise_arch_list(arch_list: str) -> str:
    """Canonical form of a ``TORCH_CUDA_ARCH_LIST`` (``;`` or space separated).

    Args:
        arch_list (str): e.g. ``'9.0 12.0+ptx'`` or ``'8.0;9.0'``.

    Returns:
        str: The entries joined by ``;``, ``+PTX`` upper-cased, duplicates dropped, order kept.
    """
    tokens: List[str] = []
    for raw in re.split(r'[;\s]+', arch_list.strip()):
        if not raw:
            continue
        token = re.sub(r'\+ptx$', '+PTX', raw, flags=re.IGNORECASE)
        if not ARCH_TOKEN.match(token):
            raise ValueError(f'TORCH_CUDA_ARCH_LIST entry {raw!r} in {arch_list!r}: expected '
                             'entries like "9.0", "9.0a" or "12.0+PTX"')
        if token not in tokens:
            tokens.append(token)
    if not tokens:
        raise ValueError(f'TORCH_CUDA_ARCH_LIST {arch_list!r} names no architecture')
    return ';'.join(tokens)


def wanted_arch_list(env: Optional[Mapping[str, str]] = None) -> str:
    """The architectures to compile for: the user's ``TORCH_CUDA_ARCH_LIST``, else the default.

    Args:
        env (Mapping[str, str], optional): Environment to read. Defaults to ``os.environ``.

    Returns:
        str: A normalised arch list (see :func:`normalise_arch_list`).
    """
    env = os.environ if env is None else env
    return normalise_arch_list(env.get('TORCH_CUDA_ARCH_LIST') or DEFAULT_CUDA_ARCH_LIST)


def arch_list_key(arch_list: str) -> str:
    """A short, path-safe cache-key part naming every architecture, e.g. ``sm75-90-120ptx``.

    Args:
        arch_list (str): A ``TORCH_CUDA_ARCH_LIST``.

    Returns:
        str: The normalised entries without dots, ``+PTX`` as ``ptx``, joined by ``-``.
    """
    tokens = normalise_arch_list(arch_list).split(';')
    return 'sm' + '-'.join(t.replace('.', '').replace('+PTX', 'ptx') for t in tokens)


@dataclass
class CudaToolkit:
    """A CUDA compiler chosen for the build.

    Args:
        cuda_home (Path): The folder to export as ``CUDA_HOME`` (holds ``bin/nvcc``).
        release (str): The nvcc release, ``'major.minor'``.
        source (str): ``'system'`` or ``'pypi'``.
        reason (str): Why this compiler was chosen, for the log.
    """
    cuda_home: Path
    release: str
    source: str
    reason: str = ''

    @property
    def nvcc(self) -> Path:
        return self.cuda_home / 'bin' / 'nvcc'

    def build_env(self, env: Mapping[str, str]) -> Dict[str, str]:
        """``env`` with ``CUDA_HOME``/``CUDA_PATH`` set and the toolkit's ``bin`` first on PATH."""
        out = dict(env)
        out['CUDA_HOME'] = out['CUDA_PATH'] = str(self.cuda_home)
        out['PATH'] = os.pathsep.join([str(self.cuda_home / 'bin'), env.get('PATH', '')])
        return out


@dataclass
class SystemSearch:
    """What the search for a system nvcc found: the match (if any) and why others were skipped."""
    match: Optional[CudaToolkit] = None
    rejected: List[str] = field(default_factory=list)


def nvcc_candidates(env: Optional[Mapping[str, str]] = None) -> List[Path]:
    """System ``nvcc`` paths to consider, in torch's own search order, without duplicates.

    ``MMRSFM_NVCC=none`` returns none; ``MMRSFM_NVCC=/path/to/nvcc`` returns only that path.
    Otherwise: ``$CUDA_HOME/bin/nvcc``, ``$CUDA_PATH/bin/nvcc``, ``nvcc`` on ``PATH``,
    ``/usr/local/cuda/bin/nvcc``.

    Args:
        env (Mapping[str, str], optional): Environment to read. Defaults to ``os.environ``.

    Returns:
        list[Path]: Existing candidate files.
    """
    env = os.environ if env is None else env
    override = env.get('MMRSFM_NVCC', '').strip()
    if override.lower() == 'none':
        return []
    if override:
        return [Path(override)]
    paths = [Path(env[v]) / 'bin' / 'nvcc' for v in ('CUDA_HOME', 'CUDA_PATH') if env.get(v)]
    on_path = shutil.which('nvcc', path=env.get('PATH', ''))
    if on_path:
        paths.append(Path(on_path))
    paths.append(Path('/usr/local/cuda/bin/nvcc'))
    seen, out = set(), []
    for p in paths:
        if p.is_file() and str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return out


def find_system_toolkit(wanted: str, env: Optional[Mapping[str, str]] = None) -> SystemSearch:
    """The first system nvcc whose release equals ``wanted`` and whose home has the CUDA headers.

    Args:
        wanted (str): torch's CUDA version (``torch.version.cuda``).
        env (Mapping[str, str], optional): Environment to read. Defaults to ``os.environ``.

    Returns:
        SystemSearch: ``match`` (None when no candidate fits) and one line per rejected
        candidate saying what was found.
    """
    env = os.environ if env is None else env
    wanted = major_minor(wanted)
    search = SystemSearch()
    if env.get('MMRSFM_NVCC', '').strip().lower() == 'none':
        search.rejected.append('system toolkits ignored (MMRSFM_NVCC=none)')
        return search
    for nvcc in nvcc_candidates(env):
        release = nvcc_release(str(nvcc))
        if release is None:
            search.rejected.append(f'{nvcc} does not report a CUDA release (nvcc --version)')
            continue
        if release != wanted:
            search.rejected.append(f"system nvcc {release} at {nvcc} does not match torch's "
                                   f'CUDA {wanted}')
            continue
        # torch derives CUDA_HOME as the nvcc's grandparent; a wrapper script elsewhere (e.g.
        # /usr/local/bin/nvcc) has no headers next to it.
        home = nvcc.resolve().parent.parent
        if not (home / 'include' / 'cuda_runtime.h').is_file():
            search.rejected.append(f'nvcc {release} at {nvcc} has no {home}/include/cuda_runtime.h'
                                   ' (not usable as CUDA_HOME)')
            continue
        search.match = CudaToolkit(home, release, 'system',
                                   f"system nvcc {release} at {nvcc} matches torch's CUDA")
        return search
    if not search.rejected:
        search.rejected.append('no system nvcc found ($CUDA_HOME, $CUDA_PATH, PATH, '
                               '/usr/local/cuda)')
    return search


def pypi_cuda_root(site_packages: Path, cuda_version: str) -> Path:
    """Where the CUDA wheels of ``cuda_version`` unpack: ``site-packages/nvidia/cu<major>``.

    Args:
        site_packages (Path): The environment's site-packages.
        cuda_version (str): torch's CUDA version.

    Returns:
        Path: ``site_packages / 'nvidia' / 'cu<major>'``.
    """
    major = int(major_minor(cuda_version).split('.')[0])
    if major < 13:
        raise RuntimeError(
            f"torch's CUDA is {cuda_version}: the compiler can be provisioned from PyPI only for "
            'CUDA >= 13 (wheels under site-packages/nvidia/cu13). Install the CUDA '
            f'{major_minor(cuda_version)} toolkit and set CUDA_HOME, or MMRSFM_FORCE_CUDA=0 for '
            'CPU-only ops.')
    return site_packages / 'nvidia' / f'cu{major}'


def compose_cuda_home(root: Path, dest: Path) -> Path:
    """Build a ``CUDA_HOME`` at ``dest`` from the unpacked CUDA wheels in ``root``.

    ``dest`` is recreated each time (symlinks only; nothing under ``root`` is changed):
    ``bin``, ``include``, ``nvvm`` link to ``root``'s folders, ``lib`` holds a link per file of
    ``root/lib`` plus an unversioned ``libX.so`` for every ``libX.so.N`` lacking one, and
    ``lib64`` links to ``lib``.

    Args:
        root (Path): e.g. ``site-packages/nvidia/cu13``.
        dest (Path): The folder to create.

    Returns:
        Path: ``dest``.
    """
    needed = {'bin/nvcc': root / 'bin' / 'nvcc',
              'include/cuda_runtime.h': root / 'include' / 'cuda_runtime.h',
              'nvvm/bin/cicc': root / 'nvvm' / 'bin' / 'cicc',
              'lib/libcudart.so.*': next(iter(sorted((root / 'lib').glob('libcudart.so.*'))),
                                         root / 'lib' / 'libcudart.so.<N>')}
    missing = [name for name, p in needed.items() if not p.exists()]
    if missing:
        raise FileNotFoundError(
            f'{root}: expected the CUDA compiler and runtime wheels ({", ".join(COMPILER_PACKAGES)}'
            f' and torch\'s nvidia-cuda-runtime) unpacked here; missing {", ".join(missing)}')
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in ('bin', 'include', 'nvvm'):
        (dest / name).symlink_to(root / name, target_is_directory=True)
    lib = dest / 'lib'
    lib.mkdir()
    for item in sorted((root / 'lib').iterdir()):
        (lib / item.name).symlink_to(item)
    for item in sorted((root / 'lib').glob('lib*.so.*')):
        unversioned = lib / (item.name.split('.so.')[0] + '.so')
        if not unversioned.exists() and not unversioned.is_symlink():
            unversioned.symlink_to(item.name)
    (dest / 'lib64').symlink_to('lib', target_is_directory=True)
    return dest


def install_compiler_packages(cuda_version: str, python: str = sys.executable,
                              runner: Callable[..., object] = subprocess.run) -> List[str]:
    """``pip install`` the CUDA compiler wheels of ``cuda_version`` (major.minor) into ``python``.

    Args:
        cuda_version (str): torch's CUDA version.
        python (str): Interpreter of the target environment. Defaults to ``sys.executable``.
        runner (callable): ``subprocess.run``-like. Defaults to ``subprocess.run``.

    Returns:
        list[str]: The requirement strings installed.
    """
    mm = major_minor(cuda_version)
    requirements = [f'{name}=={mm}.*' for name in COMPILER_PACKAGES]
    log(f'installing the CUDA {mm} compiler from PyPI: {" ".join(requirements)}')
    runner([python, '-m', 'pip', 'install', '--disable-pip-version-check', *requirements],
           check=True)
    return requirements


def provision_toolkit(cuda_version: str, env: Optional[Mapping[str, str]] = None,
                      site_packages: Optional[Path] = None, prefix: Optional[Path] = None,
                      installer: Callable[[str], Sequence[str]] = install_compiler_packages
                      ) -> CudaToolkit:
    """A CUDA compiler matching ``cuda_version``: a system one, else one installed from PyPI.

    Every decision is logged: which compiler is used and why each system one was not.

    Args:
        cuda_version (str): torch's CUDA version (``torch.version.cuda``).
        env (Mapping[str, str], optional): Environment. Defaults to ``os.environ``.
        site_packages (Path, optional): Where the wheels unpack. Defaults to this interpreter's
            purelib.
        prefix (Path, optional): Folder holding the composed ``CUDA_HOME``. Defaults to
            ``sys.prefix`` (the venv).
        installer (callable): Installs the compiler wheels for a CUDA version. Defaults to
            :func:`install_compiler_packages`.

    Returns:
        CudaToolkit: The compiler to build with.
    """
    env = os.environ if env is None else env
    wanted = major_minor(cuda_version)
    search = find_system_toolkit(wanted, env)
    if search.match is not None:
        log(f'using {search.match.reason}; CUDA_HOME={search.match.cuda_home}')
        return search.match
    site_packages = Path(site_packages or sysconfig.get_paths()['purelib'])
    root = pypi_cuda_root(site_packages, wanted)
    installer(wanted)
    home = compose_cuda_home(root, Path(prefix or sys.prefix) / COMPOSED_HOME_NAME)
    release = nvcc_release(str(home / 'bin' / 'nvcc'))
    if release != wanted:
        raise RuntimeError(f'{home}/bin/nvcc reports CUDA release {release} after installing '
                           f"{COMPILER_PACKAGES[0]}=={wanted}.*; expected torch's {wanted}")
    reason = '; '.join(search.rejected)
    toolkit = CudaToolkit(home, release, 'pypi', reason)
    log(f'{reason}; using nvidia-cuda-nvcc {release} from PyPI in {home} (-> {root})')
    return toolkit
