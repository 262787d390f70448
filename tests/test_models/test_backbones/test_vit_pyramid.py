"""ViTPyramid built from each toolbox's registry: pyramid shapes and strides on a non-square
input that is not a multiple of the patch size; every pyramid level equal to mmpretrain's own
``VisionTransformer`` (same state dict) followed by the pyramid ops written out by hand
(deconvolutions, BatchNorm, GELU, max-pool), with and without the final norm, in eval and in
training mode; activation checkpointing."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmpretrain.models.backbones import VisionTransformer

from mmrsfm.models.backbones.vit_pyramid import ViTPyramid

ARCH = dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64)
TINY = dict(type='ViTPyramid', arch=ARCH, img_size=64, patch_size=16, out_indices=[0, 1, 2, 3])


@pytest.mark.parametrize('scope', ['mmdet', 'mmrotate', 'mmseg', 'mmpretrain'])
def test_builds_in_every_toolbox_and_matches_mmpretrain_vit(scope):
    import importlib
    registry = importlib.import_module(f'{scope}.registry').MODELS
    init_default_scope(scope)
    torch.manual_seed(0)
    model = registry.build(TINY)
    assert isinstance(model, ViTPyramid)
    model.eval()  # mmpretrain's BaseBackbone.train() returns None: no chaining
    assert model.strides == (4, 8, 16, 32)
    x = torch.randn(2, 3, 100, 150)  # 7 x 10 patches after padding to 112 x 160
    with torch.no_grad():
        feats = model(x)
    assert [tuple(f.shape) for f in feats] == [(2, 32, 28, 40), (2, 32, 14, 20), (2, 32, 7, 10),
                                               (2, 32, 3, 5)]

    with torch.no_grad():
        expected = _reference(model, x, final_norm=False)
    for level, (got, want) in enumerate(zip(feats, expected)):
        torch.testing.assert_close(got, want, msg=f'pyramid level {level}')


def _reference(model, x, final_norm):
    """The pyramid of ``model`` computed independently: mmpretrain's ``VisionTransformer`` with
    the same weights, then the four rescales of mmseg's Feature2Pyramid written out by hand."""
    vit = VisionTransformer(arch=ARCH, img_size=64, patch_size=16, out_indices=[0, 1, 2, 3],
                            out_type='featmap', final_norm=final_norm)
    missing, unexpected = vit.load_state_dict(model.state_dict(), strict=False)
    assert missing == [] and all(k.startswith('pyramid.') for k in unexpected)
    vit.train(model.training)
    ref = vit(x)
    deconv_a, norm, _, deconv_b = model.pyramid.upsample_4x
    up2 = model.pyramid.upsample_2x[0]
    stride_4 = F.conv_transpose2d(ref[0], deconv_a.weight, deconv_a.bias, stride=2)
    stride_4 = F.batch_norm(stride_4, norm.running_mean.clone(), norm.running_var.clone(),
                            norm.weight, norm.bias, training=model.training, eps=norm.eps)
    stride_4 = F.conv_transpose2d(F.gelu(stride_4), deconv_b.weight, deconv_b.bias, stride=2)
    return (stride_4, F.conv_transpose2d(ref[1], up2.weight, up2.bias, stride=2), ref[2],
            F.max_pool2d(ref[3], 2))


@pytest.mark.parametrize('final_norm', [False, True])
@pytest.mark.parametrize('training', [False, True])
def test_every_level_matches_mmpretrain_vit_and_pyramid_ops(final_norm, training):
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(dict(TINY, final_norm=final_norm))
    with torch.no_grad():  # weights away from their init, so every parameter matters
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    model.train(training)
    x = torch.randn(2, 3, 48, 80)
    with torch.no_grad():
        feats = model(x)
        expected = _reference(model, x, final_norm)
    for level, (got, want) in enumerate(zip(feats, expected)):
        torch.testing.assert_close(got, want, msg=f'pyramid level {level}')


def test_checkpointing_gives_same_outputs_and_gradients():
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    plain, ckpt = MODELS.build(TINY), MODELS.build(dict(TINY, with_cp=True))
    assert ckpt.state_dict().keys() == plain.state_dict().keys()
    ckpt.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 48, 80)
    outs = [torch.stack([f.sum() for f in m(x)]) for m in (plain, ckpt)]
    torch.testing.assert_close(outs[0], outs[1])
    for out, model in zip(outs, (plain, ckpt)):
        out.sum().backward()
    torch.testing.assert_close(plain.layers[0].attn.qkv.weight.grad,
                               ckpt.layers[0].attn.qkv.weight.grad)


def test_default_indices_and_errors():
    from mmpretrain.registry import MODELS
    base = MODELS.build(dict(type='ViTPyramid', arch=dict(ARCH, num_layers=12), img_size=32))
    assert base.out_indices == [3, 5, 7, 11]
    large = MODELS.build(dict(type='ViTPyramid', arch=dict(ARCH, num_layers=24), img_size=32))
    assert large.out_indices == [7, 11, 15, 23]
    with pytest.raises(ValueError, match='give out_indices'):
        MODELS.build(dict(TINY, out_indices=None))
    with pytest.raises(ValueError, match='increasing block indices'):
        MODELS.build(dict(TINY, out_indices=[0, 1, 2, 4]))
    with pytest.raises(ValueError, match='rescales'):
        MODELS.build(dict(TINY, rescales=[8, 4, 2, 1]))
