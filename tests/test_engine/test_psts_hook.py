"""PSTSStageHook (mmrsfm.engine.hooks.psts_hook) drives the PSTS stages in a real mmengine
Runner."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mmrsfm.engine  # noqa: F401
from mmrsfm.models.selfsup import HOGTokenSelector


class _Images(Dataset):

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return dict(inputs=torch.rand(3, 32, 32))


class _StageRecorder(BaseModel):
    """Runs the selector on each batch and records the stage it selected with."""

    def __init__(self, stage_order=('near', 'far', 'random')):
        super().__init__()
        self.selector = HOGTokenSelector(
            patch_size=8, mask_ratio=0.75, recon_ratio=0.25,
            psts=dict(boundaries=(2, 4, 5, 6), stage_order=stage_order))
        self.linear = torch.nn.Linear(16, 1)
        self.stages = []

    def forward(self, inputs, data_samples=None, mode='loss'):
        images = torch.stack(inputs) if isinstance(inputs, list) else inputs
        visible, targets, scores = self.selector(images, torch.randn(len(images), 16, 8))
        assert visible.shape == (len(images), 4) and targets.shape == (len(images), 4)
        self.stages.append(self.selector.stage())
        return dict(loss=self.linear(scores).mean())


def _train(model, work_dir):
    runner = Runner(
        model=model,
        work_dir=str(work_dir),
        experiment_name=osp.basename(str(work_dir)),  # one logger (and log file) per run
        train_dataloader=dict(dataset=_Images(), batch_size=2,
                              collate_fn=dict(type='default_collate'),
                              sampler=dict(type='DefaultSampler', shuffle=False)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=8),
        custom_hooks=[dict(type='PSTSStageHook')],
        default_hooks=dict(checkpoint=None),
        default_scope='mmpretrain')
    runner.train()
    return runner


def test_hook_advances_stages_each_epoch(tmp_path):
    model = _StageRecorder()
    _train(model, tmp_path)
    per_epoch = model.stages[::2]  # 2 iterations per epoch
    assert per_epoch == [('near', 'near', 1.0), ('near', 'near', 1.0), ('near', 'far', 1.0),
                         ('near', 'far', 0.5), ('far', 'far', 1.0), ('far', 'random', 1.0),
                         ('random', 'random', 1.0), ('random', 'random', 1.0)]


# Epochs 0-7 with boundaries (2, 4, 5, 6): first stage at 0-1, ramp to the second at 2-3
# (weights 1 - (e - 2) / 2 = 1, 0.5), second at 4, ramp to the third at 5 (weight 1), third
# from 6.
@pytest.mark.parametrize('order', [('far', 'near', 'random'), ('random', 'far', 'near')])
def test_hook_follows_and_logs_the_stage_order(tmp_path, order):
    a, b, c = order
    model = _StageRecorder(stage_order=order)
    _train(model, tmp_path)
    assert model.stages[::2] == [(a, a, 1.0), (a, a, 1.0), (a, b, 1.0), (a, b, 0.5),
                                 (b, b, 1.0), (b, c, 1.0), (c, c, 1.0), (c, c, 1.0)]
    log, = glob.glob(osp.join(str(tmp_path), '*', '*.log'))  # the log file of this run
    with open(log) as f:
        lines = [ln.split('INFO - ', 1)[1].strip() for ln in f if 'INFO - PSTS' in ln]
    assert lines == [
        f'PSTS stage order {a} -> {b} -> {c} (ramps at epochs 2-4, 5-6 of 8)',
        f'PSTS stage at 0/8: {a}',
        f'PSTS stage at 2/8: {a} -> {b} (1.00 {a})',
        f'PSTS stage at 4/8: {b}',
        f'PSTS stage at 5/8: {b} -> {c} (1.00 {b})',
        f'PSTS stage at 6/8: {c}',
    ]
