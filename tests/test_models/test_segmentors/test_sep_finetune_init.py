"""SEP weights -> SAMRS fine-tuning configs (configs/samrs/finetune/): the file written by
tools/model_converters/extract_sep_weights.py from a SEP model loads into the fine-tuning model
as mmengine's runner loads ``load_from``: every SEP tensor lands (the ViT position embedding
resized to the fine-tuning grid), only the new classifier is left to train from scratch; and the
configs hold the paper's fine-tuning settings."""
import importlib
import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmpretrain.models.utils import resize_pos_embed
from mmseg.registry import MODELS

from mmrsfm.apis import load_config
from tests.conftest import REPO_ROOT

SAMRS = osp.join(REPO_ROOT, 'configs', 'samrs')
FINETUNE = {
    'r50': ('sep-upernet_r50_8xb12-80k_samrs-224x224.py',
            'upernet_r50-sep-pre_4xb2-80k_potsdam-samrs-512x512.py'),
    'vit-b': ('sep-upernet_vit-b-p16_8xb12-80k_samrs-224x224.py',
              'upernet_vit-b-p16-sep-pre_4xb2-80k_isaid-samrs-896x896.py'),
}


def _load(path):
    cfg = load_config(path)
    for module in cfg.get('custom_imports', {}).get('imports', []):
        importlib.import_module(module)
    init_default_scope('mmseg')
    return cfg


def _model(cfg):
    cfg.model.pop('pretrained', None)
    if cfg.model.backbone.get('init_cfg'):
        cfg.model.backbone.init_cfg = None
    return MODELS.build(cfg.model)


def _extract_tool():
    path = osp.join(REPO_ROOT, 'tools', 'model_converters', 'extract_sep_weights.py')
    spec = importlib.util.spec_from_file_location('extract_sep_weights', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # builds two full-size models: 20-30 s on CPU
@pytest.mark.parametrize('backbone', ['r50', 'vit-b'])
def test_sep_weights_load_into_the_finetune_model(backbone, tmp_path):
    sep_name, ft_name = FINETUNE[backbone]
    torch.manual_seed(0)
    sep = _model(_load(osp.join(SAMRS, sep_name)))
    sep_ckpt, weights = str(tmp_path / 'sep.pth'), str(tmp_path / 'sep_weights.pth')
    torch.save({'state_dict': sep.state_dict()}, sep_ckpt)
    _extract_tool().main([sep_ckpt, weights])
    ft_cfg = _load(osp.join(SAMRS, 'finetune', ft_name))
    assert osp.basename(ft_cfg.load_from).startswith('sep_upernet_')
    torch.manual_seed(1)
    finetune = _model(ft_cfg)
    classifier_before = finetune.decode_head.conv_seg.weight.clone()
    load_checkpoint(finetune, weights, map_location='cpu', strict=False)  # as Runner.load_from
    sep_state, ft_state = sep.state_dict(), finetune.state_dict()
    # Everything but the per-subset classifiers is transferred; the new classifier is not.
    assert set(ft_state) - set(sep_state) == {'decode_head.conv_seg.weight',
                                              'decode_head.conv_seg.bias'}
    assert {k for k in sep_state if k not in ft_state} == {
        f'decode_head.conv_seg.{s}.{p}' for s in ('sota', 'sior', 'fast')
        for p in ('weight', 'bias')}
    assert torch.equal(finetune.decode_head.conv_seg.weight, classifier_before)
    for key, value in ft_state.items():
        if key.startswith('decode_head.conv_seg.'):
            continue
        expected = sep_state[key]
        if key == 'backbone.pos_embed' and expected.shape != value.shape:
            # 224 px (14 x 14 patches) -> the fine-tuning crop's grid, as mmpretrain resizes.
            grid = finetune.backbone.patch_resolution
            expected = resize_pos_embed(expected, (14, 14), grid, mode='bicubic',
                                        num_extra_tokens=finetune.backbone.num_extra_tokens)
            assert value.shape[1] == 1 + grid[0] * grid[1] and grid == (56, 56)
        assert torch.equal(value, expected), key


@pytest.mark.parametrize('name,lr,eta_min,num_classes,crop', [
    ('upernet_r50-sep-pre_4xb2-80k_potsdam-samrs-512x512.py', 1e-4, 5e-6, 5, 512),
    ('upernet_r50-sep-pre_4xb2-80k_isaid-samrs-896x896.py', 1e-4, 5e-6, 15, 896),
    ('upernet_vit-b-p16-sep-pre_4xb2-80k_potsdam-samrs-512x512.py', 6e-5, 0.0, 5, 512),
    ('upernet_vit-b-p16-sep-pre_4xb2-80k_isaid-samrs-896x896.py', 6e-5, 0.0, 15, 896),
])
def test_finetune_configs_hold_the_papers_settings(name, lr, eta_min, num_classes, crop):
    cfg = _load(osp.join(SAMRS, 'finetune', name))
    # Table 7: batch 8 (4 GPUs x 2 in the name), AdamW (0.9, 0.999), 80k iterations, cosine.
    assert cfg.train_dataloader.batch_size * 4 == 8 and '_4xb2-' in name
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.betas, optimizer.lr, optimizer.weight_decay) == (
        'AdamW', (0.9, 0.999), lr, 0.05)
    assert cfg.train_cfg.max_iters == 80000
    scheduler, = cfg.param_scheduler
    assert (scheduler.type, scheduler.T_max, scheduler.eta_min, scheduler.end) == (
        'CosineAnnealingLR', 80000, eta_min, 80000)
    assert cfg.model.decode_head.num_classes == num_classes and cfg.model.auxiliary_head is None
    assert cfg.model.data_preprocessor.size == (crop, crop)
    assert len(cfg.train_dataloader.dataset.metainfo.classes) == num_classes
    metrics = cfg.val_evaluator.iou_metrics
    assert metrics == (['mIoU', 'mFscore'] if 'potsdam' in name else ['mIoU'])
    # The weights file the README's extract command writes.
    with open(osp.join(SAMRS, 'README.md')) as f:
        assert cfg.load_from in f.read()
