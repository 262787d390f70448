"""Each fix of mmrsfm.compat: the upstream failure without it (in a fresh interpreter that does
not import mmrsfm) and the behaviour with it."""
import codecs
import os
import pickle
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import mmrsfm  # noqa: F401
from mmrsfm import compat
from tests.conftest import REPO_ROOT


def _python(code: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True,
                          text=True, cwd=REPO_ROOT, env=dict(os.environ, **(env or {})),
                          timeout=300)


@pytest.fixture
def mmengine_style_checkpoint(tmp_path):
    """A checkpoint holding what an mmengine Runner writes besides tensors."""
    from mmengine.config import ConfigDict
    from mmengine.logging import HistoryBuffer
    buffer = HistoryBuffer()
    buffer.update(0.5)
    buffer.update(np.float64(0.25))
    ckpt = {
        'meta': {'seed': np.int64(3), 'epoch': 2, 'best_score': np.float32(0.75),
                 'dataset_meta': {'palette': np.array([[0, 1, 2]], dtype=np.uint8),
                                  'class_groups': ConfigDict(head=[0], tail=[1, 2])}},
        'state_dict': {'w': torch.ones(2)},
        'message_hub': {'log_scalars': {'train/loss': buffer}, 'runtime_info': {'iter': 6}},
    }
    path = tmp_path / 'epoch_2.pth'
    torch.save(ckpt, path)
    return str(path)


def test_mmengine_checkpoint_fails_without_fix(mmengine_style_checkpoint):
    result = _python(f"""
        from mmengine.runner import CheckpointLoader
        CheckpointLoader.load_checkpoint({mmengine_style_checkpoint!r})
    """)
    assert result.returncode != 0
    assert 'weights_only' in result.stderr


def test_mmengine_checkpoint_loads_with_fix(mmengine_style_checkpoint):
    from mmengine.runner import CheckpointLoader
    ckpt = CheckpointLoader.load_checkpoint(mmengine_style_checkpoint)
    assert ckpt['meta']['seed'] == 3 and ckpt['meta']['seed'].dtype == np.int64
    np.testing.assert_array_equal(ckpt['meta']['dataset_meta']['palette'], [[0, 1, 2]])
    assert ckpt['meta']['dataset_meta']['class_groups'].tail == [1, 2]
    assert ckpt['message_hub']['log_scalars']['train/loss'].mean() == pytest.approx(0.375)
    torch.testing.assert_close(ckpt['state_dict']['w'], torch.ones(2))


class _Payload:
    """An arbitrary class: unpickling it is what weights-only loading must refuse."""


def test_untrusted_objects_are_refused_with_an_actionable_error(tmp_path):
    path = tmp_path / 'legacy.pth'
    torch.save({'state_dict': {}, 'extra': _Payload()}, path)
    from mmengine.runner import CheckpointLoader
    with pytest.raises(pickle.UnpicklingError) as err:
        CheckpointLoader.load_checkpoint(str(path))
    assert str(path) in str(err.value) and '--unsafe-load-checkpoint' in str(err.value)
    # The explicit opt-in loads it, and only inside its context.
    with compat.trust_checkpoints():
        assert isinstance(CheckpointLoader.load_checkpoint(str(path))['extra'], _Payload)
    assert not compat.checkpoints_trusted()
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(str(path))


def test_allowed_globals_are_exactly_mmengine_checkpoint_types():
    allowed = compat.mmengine_checkpoint_safe_globals()
    registered = torch.serialization.get_safe_globals()
    names = set()
    for entry in allowed:
        assert entry in registered
        obj, alias = entry if isinstance(entry, tuple) else (entry, '')
        module = getattr(obj, '__module__', '') or ''
        names.add(getattr(obj, '__name__', ''))
        # numpy types/factories, HistoryBuffer, and our restricted stand-in for getattr.
        assert module.startswith(('numpy', 'mmengine.logging', 'mmengine.config')) or (
            obj is compat._history_buffer_getattr and alias == 'builtins.getattr'), entry
    assert {'HistoryBuffer', 'ConfigDict', 'ndarray', 'dtype', '_reconstruct', 'scalar'} <= names
    assert getattr not in registered and pickle.loads not in registered


def test_getattr_stand_in_serves_only_history_buffer_statistics():
    from mmengine.logging import HistoryBuffer
    assert compat._history_buffer_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError):
        compat._history_buffer_getattr(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError):
        compat._history_buffer_getattr(os, 'system')


CPU_DDP_SCRIPT = """
    import os, sys, torch
    if sys.argv[1] == 'fixed':
        import mmrsfm
    from mmengine.dist import init_dist, get_world_size, all_reduce
    from mmengine.model import MMDistributedDataParallel
    init_dist('pytorch', backend='nccl')
    model = MMDistributedDataParallel(torch.nn.Linear(2, 1),
                                      device_ids=[int(os.environ['LOCAL_RANK'])])
    t = torch.ones(1)
    all_reduce(t)
    assert get_world_size() == 2 and t.item() == 2.0
    # SyncBN (ViT detector / segmentation configs): DDP refuses it on CPU modules; it runs as
    # BatchNorm with per-process statistics.
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.SyncBatchNorm(4))
    model = MMDistributedDataParallel(net, device_ids=[int(os.environ['LOCAL_RANK'])])
    model(torch.rand(2, 3, 4, 4)).sum().backward()
    assert type(net[1]).__name__ == '_BatchNormXd' and net[0].weight.grad is not None
    print('DDP-OK')
"""


@pytest.mark.slow  # starts a distributed process group
@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU-distributed fix is for CPU hosts')
@pytest.mark.parametrize('variant,port', [('upstream', 29531), ('fixed', 29532)])
def test_cpu_distributed_start(tmp_path, variant, port):
    script = tmp_path / 'ddp.py'
    script.write_text(textwrap.dedent(CPU_DDP_SCRIPT))
    result = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         f'--master_port={port}', str(script), variant],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300,
        env=dict(os.environ, PYTHONPATH=REPO_ROOT))
    if variant == 'upstream':
        assert result.returncode != 0
        assert 'cuda' in result.stderr.lower()  # torch.cuda.set_device on a host without CUDA
    else:
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.count('DDP-OK') == 2


def test_apply_all_is_idempotent():
    assert compat.apply_all() == list(compat.FIXES)
    assert compat.apply_all() == list(compat.FIXES)


def _dota_split_set(root, bad_line=None):
    """A split DOTA set (mmrotate's layout); ``bad_line`` is appended to P0001's labels."""
    from mmrsfm.testing import write_dota
    write_dota(str(root), 'trainval', num_images=3, size=64, seed=4)
    label = root / 'trainval' / 'annfiles' / 'P0001.txt'
    lines = label.read_text().splitlines()
    if bad_line is not None:
        label.write_text('\n'.join(lines + [bad_line]) + '\n')
    cfg = dict(type='DOTADataset', data_root=str(root), ann_file='trainval/annfiles/',
               data_prefix=dict(img_path='trainval/images/'), pipeline=[])
    return cfg, str(label), len(lines) + 1


DOTA_BUILD_SCRIPT = """
    import sys
    if sys.argv[1] == 'fixed':
        import mmrsfm  # before mmrotate, as tools and custom_imports do
    from mmrotate.registry import DATASETS
    from mmrotate.utils import register_all_modules
    register_all_modules()
    DATASETS.build(dict(type='DOTADataset', data_root=sys.argv[2], ann_file='trainval/annfiles/',
                        data_prefix=dict(img_path='trainval/images/'), pipeline=[]))
"""


@pytest.mark.slow  # imports mmrotate in a fresh interpreter
@pytest.mark.parametrize('variant', ['upstream', 'fixed'])
def test_dota_dataset_label_error_names_file_and_line(tmp_path, variant):
    _, label, line = _dota_split_set(tmp_path, '10 10 20 10 20 20 10 20 Ship 0')
    script = tmp_path / 'build.py'
    script.write_text(textwrap.dedent(DOTA_BUILD_SCRIPT))
    result = subprocess.run([sys.executable, str(script), variant, str(tmp_path)],
                            capture_output=True, text=True, cwd=REPO_ROOT, timeout=300,
                            env=dict(os.environ, PYTHONPATH=REPO_ROOT))
    assert result.returncode != 0
    if variant == 'upstream':
        assert "KeyError: 'Ship'" in result.stderr and label not in result.stderr
    else:
        assert f"{label}:{line}: unknown class 'Ship'" in result.stderr, result.stderr[-3000:]


def test_dota_dataset_data_list_unchanged_by_fix(tmp_path):
    from mmrotate.datasets import DOTADataset, DOTAv2Dataset
    cfg, label, _ = _dota_split_set(tmp_path, '1 2 3 4 5 6 7 8 plane 1')  # one difficult
    cfg.pop('type')
    assert DOTADataset.load_data_list.__mmrsfm_fix__
    for dataset_type in (DOTADataset, DOTAv2Dataset):
        dataset = dataset_type(diff_thr=0, **cfg)
        upstream = dataset_type.load_data_list.__wrapped__(dataset)
        assert dataset.load_data_list() == upstream and len(upstream) == 3
        assert sum(i['ignore_flag'] for d in upstream for i in d['instances']) == 1

    def data_infos():
        dataset = DOTADataset(**cfg)
        return [dataset.get_data_info(i) for i in range(len(dataset))]

    before = data_infos()
    with open(label, 'rb') as f:
        content = f.read()
    with open(label, 'wb') as f:  # a byte order mark, as Windows editors write it
        f.write(codecs.BOM_UTF8 + content)
    assert data_infos() == before


@pytest.mark.parametrize('content,reason', [(b'', 'empty file (0 bytes)'),
                                            (b'not an image', 'ValueError: not a decodable image')])
def test_unreadable_images_are_named_by_mmcv_loader(tmp_path, content, reason):
    from mmcv.transforms import LoadImageFromFile
    from mmengine.logging import MMLogger

    from mmrsfm.utils.image_io import UnreadableImageError
    bad = tmp_path / 'P0001.png'
    bad.write_bytes(content)
    loader = LoadImageFromFile()
    upstream = LoadImageFromFile.transform.__wrapped__
    with pytest.raises(Exception) as upstream_err:
        upstream(loader, dict(img_path=str(bad)))
    if not content:  # upstream: OpenCV's error, no file name
        assert str(bad) not in str(upstream_err.value)
    expected = re.escape(f'cannot read image {bad}: ') + '.*' + re.escape(reason)
    with pytest.raises(UnreadableImageError, match=expected):
        loader(dict(img_path=str(bad)))
    # ignore_empty=True: the dataset serves another image; the skip is now logged.
    # A new MMLogger instance is the 'current' one print_log writes to.
    MMLogger.get_instance(f'images_{tmp_path.name}', log_file=str(tmp_path / 'log.txt'))
    assert LoadImageFromFile(ignore_empty=True)(dict(img_path=str(bad))) is None
    assert f'skipping image {bad}: {reason}' in (tmp_path / 'log.txt').read_text()
