"""SelectiveMAE's token selection is computed in fp32 whatever the autocast state: the same
visible tokens and targets under bf16 autocast (CPU) as without, for the selector alone and
for the model's ``select`` (whose PSTS token features come from the patch embedding)."""
import pytest
import torch
from mmpretrain.registry import MODELS

import mmrsfm.models  # noqa: F401
from mmrsfm.models.selfsup import HOGTokenSelector

PSTS = dict(seed_ratio=0.5, num_steps=2, boundaries=(280, 300, 580, 600))


def _images(b=4, size=128, seed=0):
    gen = torch.Generator().manual_seed(seed)
    images = torch.rand(b, 3, size, size, generator=gen)
    images[:, :, 40:90, 30:34] += 2.0  # an edge, so that scores are not all alike
    return images


def _select_both_ways(select, *args):
    plain = select(*args)
    with torch.autocast(device_type='cpu', dtype=torch.bfloat16):
        mixed = select(*args)
    return plain, mixed


@pytest.mark.parametrize('epoch', [0, 400])  # PSTS 'near', then 'far'
def test_selector_picks_the_same_tokens_under_autocast(epoch):
    selector = HOGTokenSelector(patch_size=16, psts=PSTS)
    selector.set_epoch(epoch, 800)
    images = _images()
    feats = torch.randn(4, 64, 48, generator=torch.Generator().manual_seed(1))
    (v0, t0, s0), (v1, t1, s1) = _select_both_ways(selector, images, feats)
    assert s1.dtype == torch.float32
    assert torch.equal(s0, s1)
    assert torch.equal(v0, v1) and torch.equal(t0, t1)


@pytest.mark.parametrize('epoch', [0, 400])
def test_model_select_is_fp32_under_autocast(epoch):
    model = MODELS.build(dict(
        type='SelectiveMAE',
        backbone=dict(type='SelectiveMAEViT', arch=dict(embed_dims=64, num_layers=1, num_heads=4,
                                                        feedforward_channels=64),
                      img_size=128, patch_size=16),
        neck=dict(type='CrossAttentionDecoder', num_patches=64, patch_size=16, embed_dim=64,
                  decoder_embed_dim=32, decoder_depth=1, decoder_num_heads=4),
        head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=16,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2')),
        token_selector=dict(type='HOGTokenSelector', patch_size=16, psts=PSTS)))
    model.init_weights()
    # PSTS orders tokens by similarities of the patch embeddings: in bf16 (the patch embedding
    # convolution under autocast) the 'far' order picks other tokens.
    model.token_selector.set_epoch(epoch, 800)
    images = _images(b=8)
    (v0, t0, _), (v1, t1, _) = _select_both_ways(model.select, images)
    assert torch.equal(v0, v1) and torch.equal(t0, t1)
    # The loss itself runs in bf16 under autocast and stays finite.
    with torch.autocast(device_type='cpu', dtype=torch.bfloat16):
        loss = model.loss(images, None)['loss']
    assert torch.isfinite(loss)
