"""The reproducible mmcv build fixes of tools/install/build_mmcv.py."""
import importlib.util
import os.path as osp
import sys

import pytest

from tests.conftest import REPO_ROOT


@pytest.fixture(scope='module')
def build_mmcv():
    path = osp.join(REPO_ROOT, 'tools', 'install', 'build_mmcv.py')
    spec = importlib.util.spec_from_file_location('build_mmcv', path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_cxx_standard_is_raised_to_20(build_mmcv, tmp_path):
    # The flag lines as they appear in mmcv 2.x's setup.py.
    setup_py = tmp_path / 'setup.py'
    setup_py.write_text("extra_compile_args = {'nvcc': [cuda_args, '-std=c++14'], "
                        "'cxx': ['-std=c++14']}\n"
                        "extra_compile_args['cxx'] = ['-std=c++17']\n")
    assert build_mmcv.patch_setup_py(setup_py) == 3
    text = setup_py.read_text()
    assert '-std=c++20' in text and 'c++14' not in text and 'c++17' not in text
    assert build_mmcv.patch_setup_py(setup_py) == 0  # nothing left to patch


def test_cache_key_names_every_version(build_mmcv, monkeypatch):
    import torch
    key = build_mmcv.cache_key('2.1.0', None)
    py = f'cp{sys.version_info.major}{sys.version_info.minor}'
    assert key == f'mmcv2.1.0-torch{torch.__version__.split("+")[0]}-{py}-cpu'
    monkeypatch.setenv('MMRSFM_FORCE_CUDA', '1')
    assert build_mmcv.cuda_wanted() is True
    monkeypatch.setenv('MMRSFM_FORCE_CUDA', '0')
    assert build_mmcv.cuda_wanted() is False


def test_cuda_cache_key_names_cuda_version_and_architectures(build_mmcv):
    key = build_mmcv.cache_key('2.1.0', '13.0.88', '9.0')
    assert key.endswith('-cu13.0-sm90')
    default = build_mmcv.cache_key('2.1.0', '13.0', '7.5;8.0;8.6;8.9;9.0;10.0;10.3;12.0+PTX')
    assert default.endswith('-cu13.0-sm75-80-86-89-90-100-103-120ptx')
    # Another CUDA version, another list, or PTX: another wheel; spelling variants: the same one.
    assert build_mmcv.cache_key('2.1.0', '12.8', '9.0') != key
    assert build_mmcv.cache_key('2.1.0', '13.0', '9.0+PTX') != key
    assert build_mmcv.cache_key('2.1.0', '13.0', '8.0;9.0') != key
    assert build_mmcv.cache_key('2.1.0', '13.0', ' 9.0 ') == key
    assert build_mmcv.cache_key('2.1.0', '13.0', '8.0 9.0+ptx') == \
        build_mmcv.cache_key('2.1.0', '13.0', '8.0;9.0+PTX')
    with pytest.raises(ValueError, match='architecture list'):
        build_mmcv.cache_key('2.1.0', '13.0')


def test_flavour_of_compiling_cuda_version(build_mmcv):
    # mmcv.ops.get_compiling_cuda_version(): 'not available' in a build without CUDA ops.
    assert build_mmcv.flavour_of('not available') == 'cpu'
    assert build_mmcv.flavour_of('13.0') == 'cu13.0'
    assert build_mmcv.flavour_of('12.4.1') == 'cu12.4'


def _fake_mmcv(root, compiling_cuda, ext_bytes=b'ext'):
    """An importable mmcv package with a dist-info whose RECORD lists its ``_ext`` library."""
    import base64
    import hashlib
    pkg = root / 'mmcv'
    (pkg / 'ops').mkdir(parents=True)
    (pkg / '__init__.py').write_text("__version__ = '2.1.0'\n")
    (pkg / 'ops' / '__init__.py').write_text(
        f'def get_compiling_cuda_version():\n    return {compiling_cuda!r}\n')
    ext = pkg / '_ext.cpython-311-x86_64-linux-gnu.so'
    ext.write_bytes(ext_bytes)
    digest = base64.urlsafe_b64encode(hashlib.sha256(ext_bytes).digest()).rstrip(b'=').decode()
    info = root / 'mmcv-2.1.0.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: mmcv\nVersion: 2.1.0\n')
    (info / 'RECORD').write_text(f'mmcv/__init__.py,,\n{ext.relative_to(root)},sha256={digest},'
                                 f'{len(ext_bytes)}\nmmcv-2.1.0.dist-info/RECORD,,\n')
    return digest


def _fake_wheel(path, ext_bytes):
    import base64
    import hashlib
    import zipfile
    digest = base64.urlsafe_b64encode(hashlib.sha256(ext_bytes).digest()).rstrip(b'=').decode()
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr('mmcv/_ext.cpython-311-x86_64-linux-gnu.so', ext_bytes)
        zf.writestr('mmcv-2.1.0.dist-info/RECORD',
                    f'mmcv/_ext.cpython-311-x86_64-linux-gnu.so,sha256={digest},{len(ext_bytes)}\n'
                    'mmcv-2.1.0.dist-info/RECORD,,\n')
    return path


@pytest.mark.parametrize('compiling_cuda,flavour', [('not available', 'cpu'), ('13.0', 'cu13.0')])
def test_installed_mmcv_flavour_from_a_fresh_interpreter(build_mmcv, tmp_path, monkeypatch,
                                                         compiling_cuda, flavour):
    # A fake mmcv first on PYTHONPATH shadows the real one in the probing interpreter.
    digest = _fake_mmcv(tmp_path, compiling_cuda)
    monkeypatch.setenv('PYTHONPATH', str(tmp_path))
    found = build_mmcv.installed_mmcv(sys.executable)
    assert (found.version, found.flavour, found.ext_sha256) == ('2.1.0', flavour, digest)
    assert build_mmcv.keeps_installed(found, '2.1.0', flavour)
    assert not build_mmcv.keeps_installed(found, '2.1.0', 'cu13.0' if flavour == 'cpu' else 'cpu')
    assert not build_mmcv.keeps_installed(found, '2.2.0', flavour)
    assert not build_mmcv.keeps_installed(None, '2.1.0', flavour)


@pytest.mark.parametrize('ops_init,error', [
    ('from . import _ext  # missing\n', 'ImportError'),
    ('import os\nos._exit(134)  # as a crash loading _ext would\n', 'exited 134')])
def test_installed_mmcv_without_importable_ops(build_mmcv, tmp_path, monkeypatch, ops_init, error):
    _fake_mmcv(tmp_path, 'not available')
    (tmp_path / 'mmcv' / 'ops' / '__init__.py').write_text(ops_init)
    monkeypatch.setenv('PYTHONPATH', str(tmp_path))
    found = build_mmcv.installed_mmcv(sys.executable)
    assert found.version == '2.1.0' and found.flavour is None and error in found.error
    assert not build_mmcv.keeps_installed(found, '2.1.0', 'cpu')


def test_wheel_of_the_other_flavour_is_force_reinstalled(build_mmcv, tmp_path):
    cuda_wheel = _fake_wheel(tmp_path / 'mmcv-2.1.0-cp311-cp311-linux_x86_64.whl', b'cuda ext')
    assert build_mmcv.install_command(cuda_wheel, None) == ['install', str(cuda_wheel)]
    cpu_digest = _fake_mmcv(tmp_path / 'cpu', 'not available', b'cpu ext')
    cpu_installed = build_mmcv.InstalledMmcv('2.1.0', 'cpu', cpu_digest)
    # Plain `pip install WHEEL` would keep the installed mmcv 2.1.0 (same version).
    assert build_mmcv.install_command(cuda_wheel, cpu_installed) == \
        ['install', '--force-reinstall', '--no-deps', str(cuda_wheel)]
    same = build_mmcv.InstalledMmcv('2.1.0', 'cu13.0', build_mmcv.wheel_ext_sha256(cuda_wheel))
    assert build_mmcv.install_command(cuda_wheel, same) is None
    broken = build_mmcv.InstalledMmcv('2.1.0', None, None, 'ImportError: _ext')
    assert build_mmcv.install_command(cuda_wheel, broken)[:3] == \
        ['install', '--force-reinstall', '--no-deps']


def test_wheel_without_ops_is_refused(build_mmcv, tmp_path):
    import zipfile
    wheel = tmp_path / 'mmcv-2.1.0-py3-none-any.whl'
    with zipfile.ZipFile(wheel, 'w') as zf:
        zf.writestr('mmcv-2.1.0.dist-info/RECORD', 'mmcv/__init__.py,sha256=x,1\n')
    with pytest.raises(RuntimeError, match='no mmcv/_ext'):
        build_mmcv.wheel_ext_sha256(wheel)


def test_installed_mmcv_has_the_patched_ops():
    import torch
    from mmcv.ops import nms_rotated
    boxes = torch.tensor([[10.0, 10.0, 8.0, 4.0, 0.0], [10.5, 10.0, 8.0, 4.0, 0.0],
                          [40.0, 40.0, 8.0, 4.0, 0.5]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    _, keep = nms_rotated(boxes, scores, iou_threshold=0.5)
    # Boxes 0 and 1 overlap with IoU 7.5*4 / (2*32 - 30) = 0.88 > 0.5; box 2 is apart.
    assert keep.tolist() == [0, 2]
