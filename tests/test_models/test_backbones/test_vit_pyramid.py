"""ViTPyramid built from each toolbox's registry: pyramid shapes and strides on a non-square
input that is not a multiple of the patch size, equality with mmpretrain's own ViT forward and
with max-pool / deconvolution computed by hand, and activation checkpointing."""
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

    # Reference: mmpretrain's own ViT forward with the same weights at the same blocks.
    vit = VisionTransformer(arch=ARCH, img_size=64, patch_size=16, out_indices=[0, 1, 2, 3],
                            out_type='featmap', final_norm=False)
    vit.eval()
    missing, unexpected = vit.load_state_dict(model.state_dict(), strict=False)
    assert missing == [] and all(k.startswith('pyramid.') for k in unexpected)
    with torch.no_grad():
        ref = vit(x)
        up2 = model.pyramid.upsample_2x[0]
        expected_8 = F.conv_transpose2d(ref[1], up2.weight, up2.bias, stride=2)
    torch.testing.assert_close(feats[2], ref[2])
    torch.testing.assert_close(feats[3], F.max_pool2d(ref[3], 2))
    torch.testing.assert_close(feats[1], expected_8)


def test_checkpointing_gives_same_outputs_and_gradients():
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    plain, ckpt = MODELS.build(TINY), MODELS.build(dict(TINY, with_cp=True))
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
