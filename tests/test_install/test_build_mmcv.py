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
    key = build_mmcv.cache_key('2.1.0', with_cuda=False)
    py = f'cp{sys.version_info.major}{sys.version_info.minor}'
    assert key == f'mmcv2.1.0-torch{torch.__version__.split("+")[0]}-{py}-cpu'
    monkeypatch.setenv('MMRSFM_FORCE_CUDA', '1')
    assert build_mmcv.cuda_wanted() is True
    monkeypatch.setenv('MMRSFM_FORCE_CUDA', '0')
    assert build_mmcv.cuda_wanted() is False


def test_installed_mmcv_has_the_patched_ops():
    from mmcv.ops import nms_rotated
    import torch
    boxes = torch.tensor([[10.0, 10.0, 8.0, 4.0, 0.0], [10.5, 10.0, 8.0, 4.0, 0.0],
                          [40.0, 40.0, 8.0, 4.0, 0.5]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    _, keep = nms_rotated(boxes, scores, iou_threshold=0.5)
    # Boxes 0 and 1 overlap with IoU 7.5*4 / (2*32 - 30) = 0.88 > 0.5; box 2 is apart.
    assert keep.tolist() == [0, 2]
