"""ViTLayerDecayOptimWrapperConstructor on a real mmdet Faster R-CNN and mmseg UperNet with the
ViTPyramid backbone: every parameter's lr and weight decay against a hand computation from its
name, the error on a backbone-prefix mismatch; and mmpretrain's constructor, which the
classification configs use, giving the same lrs on a ViT classifier."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import mmrsfm.models  # noqa: F401
from mmrsfm.engine.optimizers.layer_decay_constructor import ViTLayerDecayOptimWrapperConstructor
from tests.conftest import REPO_ROOT

L, DECAY, LR, WD = 4, 0.9, 1e-4, 0.05
ARCH = dict(embed_dims=32, num_layers=L, num_heads=2, feedforward_channels=64)
BACKBONE = dict(type='ViTPyramid', arch=ARCH, img_size=64, out_indices=[0, 1, 2, 3])


def _expected_layer(name: str) -> int:
    """Layer id by hand: stem 0, block i -> i + 1, everything else L + 1."""
    if name in ('backbone.cls_token', 'backbone.pos_embed') or \
            name.startswith('backbone.patch_embed.'):
        return 0
    if name.startswith('backbone.layers.'):
        return int(name.split('.')[2]) + 1
    return L + 1


def _expected_wd(name: str, param: torch.Tensor) -> float:
    no_decay = (param.ndim == 1 or name.endswith('bias')
                or name in ('backbone.cls_token', 'backbone.pos_embed'))
    return 0.0 if no_decay else WD


def _model(scope: str):
    init_default_scope(scope)
    if scope == 'mmdet':
        from mmdet.registry import MODELS
        cfg = Config.fromstring("_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'", '.py')
        cfg.model.neck.in_channels = [32] * 4
    else:
        from mmseg.registry import MODELS
        cfg = Config.fromstring("_base_ = 'mmseg::_base_/models/upernet_r50.py'", '.py')
        cfg.model.decode_head.in_channels = [32] * 4
        cfg.model.auxiliary_head.in_channels = 32
        cfg.model.pretrained = None  # else EncoderDecoder hands it to the backbone
    cfg.model.backbone = BACKBONE
    return MODELS.build(cfg.model)


def _group_of(optimizer):
    return {id(p): g for g in optimizer.param_groups for p in g['params']}


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg'])
def test_lrs_and_weight_decay_by_hand(scope):
    model = _model(scope)
    wrapper = build_optim_wrapper(model, dict(
        optimizer=dict(type='AdamW', lr=LR, weight_decay=WD),
        constructor='ViTLayerDecayOptimWrapperConstructor',
        paramwise_cfg=dict(layer_decay_rate=DECAY)))
    groups = _group_of(wrapper.optimizer)
    named = list(model.named_parameters())
    constructor = ViTLayerDecayOptimWrapperConstructor(
        dict(optimizer=dict(type='AdamW', lr=LR)), dict(layer_decay_rate=DECAY))
    assert all(constructor.layer_id(n, L) == _expected_layer(n) for n, _ in named)
    assert len(groups) == len(named)  # every trainable parameter in exactly one group
    for name, param in named:
        group = groups[id(param)]
        assert group['lr'] == pytest.approx(LR * DECAY**(L + 1 - _expected_layer(name))), name
        assert group['weight_decay'] == _expected_wd(name, param), name
    # Spot checks of the rule itself.
    lrs = {n: groups[id(p)]['lr'] for n, p in named}
    assert lrs['backbone.pos_embed'] == pytest.approx(LR * DECAY**5)
    assert lrs['backbone.layers.3.attn.qkv.weight'] == pytest.approx(LR * DECAY)
    assert lrs['backbone.pyramid.upsample_2x.0.weight'] == pytest.approx(LR)
    assert groups[id(model.backbone.layers[0].ln1.weight)]['weight_decay'] == 0.0


def test_prefix_mismatch_is_an_error():
    model = _model('mmdet')
    with pytest.raises(ValueError, match='encoder.layers.<i>.*backbone.cls_token'):
        build_optim_wrapper(model, dict(
            optimizer=dict(type='AdamW', lr=LR, weight_decay=WD),
            constructor='ViTLayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=DECAY, backbone_prefix='encoder.')))
    with pytest.raises(ValueError, match='layer_decay_rate'):
        build_optim_wrapper(model, dict(
            optimizer=dict(type='AdamW', lr=LR), constructor='ViTLayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(decay_rate=DECAY)))


def test_mmpretrain_constructor_on_classifier_matches_the_rule():
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    model = MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='VisionTransformer', arch=ARCH, img_size=32, patch_size=8,
                      out_type='avg_featmap', final_norm=False),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=32)))
    # The optim_wrapper of the classification configs' schedule base.
    wrapper = build_optim_wrapper(model, Config.fromfile(osp.join(
        REPO_ROOT, 'configs/_base_/schedules/vit_finetune_adamw-ld0.75_200e.py')).optim_wrapper)
    decay = 0.75
    lr = wrapper.optimizer.defaults['lr']
    groups = _group_of(wrapper.optimizer)
    for name, param in model.named_parameters():
        group = groups[id(param)]
        assert group['lr'] == pytest.approx(lr * decay**(L + 1 - _expected_layer(name))), name
        assert group['weight_decay'] == pytest.approx(_expected_wd(name, param)), name
