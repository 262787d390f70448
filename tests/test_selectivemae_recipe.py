"""The SelectiveMAE / MAE pretraining configs follow the paper's recipe (Table 9 (i), section 6.4).

Reads the resolved configs under ``configs/selectivemae/`` and checks them against the values of
the SelectiveMAE paper, kept here with the line of ``../shared/seeds/001_677028027c0d9103.txt``
(the converted paper) they come from; then builds the optimizer from each config on its real
model and checks that no norm / 1-D parameter of encoder or decoder gets weight decay while every
2-D weight does (configs/selectivemae/README.md, "Recipe").
"""
import copy
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.optim.scheduler import CosineAnnealingLR, LinearLR
from mmengine.registry import init_default_scope

from mmrsfm.apis import load_config
from tests.conftest import REPO_ROOT

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'selectivemae')

# --- The paper's values (Table 9 (i), pre-training column, and section 6.4) -------------------
#: 303: "Optimizer | AdamW | AdamW | AdamW |"
PAPER_OPTIMIZER = 'AdamW'
#: 306: "Base learning rate | 1.5e-4 | 1e-3 | 1e-3 |"
PAPER_BASE_LR = 1.5e-4
#: 312: "Weight decay | 0.05 | 0.05 | 0.05 |"
PAPER_WEIGHT_DECAY = 0.05
#: 313: "Optimizer momentum | (0.9, 0.95) | (0.9, 0.999) | (0.9, 0.999) |"
PAPER_BETAS = (0.9, 0.95)
#: 314: "Batch size | 1024 | 64 | 64 |"
PAPER_BATCH = 1024
#: 315: "Max iteration/epoch | 800 epoch | 200 epoch | 200 epoch |"
PAPER_EPOCHS = 800
#: 316: "Warmup | linear | linear | linear |"; 317: "Warmup iteration/epoch | 60 epoch | ...";
#: 299: "For the 800-epoch experiments, the warm-up period is adjusted to 60 epochs."
PAPER_WARMUP_EPOCHS = 60
#: 299: "We use 12 decoder blocks with an 85% mask ratio and a 25% reconstruction ratio."
PAPER_MASK_RATIO, PAPER_RECON_RATIO = 0.85, 0.25

# Absolute lrs by hand: MAE's rule base lr x batch / 256 = 1.5e-4 x 4 = 6e-4; SelectiveMAE
# further x recon / mask (the authors' code's reading of section 6.4; README "Recipe"):
# 6e-4 x 0.25 / 0.85 = 1.5e-4 / 0.85 = 1.764705882e-4.
EXPECTED_LR = {'mae': 6e-4, 'selectivemae': 1.764705882352941e-4}

FULL_CONFIGS = {
    'selectivemae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py': 'selectivemae',
    'selectivemae_vit-large-p16_8xb128-amp-coslr-800e_opticalrs-13m.py': 'selectivemae',
    'mae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py': 'mae',
    'mae_vit-large-p16_8xb128-amp-coslr-800e_opticalrs-13m.py': 'mae',
}
CPU_CONFIG = 'selectivemae_vit-tiny-p8-32px_1xb8-2e_opticalrs-13m-cpu.py'

#: Trainable parameters with more than one dimension that the recipe exempts from weight decay.
NO_DECAY_TOKENS = ('cls_token', 'mask_token', 'pos_embed')


def _load(name):
    return load_config(osp.join(CONFIG_DIR, name))


def test_every_full_size_pretraining_config_is_checked():
    """A new 800-epoch OpticalRS-13M pretraining config must be added here."""
    shipped = {osp.basename(p) for p in
               glob.glob(osp.join(CONFIG_DIR, '*-800e_opticalrs-13m.py'))}
    assert shipped == set(FULL_CONFIGS)


@pytest.mark.parametrize('name', sorted(FULL_CONFIGS))
def test_config_values_are_the_papers(name):
    """Batch, lr, betas, weight decay, clipping, epochs and warm-up against Table 9 / 6.4."""
    cfg = _load(name)
    gpus, per_gpu = map(int, re.search(r'_(\d+)xb(\d+)-', name).groups())
    assert (gpus, per_gpu) == (8, 128)
    assert cfg.train_dataloader.batch_size == per_gpu
    assert gpus * cfg.train_dataloader.batch_size == PAPER_BATCH
    assert cfg.auto_scale_lr.base_batch_size == PAPER_BATCH

    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == PAPER_OPTIMIZER
    assert tuple(optimizer.betas) == PAPER_BETAS
    assert optimizer.weight_decay == PAPER_WEIGHT_DECAY
    ratio = 1.0
    if FULL_CONFIGS[name] == 'selectivemae':
        selector = cfg.model.token_selector
        assert (selector.mask_ratio, selector.recon_ratio) == (PAPER_MASK_RATIO,
                                                               PAPER_RECON_RATIO)
        assert cfg.model.neck.decoder_depth == 12
        ratio = selector.recon_ratio / selector.mask_ratio
    assert optimizer.lr == pytest.approx(PAPER_BASE_LR * PAPER_BATCH / 256 * ratio, rel=1e-12)
    assert optimizer.lr == pytest.approx(EXPECTED_LR[FULL_CONFIGS[name]], rel=1e-9)

    # "All other hyperparameters remain the same as in MAE" (299): MAE does not clip.
    assert cfg.optim_wrapper.get('clip_grad') is None
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'

    assert cfg.train_cfg.max_epochs == PAPER_EPOCHS
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.begin, warmup.end) == ('LinearLR', 0, PAPER_WARMUP_EPOCHS)
    assert (cosine.type, cosine.begin, cosine.end) == ('CosineAnnealingLR', PAPER_WARMUP_EPOCHS,
                                                       PAPER_EPOCHS)
    assert cosine.T_max == PAPER_EPOCHS - PAPER_WARMUP_EPOCHS
    assert cosine.get('eta_min', 0.) == 0.
    assert warmup.by_epoch and cosine.by_epoch
    assert warmup.convert_to_iter_based and cosine.convert_to_iter_based


def test_lr_curve_of_the_schedule():
    """Step the config's schedulers (10 iterations per epoch): lr ~0 at the start, half the peak
    half-way through the warm-up, the peak at epoch 60, half again at the cosine's middle
    (epoch 430), 0 at epoch 800."""
    cfg = _load('selectivemae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py')
    peak = cfg.optim_wrapper.optimizer.lr
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=peak)
    per_epoch = 10
    schedulers = []
    for sched in copy.deepcopy(cfg.param_scheduler):
        kind = {'LinearLR': LinearLR, 'CosineAnnealingLR': CosineAnnealingLR}[sched.pop('type')]
        sched.pop('by_epoch')
        sched.pop('convert_to_iter_based')
        schedulers.append(kind.build_iter_from_epoch(optimizer, epoch_length=per_epoch, **sched))
    lrs = []
    for _ in range(PAPER_EPOCHS * per_epoch + 1):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        for sched in schedulers:
            sched.step()
    assert lrs[0] == pytest.approx(peak * 1e-4)
    # linear from 1e-4 x peak over 600 iterations; mmengine's LinearLR reaches the peak at the
    # last warm-up iteration (599), so at iteration t: peak x (1e-4 + (1 - 1e-4) x t / 599)
    assert lrs[300] == pytest.approx(peak * (1e-4 + (1 - 1e-4) * 300 / 599))
    assert lrs[599] == pytest.approx(peak)
    assert lrs[600] == pytest.approx(peak)
    assert max(lrs) == pytest.approx(peak)
    assert lrs[4300] == pytest.approx(peak / 2)
    assert lrs[8000] == pytest.approx(0, abs=peak * 1e-6)  # recursive cosine: float error


def test_clipping_of_the_authors_code_is_one_option_away():
    """``--cfg-options optim_wrapper.clip_grad.max_norm=1.0`` turns on the code's clipping."""
    cfg = load_config(
        osp.join(CONFIG_DIR, 'selectivemae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py'),
        {'optim_wrapper.clip_grad.max_norm': 1.0})
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=1.0)


def _decay_by_name(name):
    """The optimizer built from the config on its real model: ``{parameter name: (shape,
    weight decay)}`` for every trainable parameter, each found in exactly one group."""
    cfg = _load(name)
    init_default_scope(cfg.default_scope)
    from mmpretrain.registry import MODELS
    model = MODELS.build(cfg.model)
    wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
    if wrapper_cfg.type == 'AmpOptimWrapper' and not torch.cuda.is_available():
        # AmpOptimWrapper refuses to build without CUDA; the parameter groups come from the
        # same DefaultOptimWrapperConstructor whatever the wrapper type.
        wrapper_cfg.type = 'OptimWrapper'
        wrapper_cfg.pop('loss_scale', None)
    wrapper = build_optim_wrapper(model, wrapper_cfg)
    names = {id(p): n for n, p in model.named_parameters()}
    found = {}
    for group in wrapper.optimizer.param_groups:
        for param in group['params']:
            name_ = names[id(param)]
            assert name_ not in found, f'{name_} is in two parameter groups'
            found[name_] = (tuple(param.shape), group['weight_decay'])
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert set(found) == trainable
    return found


def _expected_decay(name, shape):
    if len(shape) <= 1 or name.rsplit('.', 1)[-1] in NO_DECAY_TOKENS:
        return 0.
    return PAPER_WEIGHT_DECAY


# Decayed 2-D+ weights, counted by hand from the architectures:
# ViT-B encoder: patch projection + 12 blocks x (qkv, proj, fc1, fc2) = 1 + 48 = 49.
# SelectiveMAE decoder: 12 blocks x (q, kv, proj, fc1, fc2) + prediction = 60 + 1 = 61.
# MAE decoder: embedding + 8 blocks x (qkv, proj, fc1, fc2) + prediction = 1 + 32 + 1 = 34.
# ViT-L: 24 blocks, so the encoder has 1 + 96 = 97.
DECAYED_WEIGHTS = {
    'selectivemae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py': 49 + 61,
    'mae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py': 49 + 34,
    'selectivemae_vit-large-p16_8xb128-amp-coslr-800e_opticalrs-13m.py': 97 + 61,
    'mae_vit-large-p16_8xb128-amp-coslr-800e_opticalrs-13m.py': 97 + 34,
    # 2-layer encoder (1 + 8) + 2-block decoder (10 + 1)
    CPU_CONFIG: 9 + 11,
}
#: Decoder norm weights that name keys such as 'ln' missed (they were decayed before).
DECODER_NORMS = {
    'selectivemae': ('neck.blocks.0.norm1.weight', 'neck.blocks.11.norm2.weight',
                     'neck.norm.weight'),
    'mae': ('neck.decoder_blocks.0.ln1.weight', 'neck.ln1.weight'),
}


def _check_decay(name, kind):
    found = _decay_by_name(name)
    wrong = {n: (shape, wd) for n, (shape, wd) in found.items()
             if wd != pytest.approx(_expected_decay(n, shape))}
    assert wrong == {}
    decayed = [n for n, (_, wd) in found.items() if wd > 0]
    assert len(decayed) == DECAYED_WEIGHTS[name]
    assert all(n.endswith('.weight') for n in decayed)
    for side in ('backbone.', 'neck.'):
        assert any(n.startswith(side) for n in decayed)
        one_d = [n for n, (shape, _) in found.items() if n.startswith(side) and len(shape) == 1]
        assert one_d and all(found[n][1] == 0 for n in one_d)
    for norm in DECODER_NORMS[kind]:
        if norm in found:
            assert found[norm][1] == 0, norm
    return found


@pytest.mark.parametrize('name', [
    'selectivemae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py',
    'mae_vit-base-p16_8xb128-amp-coslr-800e_opticalrs-13m.py',
])
def test_no_decay_on_norm_and_1d_parameters_of_encoder_and_decoder(name):
    """ViT-B: decay on every 2-D weight only; the decoder norms named before are exempt."""
    found = _check_decay(name, FULL_CONFIGS[name])
    for norm in DECODER_NORMS[FULL_CONFIGS[name]]:
        assert norm in found
    assert found['backbone.cls_token'][1] == 0 and found['neck.mask_token'][1] == 0


@pytest.mark.slow
@pytest.mark.parametrize('name', [
    'selectivemae_vit-large-p16_8xb128-amp-coslr-800e_opticalrs-13m.py',
    'mae_vit-large-p16_8xb128-amp-coslr-800e_opticalrs-13m.py',
])
def test_no_decay_rule_vit_large(name):
    """ViT-L: the same rule (larger models, hence slow)."""
    _check_decay(name, FULL_CONFIGS[name])


def test_cpu_config_keeps_its_batch_and_inherits_the_decay_rule():
    """The CPU config keeps batch 8 and its own wrapper, with the recipe's decay rule."""
    cfg = _load(CPU_CONFIG)
    assert cfg.train_dataloader.batch_size == 8
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert cfg.auto_scale_lr.base_batch_size == 8
    _check_decay(CPU_CONFIG, 'selectivemae')
