"""Each fix of mmrsfm.compat: the upstream failure without it (in a fresh interpreter that does
not import mmrsfm) and the behaviour with it."""
import os
import pickle
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
    print('DDP-OK')
"""


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
