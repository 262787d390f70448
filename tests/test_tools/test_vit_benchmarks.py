"""The ViT benchmark configs of each toolbox with a tiny ViT in place of ViT-B: a forward pass
through the ViTPyramid adapter on a non-square input that is not the pretraining size (pyramid
strides 4/8/16/32 and prediction shapes), and one short training + validation through
tools/train.py on generated data in the benchmark's on-disk format, with the layer-wise lr decay
visible in the logged learning rate."""
import importlib
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmrsfm.testing.tiny_runs import (TASK_METRICS, TINY_VIT, VIT_TASK_CONFIGS, make_tiny_config,
                                      shrink_vit, write_tiny_data)
from tests.conftest import REPO_ROOT, assert_finite, read_scalars, run_tool

H, W = 96, 160  # neither square nor the 224 px pretraining size
WIDTH, L = TINY_VIT['arch']['embed_dims'], TINY_VIT['arch']['num_layers']


def _build(task: str):
    cfg = Config.fromfile(osp.join(REPO_ROOT, VIT_TASK_CONFIGS[task]))
    for module in cfg.custom_imports['imports']:
        importlib.import_module(module)
    init_default_scope(cfg.default_scope)
    shrink_vit(cfg.model)
    cfg.model.pop('pretrained', None)
    registry = importlib.import_module(f'{cfg.default_scope}.registry')
    model = registry.MODELS.build(cfg.model)
    model.eval()
    return model


def _image() -> torch.Tensor:
    return torch.randint(0, 256, (3, H, W), generator=torch.Generator().manual_seed(0),
                         dtype=torch.uint8)


@pytest.mark.parametrize('task', ['detection', 'rotated-detection', 'segmentation'])
def test_dense_forward_through_the_adapter(task):
    model = _build(task)
    assert type(model.backbone).__name__ == 'ViTPyramid'
    meta = dict(img_shape=(H, W), ori_shape=(H, W), pad_shape=(H, W), scale_factor=(1.0, 1.0))
    if task == 'segmentation':
        from mmseg.structures import SegDataSample as Sample
    else:
        from mmdet.structures import DetDataSample as Sample
    data = model.data_preprocessor(dict(inputs=[_image()], data_samples=[Sample(metainfo=meta)]))
    with torch.no_grad():
        feats = model.backbone(data['inputs'])
        pred = model(**data, mode='predict')[0]
    padded = data['inputs'].shape[-2:]  # mmdet pads to a multiple of 32
    assert [tuple(f.shape) for f in feats] == [
        (1, WIDTH, -(-padded[0] // 16) * 16 // s, -(-padded[1] // 16) * 16 // s)
        for s in (4, 8, 16, 32)]
    if task == 'segmentation':
        assert tuple(pred.pred_sem_seg.data.shape) == (1, H, W)
        assert tuple(pred.seg_logits.data.shape) == (7, H, W)
    else:
        box_dim = 5 if task == 'rotated-detection' else 4
        assert pred.pred_instances.bboxes.shape[1] == box_dim
        assert len(pred.pred_instances.scores) == len(pred.pred_instances.labels)


def test_classification_forward():
    model = _build('classification')
    data = model.data_preprocessor(dict(inputs=[_image()]))
    with torch.no_grad():
        scores = model(data['inputs'], mode='predict')[0].pred_score
    assert scores.shape == (30, ) and float(scores.sum()) == pytest.approx(1.0, abs=1e-5)


#: task -> lr of the first param group (the ViT stem, layer id 0) without a scheduler.
STEM_LR = {
    'classification': 1e-3 * 64 / 256 * 0.75**(L + 1),  # mmpretrain's constructor
    'detection': 1e-4 * 0.9**(L + 1),
    'rotated-detection': 1e-4 * 0.9**(L + 1),
    'segmentation': 6e-5 * 0.9**(L + 1),
}


@pytest.mark.parametrize('task', sorted(VIT_TASK_CONFIGS))
def test_train_and_validate_with_tools_train(task, tmp_path, python):
    data_root, work_dir = str(tmp_path / 'data'), str(tmp_path / 'work')
    write_tiny_data(task, data_root)
    make_tiny_config(task, data_root, work_dir, backbone='vit')
    run_tool([python, 'tools/train.py', osp.join(work_dir, f'{task}_tiny.py'), '--work-dir',
              work_dir], cwd=REPO_ROOT)
    records = read_scalars(work_dir)
    train = [r for r in records if 'loss' in r]
    assert train, 'no training loss was logged'
    for record in train:
        assert_finite(record['loss'], 'training loss')
        assert record['lr'] == pytest.approx(STEM_LR[task], rel=1e-6)
    metric = TASK_METRICS[task]
    evaluated = [r for r in records if metric in r]
    assert evaluated, f'validation did not report {metric}'
    assert 0.0 <= evaluated[-1][metric] <= 100.0
