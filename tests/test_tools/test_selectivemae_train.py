"""One short SelectiveMAE pretraining through tools/train.py with the CPU config, on a generated
OpticalRS-13M-style folder (one sub-folder per source dataset) holding one empty image file."""
import glob
import os
import os.path as osp

import torch

from mmrsfm.testing.pretrain_runs import (SELECTIVEMAE_CPU_CONFIG, selectivemae_cfg_options,
                                          write_tiny_opticalrs)
from tests.conftest import REPO_ROOT, assert_finite, read_scalars, run_tool


def test_selectivemae_trains_with_psts(tmp_path, python):
    data_root = str(tmp_path / 'OpticalRS-13M')
    write_tiny_opticalrs(data_root)  # 2 sources x 8 images of 48 px
    # a 0-byte file (an interrupted copy): skipped with a warning naming it, training goes on
    os.remove(osp.join(data_root, 'MillionAID', 'millionaid_1.jpg'))
    empty = osp.join(data_root, 'MillionAID', 'empty.png')
    open(empty, 'wb').close()
    work_dir = str(tmp_path / 'work')
    result = run_tool([python, 'tools/train.py', SELECTIVEMAE_CPU_CONFIG, '--work-dir', work_dir,
                       '--cfg-options', *selectivemae_cfg_options(data_root)], cwd=REPO_ROOT)
    log = result.stdout + result.stderr
    # Two epochs: the hook switches PSTS from 'near' (epoch 0) to 'far -> random' ... at epoch 1.
    assert 'PSTS stage at 0/2: near' in log
    assert 'PSTS stage at 1/2: near -> far' in log
    assert f'skipping unreadable image {empty} (empty file (0 bytes))' in log
    losses = [r['loss'] for r in read_scalars(work_dir) if 'loss' in r]
    assert len(losses) == 4  # 16 images / batch 8 x 2 epochs
    for loss in losses:
        assert_finite(loss, 'reconstruction loss')
    ckpt = torch.load(sorted(glob.glob(osp.join(work_dir, 'epoch_*.pth')))[-1],
                      weights_only=False)
    assert any(k.startswith('neck.blocks.1.cross_attn.kv') for k in ckpt['state_dict'])
