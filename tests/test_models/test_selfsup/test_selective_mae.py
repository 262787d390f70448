"""SelectiveMAE (mmrsfm.models.selfsup.selective_mae) and its decoder
(cross_attention_decoder): shapes, loss on targets only, any input size."""
import pytest
import torch
from mmpretrain.models.heads import MAEPretrainHead
from mmpretrain.registry import MODELS

import mmrsfm.models  # noqa: F401
from mmrsfm.models.selfsup import patchify


def _model(psts=None, embed=64):
    model = MODELS.build(dict(
        type='SelectiveMAE',
        backbone=dict(type='SelectiveMAEViT',
                      arch=dict(embed_dims=embed, num_layers=2, num_heads=4,
                                feedforward_channels=128), img_size=224, patch_size=16),
        neck=dict(type='CrossAttentionDecoder', num_patches=196, patch_size=16, embed_dim=embed,
                  decoder_embed_dim=32, decoder_depth=2, decoder_num_heads=4),
        head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=16,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2')),
        token_selector=dict(type='HOGTokenSelector', patch_size=16, psts=psts)))
    model.init_weights()
    return model.eval()


def test_token_counts_and_shapes():
    model = _model(psts=dict(boundaries=(0.35, 0.375, 0.725, 0.75)))
    x = torch.rand(2, 3, 224, 224)
    visible, targets, scores = model.select(x)
    assert visible.shape == (2, 29) and targets.shape == (2, 49) and scores.shape == (2, 196)
    assert model.backbone(x, visible).shape == (2, 30, 64)  # cls + 29 visible tokens
    pred, target = model.reconstruction(x, visible, targets)
    assert pred.shape == target.shape == (2, 49, 16 * 16 * 3)
    loss = model.loss(x, None)['loss']
    assert loss.ndim == 0 and torch.isfinite(loss)
    # Non-square inputs divisible by the patch size (position embeddings interpolated).
    assert model.loss(torch.rand(1, 3, 160, 256), None)['loss'].isfinite()
    assert model.extract_feat(torch.rand(1, 3, 224, 224))[0].shape == (1, 197, 64)


def test_loss_uses_target_patches_only():
    torch.manual_seed(0)
    model = _model()
    x = torch.rand(1, 3, 224, 224)
    visible, targets, _ = model.select(x)
    with torch.no_grad():
        base = torch.nn.functional.mse_loss(*model.reconstruction(x, visible, targets))
    used = set(visible[0].tolist()) | set(targets[0].tolist())
    ignored = next(i for i in range(196) if i not in used)
    target = targets[0, 0].item()
    for patch, should_change in ((ignored, False), (target, True)):
        y = x.clone()
        row, col = divmod(patch, 14)
        y[0, :, row * 16 + 5, col * 16 + 7] += 3.0  # one pixel of that patch
        with torch.no_grad():
            loss = torch.nn.functional.mse_loss(*model.reconstruction(y, visible, targets))
        assert (abs(loss.item() - base.item()) > 1e-6) == should_change, patch


@pytest.mark.parametrize('norm_pix', [True, False])
def test_targets_and_loss_are_the_heads(norm_pix):
    """The targets are the head's construct_target of the target patches (square input: the
    head on the whole image, then gathered) and equal a hand computation (any input size); the
    loss is the head's loss module over them."""
    torch.manual_seed(0)
    model = _model()
    model.head.norm_pix = norm_pix
    for shape in ((2, 3, 224, 224), (1, 3, 160, 256)):
        x = torch.rand(*shape)
        visible, targets, _ = model.select(x)
        with torch.no_grad():
            pred, target = model.reconstruction(x, visible, targets)
        index = targets.unsqueeze(-1).expand(-1, -1, 16 * 16 * 3)
        patches = torch.gather(patchify(x, 16), 1, index)
        if norm_pix:
            mean = patches.mean(dim=-1, keepdim=True)
            std = (patches.var(dim=-1, keepdim=True) + 1e-6).sqrt()
            patches = (patches - mean) / std
        torch.testing.assert_close(target, patches, rtol=1e-6, atol=1e-6)
        if shape[2] == shape[3]:
            whole = torch.gather(model.head.construct_target(x), 1, index)
            torch.testing.assert_close(target, whole, rtol=0, atol=0)
        torch.manual_seed(1)
        with torch.no_grad():
            loss = model.loss(x, None)['loss']
        torch.manual_seed(1)
        visible, targets, _ = model.select(x)
        with torch.no_grad():
            pred, target = model.reconstruction(x, visible, targets)
        torch.testing.assert_close(loss, ((pred - target)**2).mean(), rtol=1e-6, atol=0)


def test_patchify_matches_mmpretrain_layout():
    head = MAEPretrainHead(loss=dict(type='PixelReconstructionLoss', criterion='L2'),
                           patch_size=16)
    x = torch.rand(2, 3, 64, 64)
    torch.testing.assert_close(patchify(x, 16), head.patchify(x))
    assert patchify(torch.rand(1, 3, 32, 48), 16).shape == (1, 6, 768)


def test_patch_size_mismatch_is_an_error():
    with pytest.raises(ValueError, match='patch size'):
        MODELS.build(dict(
            type='SelectiveMAE',
            backbone=dict(type='SelectiveMAEViT', arch='b', img_size=224, patch_size=16),
            neck=dict(type='CrossAttentionDecoder', decoder_depth=1),
            head=dict(type='MAEPretrainHead', patch_size=16,
                      loss=dict(type='PixelReconstructionLoss', criterion='L2')),
            token_selector=dict(type='HOGTokenSelector', patch_size=8)))
