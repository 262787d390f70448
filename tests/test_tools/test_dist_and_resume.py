"""Distributed training through tools/dist_train.sh (2 processes) and --resume."""
import glob
import os.path as osp

import pytest
import torch

from mmrsfm.testing import make_tiny_config, write_tiny_data
from tests.conftest import REPO_ROOT, assert_finite, read_scalars, run_tool


@pytest.fixture(scope='module')
def scene_data(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('aid'))
    write_tiny_data('classification', root)
    return root


def test_dist_train_two_processes(scene_data, tmp_path, python):
    work_dir = str(tmp_path / 'dist')
    make_tiny_config('classification', scene_data, work_dir)
    config = osp.join(work_dir, 'classification_tiny.py')
    result = run_tool(['bash', 'tools/dist_train.sh', config, '2', '--work-dir', work_dir],
                      cwd=REPO_ROOT, env=dict(PYTHON=python, PORT='29517'))
    log = result.stdout + result.stderr
    # mmengine's environment report goes to the log file only (mmrsfm.utils.run_logging).
    log_files = glob.glob(osp.join(work_dir, '2*', '2*.log'))
    assert len(log_files) == 1, log_files
    with open(log_files[0]) as f:
        report = f.read()
    assert 'Distributed training: True' in report and 'GPU number: 2' in report
    assert 'Distributed training' not in log
    if not torch.cuda.is_available():
        # The config asks for NCCL; mmrsfm.compat starts gloo on a host without CUDA.
        assert "instead of 'nccl'" in log
    records = read_scalars(work_dir)
    # 12 training images, 4 per batch and process -> 2 iterations per epoch with 2 processes.
    train_iters = [r['iter'] for r in records if 'loss' in r]
    assert max(train_iters) == 3 * 2
    assert_finite([r for r in records if 'accuracy/top1' in r][-1]['accuracy/top1'], 'accuracy')


def _deterministic_config(scene_data, work_dir, max_epochs):
    cfg = make_tiny_config('classification', scene_data, work_dir)
    # No random augmentation: an uninterrupted and a resumed run must then see the same batches.
    cfg.train_dataloader.dataset.pipeline = [dict(type='LoadImageFromFile'),
                                             dict(type='PackInputs')]
    cfg.train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
    cfg.optim_wrapper.optimizer = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.dump(osp.join(work_dir, 'classification_tiny.py'))
    return osp.join(work_dir, 'classification_tiny.py')


def test_resume_continues_iterations_and_optimizer(scene_data, tmp_path, python):
    straight_dir = str(tmp_path / 'straight')
    cut_dir = str(tmp_path / 'cut')
    run_tool([python, 'tools/train.py', _deterministic_config(scene_data, straight_dir, 4)],
             cwd=REPO_ROOT)
    # Stop after 2 epochs, then resume the same work dir to epoch 4. The first run is a requeued
    # job's first start: --resume finds nothing and --allow-fresh-start lets it begin.
    result = run_tool([python, 'tools/train.py', _deterministic_config(scene_data, cut_dir, 2),
                       '--resume', '--allow-fresh-start'], cwd=REPO_ROOT)
    assert 'nothing to resume' in result.stdout + result.stderr
    epoch2 = torch.load(osp.join(cut_dir, 'epoch_2.pth'), weights_only=False)
    result = run_tool([python, 'tools/train.py', _deterministic_config(scene_data, cut_dir, 4),
                       '--resume'], cwd=REPO_ROOT)
    assert 'resumed epoch: 2, iter: 6' in result.stdout + result.stderr

    records = read_scalars(cut_dir)
    resumed_iters = [r['iter'] for r in records if 'loss' in r]
    assert min(resumed_iters) == 7 and max(resumed_iters) == 12

    straight = torch.load(osp.join(straight_dir, 'epoch_4.pth'), weights_only=False)
    resumed = torch.load(osp.join(cut_dir, 'epoch_4.pth'), weights_only=False)
    assert resumed['meta']['iter'] == straight['meta']['iter'] == 12
    # Momentum buffers carried over: resumed weights equal the uninterrupted run's, which they
    # would not if the optimizer state had restarted from zero at epoch 2.
    for key, value in straight['state_dict'].items():
        torch.testing.assert_close(resumed['state_dict'][key], value, rtol=1e-5, atol=1e-6)
    momentum = [s['momentum_buffer'] for s in resumed['optimizer']['state'].values()]
    assert momentum and all(torch.isfinite(m).all() for m in momentum)
    assert len(epoch2['optimizer']['state']) == len(resumed['optimizer']['state'])
    assert sorted(glob.glob(osp.join(cut_dir, 'epoch_*.pth')))[-1].endswith('epoch_4.pth')
