"""PSTSStageHook (mmrsfm.engine.hooks.psts_hook) drives the PSTS stages in a real mmengine
Runner."""
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

    def __init__(self):
        super().__init__()
        self.selector = HOGTokenSelector(patch_size=8, mask_ratio=0.75, recon_ratio=0.25,
                                         psts=dict(boundaries=(2, 4, 5, 6)))
        self.linear = torch.nn.Linear(16, 1)
        self.stages = []

    def forward(self, inputs, data_samples=None, mode='loss'):
        images = torch.stack(inputs) if isinstance(inputs, list) else inputs
        visible, targets, scores = self.selector(images, torch.randn(len(images), 16, 8))
        assert visible.shape == (len(images), 4) and targets.shape == (len(images), 4)
        self.stages.append(self.selector.stage())
        return dict(loss=self.linear(scores).mean())


def test_hook_advances_stages_each_epoch(tmp_path):
    model = _StageRecorder()
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=_Images(), batch_size=2,
                              collate_fn=dict(type='default_collate'),
                              sampler=dict(type='DefaultSampler', shuffle=False)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=8),
        custom_hooks=[dict(type='PSTSStageHook')],
        default_hooks=dict(checkpoint=None),
        default_scope='mmpretrain')
    runner.train()
    per_epoch = model.stages[::2]  # 2 iterations per epoch
    assert per_epoch == [('near', 'near', 1.0), ('near', 'near', 1.0), ('near', 'far', 1.0),
                         ('near', 'far', 0.5), ('far', 'far', 1.0), ('far', 'random', 1.0),
                         ('random', 'random', 1.0), ('random', 'random', 1.0)]
