"""mmrsfm.models.segmentors.multi_head_encoder_decoder with the head of
mmrsfm.models.decode_heads.multi_source_uper_head: routing, the summed loss (against
torch.nn.functional.cross_entropy by hand) and layer-wise lr decay of the SEP ViT-B config."""
import importlib
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmrsfm.apis import load_config
from tests.conftest import REPO_ROOT

SAMRS_CONFIGS = osp.join(REPO_ROOT, 'configs', 'samrs')
CPU_CONFIG = osp.join(SAMRS_CONFIGS, 'sep-upernet_vit-tiny-p8_1xb6-20i_samrs-64x64-cpu.py')
VIT_B_CONFIG = osp.join(SAMRS_CONFIGS, 'sep-upernet_vit-b-p16_8xb12-80k_samrs-224x224.py')
CLASSES = {'sota': 18, 'sior': 20, 'fast': 37}
SIZE = 64


def _load(path):
    cfg = load_config(path)
    for module in cfg.custom_imports.imports:
        importlib.import_module(module)
    init_default_scope('mmseg')
    return cfg


@pytest.fixture
def tiny_model():
    cfg = _load(CPU_CONFIG)
    cfg.model.decode_head.dropout_ratio = 0.0  # deterministic logits for the hand computation
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def _batch(sources, seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs = torch.randn(len(sources), 3, SIZE, SIZE, generator=gen)
    samples = []
    for source in sources:
        label = torch.randint(0, CLASSES[source], (1, SIZE, SIZE), generator=gen)
        label[:, :SIZE // 3] = 255  # not covered by any box
        sample = SegDataSample(metainfo=dict(source=source, img_shape=(SIZE, SIZE),
                                             pad_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE)))
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return inputs, samples


def _hand_losses(model, inputs, samples):
    """Per-source F.cross_entropy (mean over labelled pixels) on each source's own samples."""
    logits = model._forward(inputs)
    assert {k: v.shape[1] for k, v in logits.items()} == CLASSES
    out = {}
    for source in CLASSES:
        idx = [i for i, s in enumerate(samples) if s.source == source]
        if idx:
            up = F.interpolate(logits[source][idx], size=(SIZE, SIZE), mode='bilinear',
                               align_corners=False)
            labels = torch.stack([samples[i].gt_sem_seg.data[0] for i in idx])
            out[source] = F.cross_entropy(up, labels, ignore_index=255)
    return out


def test_loss_is_the_sum_of_per_source_cross_entropies(tiny_model):
    model = tiny_model.train()
    inputs, samples = _batch(['sota', 'fast', 'sior', 'fast', 'sota'])
    losses = model.loss(inputs, samples)
    expected = _hand_losses(model, inputs, samples)
    for source, value in expected.items():
        torch.testing.assert_close(losses[f'decode.{source}.loss_ce'], value, rtol=1e-5,
                                   atol=1e-6)
    total, log_vars = model.parse_losses(losses)
    torch.testing.assert_close(total, sum(expected.values()), rtol=1e-5, atol=1e-6)
    assert set(log_vars) >= {f'decode.{s}.acc_seg' for s in CLASSES}

    # Each source's labels reach only its own loss term.
    changed = [s if s.source != 'sior' else _batch(['sior'], seed=7)[1][0] for s in samples]
    relabelled = model.loss(inputs, changed)
    for source in ('sota', 'fast'):
        torch.testing.assert_close(relabelled[f'decode.{source}.loss_ce'],
                                   losses[f'decode.{source}.loss_ce'])
    assert not torch.allclose(relabelled['decode.sior.loss_ce'], losses['decode.sior.loss_ce'])


def test_absent_source_keeps_its_classifier_in_the_graph(tiny_model):
    model = tiny_model.train()
    inputs, samples = _batch(['sota', 'fast'])
    losses = model.loss(inputs, samples)
    assert not any(k.startswith('decode.sior.') for k in losses)
    total, _ = model.parse_losses(losses)
    torch.testing.assert_close(total, sum(_hand_losses(model, inputs, samples).values()))
    total.backward()
    sior = model.decode_head.conv_seg['sior']
    # DDP needs a gradient for every parameter: present, and zero.
    assert all(p.grad is not None and not p.grad.any() for p in sior.parameters())
    assert model.decode_head.conv_seg['sota'].weight.grad.abs().sum() > 0


@pytest.mark.parametrize('test_cfg', [dict(mode='whole'),
                                      dict(mode='slide', crop_size=(40, 40), stride=(24, 24))])
def test_predict_uses_each_samples_own_head(tiny_model, test_cfg):
    model = tiny_model.eval()
    model.test_cfg = type(model.test_cfg)(test_cfg)
    inputs, samples = _batch(['fast', 'sota', 'sior', 'fast'])
    with torch.no_grad():
        results = model.predict(inputs, samples)
        logits = model._forward(inputs)
    for i, result in enumerate(results):
        source = samples[i].source
        assert result.seg_logits.data.shape == (CLASSES[source], SIZE, SIZE)
        pred = result.pred_sem_seg.data[0]
        assert int(pred.max()) < CLASSES[source]
        if test_cfg['mode'] == 'whole':
            own = F.interpolate(logits[source][i:i + 1], size=(SIZE, SIZE), mode='bilinear',
                                align_corners=False)[0]
            torch.testing.assert_close(result.seg_logits.data, own)
            assert torch.equal(pred, own.argmax(0))


def test_missing_source_key_is_explained(tiny_model):
    inputs, samples = _batch(['sota', 'fast'])
    del samples[1].source
    with pytest.raises(KeyError, match='PackSegInputs'):
        tiny_model.loss(inputs, samples)
    with pytest.raises(ValueError, match='auxiliary'):
        MODELS.build(dict(_load(CPU_CONFIG).model, auxiliary_head=dict(type='FCNHead')))


def _expected_layer_id(name, num_layers=12):
    if name in ('backbone.cls_token', 'backbone.pos_embed') or \
            name.startswith('backbone.patch_embed.'):
        return 0
    if name.startswith('backbone.layers.'):
        return int(name.split('.')[2]) + 1
    return num_layers + 1  # pyramid, neck, decode head, classifiers: full lr


def test_vit_b_config_really_decays_the_layer_lrs():
    cfg = _load(VIT_B_CONFIG)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    base_lr = cfg.optim_wrapper.optimizer.lr
    decay = cfg.optim_wrapper.paramwise_cfg.layer_decay_rate
    groups = optim_wrapper.optimizer.param_groups
    named = dict(model.named_parameters())
    assert sum(len(g['params']) for g in groups) == len(named)
    by_id = {id(p): n for n, p in named.items()}
    lrs = {}
    for group in groups:
        for param in group['params']:
            name = by_id[id(param)]
            layer_id = _expected_layer_id(name)
            # decay ** (num_layers + 1 - layer_id) with num_layers = 12
            assert group['lr'] == pytest.approx(base_lr * decay**(13 - layer_id), rel=1e-9), name
            lrs.setdefault(layer_id, set()).add(round(group['lr'], 15))
            if param.ndim == 1 or name.endswith(('cls_token', 'pos_embed')):
                assert group['weight_decay'] == 0.0, name
            else:
                assert group['weight_decay'] == cfg.optim_wrapper.optimizer.weight_decay, name
    assert sorted(lrs) == list(range(14))  # stem, 12 blocks, the rest: 14 distinct lrs
    assert len(set().union(*lrs.values())) == 14
    assert min(min(v) for v in lrs.values()) == pytest.approx(base_lr * decay**13)
