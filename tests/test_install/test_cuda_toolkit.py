"""Finding or provisioning the CUDA compiler (tools/install/cuda_toolkit.py), without compiling.

The ``nvcc`` executables here are real shell scripts in ``tmp_path`` printing an nvcc-style
version banner; the site-packages trees are laid out as the NVIDIA CUDA 13 wheels unpack.
"""
import importlib.util
import os
import os.path as osp
import stat
import sys

import pytest

from tests.conftest import REPO_ROOT


@pytest.fixture(scope='module')
def cuda_toolkit():
    path = osp.join(REPO_ROOT, 'tools', 'install', 'cuda_toolkit.py')
    spec = importlib.util.spec_from_file_location('cuda_toolkit', path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def fake_nvcc(path, release='12.4', build='V12.4.131'):
    """An executable printing what ``nvcc --version`` prints for ``release``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    banner = ('nvcc: NVIDIA (R) Cuda compiler driver\n'
              'Copyright (c) 2005-2024 NVIDIA Corporation\n'
              f'Cuda compilation tools, release {release}, {build}\n') if release else 'hello\n'
    path.write_text(f"#!/bin/sh\ncat <<'EOF'\n{banner}EOF\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def fake_toolkit(home, release):
    """A system-style toolkit: ``home/bin/nvcc`` and ``home/include/cuda_runtime.h``."""
    fake_nvcc(home / 'bin' / 'nvcc', release, f'V{release}.0')
    (home / 'include').mkdir(parents=True)
    (home / 'include' / 'cuda_runtime.h').write_text('// fake\n')
    return home


def fake_cu13_site(site):
    """site-packages with torch's CUDA 13 runtime and the compiler wheels, as they unpack."""
    root = site / 'nvidia' / 'cu13'
    fake_nvcc(root / 'bin' / 'nvcc', '13.0', 'V13.0.88')
    (root / 'bin' / 'ptxas').write_text('')
    for rel in ('include/cuda_runtime.h', 'include/crt/host_defines.h', 'nvvm/bin/cicc',
                'nvvm/libdevice/libdevice.10.bc', 'lib/libcudart.so.13', 'lib/libcublas.so.13',
                'lib/libnvrtc-builtins.so.13.0', 'lib/libcudadevrt.a'):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    return root


def snapshot(root):
    return sorted((str(p.relative_to(root)), p.is_symlink(), p.stat().st_mode)
                  for p in root.rglob('*'))


def test_nvcc_release_is_read_from_the_version_banner(cuda_toolkit, tmp_path):
    assert cuda_toolkit.nvcc_release(str(fake_nvcc(tmp_path / 'a' / 'nvcc', '12.4'))) == '12.4'
    assert cuda_toolkit.nvcc_release(str(fake_nvcc(tmp_path / 'b' / 'nvcc', '13.0'))) == '13.0'
    assert cuda_toolkit.nvcc_release(str(fake_nvcc(tmp_path / 'c' / 'nvcc', None))) is None
    assert cuda_toolkit.nvcc_release(str(tmp_path / 'missing' / 'nvcc')) is None
    assert cuda_toolkit.major_minor('13.0.88') == '13.0'
    with pytest.raises(ValueError, match='expected a CUDA version'):
        cuda_toolkit.major_minor('13')


def test_mismatching_system_nvcc_is_rejected_with_the_reason(cuda_toolkit, tmp_path):
    home = fake_toolkit(tmp_path / 'cuda-12.4', '12.4')
    env = {'MMRSFM_NVCC': str(home / 'bin' / 'nvcc')}
    search = cuda_toolkit.find_system_toolkit('13.0', env)
    assert search.match is None
    assert search.rejected == [f"system nvcc 12.4 at {home}/bin/nvcc does not match torch's CUDA "
                               '13.0']
    search = cuda_toolkit.find_system_toolkit('12.4.1', env)  # major.minor decides
    assert search.match.cuda_home == home and search.match.source == 'system'
    assert search.match.release == '12.4'


def test_system_nvcc_search_order_and_override(cuda_toolkit, tmp_path):
    first = fake_toolkit(tmp_path / 'home', '13.0')
    on_path = fake_nvcc(tmp_path / 'path' / 'nvcc', '13.0')
    env = {'CUDA_HOME': str(first), 'PATH': str(on_path.parent)}
    candidates = cuda_toolkit.nvcc_candidates(env)
    assert candidates[:2] == [first / 'bin' / 'nvcc', on_path]
    assert cuda_toolkit.nvcc_candidates(dict(env, MMRSFM_NVCC='none')) == []
    assert cuda_toolkit.nvcc_candidates(dict(env, MMRSFM_NVCC=str(on_path))) == [on_path]
    ignored = cuda_toolkit.find_system_toolkit('13.0', dict(env, MMRSFM_NVCC='none'))
    assert ignored.match is None and 'MMRSFM_NVCC=none' in ignored.rejected[0]


def test_nvcc_without_headers_next_to_it_is_not_a_cuda_home(cuda_toolkit, tmp_path):
    # e.g. a /usr/local/bin/nvcc wrapper: torch would take /usr/local as CUDA_HOME.
    wrapper = fake_nvcc(tmp_path / 'bin' / 'nvcc', '13.0')
    search = cuda_toolkit.find_system_toolkit('13.0', {'MMRSFM_NVCC': str(wrapper)})
    assert search.match is None
    assert 'cuda_runtime.h' in search.rejected[0] and str(wrapper) in search.rejected[0]


def test_composed_cuda_home_layout(cuda_toolkit, tmp_path):
    root = fake_cu13_site(tmp_path / 'site')
    before = snapshot(root)
    home = cuda_toolkit.compose_cuda_home(root, tmp_path / 'venv' / 'mmrsfm-cuda-home')
    for name in ('bin', 'include', 'nvvm'):
        assert (home / name).is_symlink() and (home / name).resolve() == root / name
    assert (home / 'lib64').is_symlink() and os.readlink(home / 'lib64') == 'lib'
    lib = home / 'lib'
    assert lib.is_dir() and not lib.is_symlink()
    # Unversioned links for the linker (-lcudart), next to links to every library file.
    assert os.readlink(lib / 'libcudart.so') == 'libcudart.so.13'
    assert (lib / 'libcudart.so').resolve() == root / 'lib' / 'libcudart.so.13'
    assert (home / 'lib64' / 'libcublas.so').resolve() == root / 'lib' / 'libcublas.so.13'
    assert (lib / 'libnvrtc-builtins.so').resolve() == root / 'lib' / 'libnvrtc-builtins.so.13.0'
    assert (lib / 'libcudadevrt.a').resolve() == root / 'lib' / 'libcudadevrt.a'
    assert (home / 'include' / 'crt' / 'host_defines.h').is_file()
    assert cuda_toolkit.nvcc_release(str(home / 'bin' / 'nvcc')) == '13.0'
    # Composing again replaces the farm; the installed packages are never touched.
    (root / 'lib' / 'libcurand.so.10').write_text('new')
    cuda_toolkit.compose_cuda_home(root, home)
    assert (lib / 'libcurand.so').resolve() == root / 'lib' / 'libcurand.so.10'
    assert snapshot(root) == sorted(before + [('lib/libcurand.so.10', False,
                                               (root / 'lib' / 'libcurand.so.10').stat().st_mode)])


def test_compose_names_what_is_missing(cuda_toolkit, tmp_path):
    root = fake_cu13_site(tmp_path / 'site')
    (root / 'nvvm' / 'bin' / 'cicc').unlink()
    (root / 'lib' / 'libcudart.so.13').unlink()
    with pytest.raises(FileNotFoundError, match=r'missing nvvm/bin/cicc, lib/libcudart.so\.\*'):
        cuda_toolkit.compose_cuda_home(root, tmp_path / 'home')
    assert not (tmp_path / 'home').exists()


def test_provisioning_installs_the_matching_compiler_and_says_why(cuda_toolkit, tmp_path, capsys):
    site = tmp_path / 'site'
    installed = []

    def installer(version):  # stands in for pip: the wheels unpack under nvidia/cu13
        installed.append(version)
        fake_cu13_site(site)

    system = fake_toolkit(tmp_path / 'cuda-12.4', '12.4')
    toolkit = cuda_toolkit.provision_toolkit(
        '13.0', env={'MMRSFM_NVCC': str(system / 'bin' / 'nvcc')}, site_packages=site,
        prefix=tmp_path / 'venv', installer=installer)
    assert installed == ['13.0']
    assert toolkit.source == 'pypi' and toolkit.release == '13.0'
    assert toolkit.cuda_home == tmp_path / 'venv' / 'mmrsfm-cuda-home'
    out = capsys.readouterr().out
    assert (f"system nvcc 12.4 at {system}/bin/nvcc does not match torch's CUDA 13.0; using "
            f"nvidia-cuda-nvcc 13.0 from PyPI in {toolkit.cuda_home}") in out
    env = toolkit.build_env({'PATH': '/usr/bin'})
    assert env['CUDA_HOME'] == str(toolkit.cuda_home)
    assert env['PATH'].split(os.pathsep)[0] == str(toolkit.cuda_home / 'bin')

    # A matching system toolkit is used as it is: nothing installed.
    matching = fake_toolkit(tmp_path / 'cuda-13.0', '13.0')
    toolkit = cuda_toolkit.provision_toolkit(
        '13.0', env={'MMRSFM_NVCC': str(matching / 'bin' / 'nvcc')}, site_packages=site,
        prefix=tmp_path / 'venv', installer=installer)
    assert installed == ['13.0'] and toolkit.source == 'system' and toolkit.cuda_home == matching


def test_provisioning_refuses_cuda_12_torch(cuda_toolkit, tmp_path):
    with pytest.raises(RuntimeError, match=r'only for CUDA >= 13.*set CUDA_HOME'):
        cuda_toolkit.provision_toolkit('12.8', env={'MMRSFM_NVCC': 'none'},
                                       site_packages=tmp_path, prefix=tmp_path,
                                       installer=lambda v: pytest.fail('must not install'))


def test_compiler_requirements_pin_torch_cuda_minor(cuda_toolkit):
    calls = []
    reqs = cuda_toolkit.install_compiler_packages('13.0.96', python='py',
                                                  runner=lambda cmd, check: calls.append(cmd))
    assert reqs == ['nvidia-cuda-nvcc==13.0.*', 'nvidia-nvvm==13.0.*', 'nvidia-cuda-crt==13.0.*',
                    'nvidia-cuda-cccl==13.0.*']
    assert calls == [['py', '-m', 'pip', 'install', '--disable-pip-version-check', *reqs]]


def test_default_arch_list_and_user_override(cuda_toolkit):
    default = cuda_toolkit.wanted_arch_list({})
    assert default == cuda_toolkit.DEFAULT_CUDA_ARCH_LIST
    entries = default.split(';')
    # Every data-centre/workstation architecture of nvcc 13.0's list; PTX only on the newest.
    assert [e.replace('+PTX', '') for e in entries] == \
        ['7.5', '8.0', '8.6', '8.9', '9.0', '10.0', '10.3', '12.0']
    assert entries[-1].endswith('+PTX') and sum('+PTX' in e for e in entries) == 1
    nvcc13 = {'7.5', '8.0', '8.6', '8.7', '8.8', '8.9', '9.0', '10.0', '10.3', '11.0', '12.0',
              '12.1'}
    assert {e.replace('+PTX', '') for e in entries} <= nvcc13
    assert cuda_toolkit.wanted_arch_list({'TORCH_CUDA_ARCH_LIST': '9.0 12.0+ptx'}) == \
        '9.0;12.0+PTX'
    assert cuda_toolkit.wanted_arch_list({'TORCH_CUDA_ARCH_LIST': ''}) == default
    with pytest.raises(ValueError, match="entry 'sm_90'"):
        cuda_toolkit.normalise_arch_list('8.0;sm_90')


def test_default_arch_list_is_accepted_by_torch(cuda_toolkit, monkeypatch):
    from torch.utils.cpp_extension import _get_cuda_arch_flags
    monkeypatch.setenv('TORCH_CUDA_ARCH_LIST', cuda_toolkit.DEFAULT_CUDA_ARCH_LIST)
    flags = _get_cuda_arch_flags()
    assert '-gencode=arch=compute_90,code=sm_90' in flags
    assert '-gencode=arch=compute_120,code=compute_120' in flags  # PTX for newer GPUs
    assert not any('sm_87' in f or 'sm_110' in f or 'sm_121' in f for f in flags)
