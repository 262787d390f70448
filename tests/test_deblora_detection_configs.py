"""The Table R1 (oriented detection) configs of configs/deblora: which weights each row trains,
the class groups of the grouped mAP, and the stage-4 config against the Zero-Shot one."""
import copy
import os.path as osp

import pytest
from mmengine.registry import init_default_scope

import mmrsfm.runtime  # noqa: F401
from mmrsfm.apis import load_config
from tests.conftest import REPO_ROOT

CFG = osp.join(REPO_ROOT, 'configs', 'deblora', '{}')
ROWS = {
    'zero-shot': 'rotated-fcos-le90_vit-b-p16-zero-shot_fpn_1xb2-1x_dota.py',
    'fine-tune': 'rotated-fcos-le90_vit-b-p16-fine-tune_fpn_1xb2-1x_dota.py',
    'lora': 'rotated-fcos-le90_vit-b-p16-lora_fpn_1xb2-1x_dota.py',
    'scratch': 'rotated-fcos-le90_r101-scratch_fpn_1xb2-1x_dota.py',
}


def _no_pretrained(node):
    if isinstance(node, dict):
        if isinstance(node.get('init_cfg'), dict) and node['init_cfg'].get('type') == 'Pretrained':
            node['init_cfg'] = None
        for value in node.values():
            _no_pretrained(value)
    elif isinstance(node, list):
        for value in node:
            _no_pretrained(value)


def _build(row):
    from mmrotate.registry import MODELS
    cfg = load_config(CFG.format(ROWS[row]))
    init_default_scope(cfg.default_scope)
    model_cfg = copy.deepcopy(cfg.model)
    _no_pretrained(model_cfg)
    return cfg, MODELS.build(model_cfg)


def _trainable(module):
    return {n for n, p in module.named_parameters() if p.requires_grad}


@pytest.mark.parametrize('row', sorted(ROWS))
def test_each_row_trains_what_table_r1_says(row):
    cfg, model = _build(row)
    assert type(model).__name__ == 'FCOS' and type(model.bbox_head).__name__ == 'RotatedFCOSHead'
    assert model.bbox_head.strides == [8, 16, 32, 64, 128]
    assert _trainable(model.neck) == {n for n, _ in model.neck.named_parameters()}
    assert _trainable(model.bbox_head) == {n for n, _ in model.bbox_head.named_parameters()}
    backbone = {n for n, _ in model.backbone.named_parameters()}
    trainable = _trainable(model.backbone)
    if row == 'zero-shot':
        assert trainable == set()
    elif row == 'lora':
        assert trainable and trainable == {n for n in backbone if '.lora_' in n}
        assert {n.split('.')[-3] for n in trainable} == {'qkv'}
    else:
        assert trainable == backbone
    if row == 'scratch':
        assert type(model.backbone).__name__ == 'ResNet' and model.backbone.depth == 101
        assert cfg.model.backbone.init_cfg is None
    else:
        assert cfg.model.backbone.get('init_cfg', cfg.model.backbone.get('module', {}).get(
            'init_cfg'))['type'] == 'Pretrained'


def test_grouped_map_uses_the_dota_lt_groups():
    cfg = load_config(CFG.format(ROWS['lora']))
    groups = cfg.val_evaluator.groups
    assert cfg.val_evaluator.type == 'GroupedMAPMetric'
    assert cfg.val_evaluator.metric.type == 'DOTAMetric'
    assert set(groups['head']) == {'ship', 'large-vehicle', 'small-vehicle'}
    assert set(groups['tail']) == {'helicopter', 'basketball-court', 'baseball-diamond',
                                   'roundabout', 'soccer-ball-field', 'ground-track-field'}
    members = [c for g in groups.values() for c in g]
    assert sorted(members) == sorted(cfg.classes) and len(members) == 15
    assert cfg.train_dataloader.dataset.metainfo.class_groups == groups
    assert cfg.test_evaluator == cfg.val_evaluator


def test_stage4_is_zero_shot_on_the_exported_backbone():
    zero = load_config(CFG.format(ROWS['zero-shot']))
    stage4 = load_config(CFG.format('rotated-fcos-le90_vit-b-p16-deblora_fpn_1xb2-1x_dota.py'))
    assert stage4.model.backbone.init_cfg.checkpoint.endswith(
        'deblora-fcos_vit-b-p16_1xb2-1x_dota/backbone_merged.pth')
    stage4.model.backbone.init_cfg.checkpoint = zero.model.backbone.init_cfg.checkpoint
    assert stage4.model == zero.model
    for key in ('train_dataloader', 'optim_wrapper', 'param_scheduler', 'train_cfg',
                'val_evaluator'):
        assert stage4[key] == zero[key], key
